package io.github.kubeletauthproxy.upstream;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import io.github.kubeletauthproxy.authn.RequestCredentials;
import io.github.kubeletauthproxy.tls.TokenFile;
import org.springframework.http.HttpHeaders;

/**
 * What the kubelet receives: the client's headers without its credentials, without identity or forwarding
 * headers a client could forge, without hop-by-hop headers, and with the proxy's own token when it uses one.
 */
public final class UpstreamRequestHeaders {

    private static final List<String> DROPPED_PREFIXES = List.of("impersonate-", "x-remote-", "x-forwarded-");

    // proxy-authenticate and x-application-context: the rest of the gateway's hop-by-hop list, which ran before this
    private static final List<String> DROPPED = List.of("authorization", "proxy-authorization", "forwarded",
            "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
            "proxy-authenticate", "x-application-context");

    private final Optional<TokenFile> token;

    public UpstreamRequestHeaders(Optional<TokenFile> token) {
        this.token = token;
    }

    /** The headers to send upstream for the client's {@code input}, with the proxy's current token. */
    public HttpHeaders forKubelet(HttpHeaders input) {
        return sanitize(input, token.map(TokenFile::value));
    }

    /** The headers to send upstream for the client's {@code input}; {@code proxyToken} is added as bearer. */
    public static HttpHeaders sanitize(HttpHeaders input, Optional<String> proxyToken) {
        Set<String> connectionListed = connectionListed(input.getOrEmpty(HttpHeaders.CONNECTION));
        HttpHeaders output = new HttpHeaders();
        for (String name : input.headerNames()) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (DROPPED.contains(lower) || connectionListed.contains(lower)
                    || DROPPED_PREFIXES.stream().anyMatch(lower::startsWith)) {
                continue;
            }
            if (lower.equals("sec-websocket-protocol")) {
                List<String> protocols = withoutTokenEntries(input.getOrEmpty(name));
                if (!protocols.isEmpty()) {
                    output.put(name, List.of(String.join(", ", protocols)));
                }
                continue;
            }
            output.put(name, input.getOrEmpty(name));
        }
        String transferEncoding = input.getFirst(HttpHeaders.TRANSFER_ENCODING);
        if (transferEncoding != null && transferEncoding.trim().equalsIgnoreCase("chunked")) {
            // a body framed both ways is sent chunked, never with a length the chunks may contradict (Netty's server
            // already drops such a length; the gateway did too)
            output.remove(HttpHeaders.CONTENT_LENGTH);
        }
        proxyToken.ifPresent(value -> output.set(HttpHeaders.AUTHORIZATION, "Bearer " + value));
        return output;
    }

    /** The same, for an upgrade request: the {@code Upgrade} the client asked for is kept, with {@code Connection: Upgrade}. */
    public static HttpHeaders sanitizeForUpgrade(HttpHeaders input, Optional<String> proxyToken) {
        HttpHeaders output = sanitize(input, proxyToken);
        output.set(HttpHeaders.CONNECTION, "Upgrade");
        output.put(HttpHeaders.UPGRADE, input.getOrEmpty(HttpHeaders.UPGRADE));
        return output;
    }

    /** The header names the values of a {@code Connection} header list: hop-by-hop for this one connection. */
    static Set<String> connectionListed(List<String> connectionValues) {
        Set<String> listed = new HashSet<>();
        for (String value : connectionValues) {
            for (String name : value.split(",")) {
                listed.add(name.trim().toLowerCase(Locale.ROOT));
            }
        }
        return listed;
    }

    static List<String> withoutTokenEntries(List<String> headerValues) {
        List<String> protocols = new ArrayList<>();
        for (String value : headerValues) {
            for (String protocol : value.split(",")) {
                String trimmed = protocol.trim();
                if (!trimmed.isEmpty() && !trimmed.startsWith(RequestCredentials.WEBSOCKET_TOKEN_PREFIX)) {
                    protocols.add(trimmed);
                }
            }
        }
        return protocols;
    }
}
