package io.github.kubeletauthproxy.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;

class UpstreamRequestHeadersTest {

    @Test
    void clientCredentialsIdentityAndHopByHopHeadersAreDropped() {
        HttpHeaders client = new HttpHeaders();
        client.add("Authorization", "Bearer client-secret");
        client.add("Proxy-Authorization", "Basic x");
        client.add("Impersonate-User", "admin");
        client.add("Impersonate-Group", "system:masters");
        client.add("Impersonate-Extra-scopes", "all");
        client.add("X-Remote-User", "admin");
        client.add("X-Remote-Group", "system:masters");
        client.add("X-Forwarded-For", "1.2.3.4");
        client.add("Forwarded", "for=1.2.3.4");
        client.add("Connection", "keep-alive, X-Custom-Hop");
        client.add("X-Custom-Hop", "1");
        client.add("Keep-Alive", "timeout=5");
        client.add("TE", "trailers");
        client.add("Accept", "application/json");
        client.add("User-Agent", "kubectl");

        HttpHeaders upstream = UpstreamRequestHeaders.sanitize(client, Optional.empty());

        assertThat(upstream.headerNames()).containsExactlyInAnyOrder("Accept", "User-Agent");
    }

    @Test
    void theProxysOwnTokenReplacesTheClients() {
        HttpHeaders client = new HttpHeaders();
        client.add("Authorization", "Bearer client-secret");

        HttpHeaders upstream = UpstreamRequestHeaders.sanitize(client, Optional.of("proxy-token"));

        assertThat(upstream.getOrEmpty("Authorization")).containsExactly("Bearer proxy-token");
    }

    @Test
    void onlyTheTokenEntryIsRemovedFromTheSubprotocols() {
        HttpHeaders client = new HttpHeaders();
        client.add("Sec-WebSocket-Protocol", "v5.channel.k8s.io, base64url.bearer.authorization.k8s.io.c2VjcmV0");
        client.add("Sec-WebSocket-Protocol", "v4.channel.k8s.io");

        HttpHeaders upstream = UpstreamRequestHeaders.sanitize(client, Optional.empty());

        assertThat(upstream.getOrEmpty("Sec-WebSocket-Protocol")).containsExactly("v5.channel.k8s.io, v4.channel.k8s.io");
        assertThat(UpstreamRequestHeaders.withoutTokenEntries(List.of("base64url.bearer.authorization.k8s.io.x"))).isEmpty();
    }
}
