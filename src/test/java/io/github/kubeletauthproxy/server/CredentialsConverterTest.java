package io.github.kubeletauthproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.junit.jupiter.api.Test;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;

class CredentialsConverterTest {

    static String wsToken(String token) {
        return "base64url.bearer.authorization.k8s.io."
                + Base64.getUrlEncoder().withoutPadding().encodeToString(token.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theSubprotocolTokenIsReadOnWebSocketUpgradesOnly() {
        var upgrade = MockServerHttpRequest.get("/exec/a/b/c").header("Upgrade", "websocket").header("Connection", "Upgrade")
                .header("Sec-WebSocket-Protocol", "v5.channel.k8s.io, " + wsToken("tok-en")).build();
        var plain = MockServerHttpRequest.get("/exec/a/b/c").header("Sec-WebSocket-Protocol", wsToken("tok-en")).build();

        assertThat(CredentialsConverter.credentialsOf(upgrade).webSocketToken()).hasValue("tok-en");
        assertThat(CredentialsConverter.credentialsOf(plain).webSocketToken()).isEmpty();
    }

    @Test
    void aBrokenOrDoubledSubprotocolTokenIsMalformed() {
        var broken = MockServerHttpRequest.get("/exec/a/b/c").header("Upgrade", "websocket")
                .header("Sec-WebSocket-Protocol", "base64url.bearer.authorization.k8s.io.***").build();
        var doubled = MockServerHttpRequest.get("/exec/a/b/c").header("Upgrade", "websocket")
                .header("Sec-WebSocket-Protocol", wsToken("a") + ", " + wsToken("b")).build();

        assertThat(CredentialsConverter.credentialsOf(broken).malformedWebSocketToken()).isTrue();
        assertThat(CredentialsConverter.credentialsOf(doubled).malformedWebSocketToken()).isTrue();
        assertThat(CredentialsConverter.credentialsOf(doubled).isEmpty()).isFalse();
    }

    @Test
    void noHeadersMeansNoCredentials() {
        assertThat(CredentialsConverter.credentialsOf(MockServerHttpRequest.get("/pods").build()).isEmpty()).isTrue();
    }
}
