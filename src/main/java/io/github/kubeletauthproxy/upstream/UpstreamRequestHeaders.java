package io.github.kubeletauthproxy.upstream;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import io.github.kubeletauthproxy.authn.RequestCredentials;
import io.github.kubeletauthproxy.tls.TokenFile;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;

/**
 * What the kubelet receives: the client's headers without its credentials, without identity or forwarding
 * headers a client could forge, without hop-by-hop headers, and with the proxy's own token when it uses one.
 * Runs last among the gateway's header filters.
 */
public final class UpstreamRequestHeaders implements HttpHeadersFilter, Ordered {

    private static final List<String> DROPPED_PREFIXES = List.of("impersonate-", "x-remote-", "x-forwarded-");

    private static final List<String> DROPPED = List.of("authorization", "proxy-authorization", "forwarded",
            "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");

    private final Optional<TokenFile> token;

    public UpstreamRequestHeaders(Optional<TokenFile> token) {
        this.token = token;
    }

    @Override
    public HttpHeaders filter(HttpHeaders input, ServerWebExchange exchange) {
        return sanitize(input, token.map(TokenFile::value));
    }

    /** The headers to send upstream for the client's {@code input}; {@code proxyToken} is added as bearer. */
    public static HttpHeaders sanitize(HttpHeaders input, Optional<String> proxyToken) {
        List<String> connectionListed = new ArrayList<>();
        for (String value : input.getOrEmpty(HttpHeaders.CONNECTION)) {
            for (String name : value.split(",")) {
                connectionListed.add(name.trim().toLowerCase(Locale.ROOT));
            }
        }
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

    @Override
    public boolean supports(Type type) {
        return type == Type.REQUEST;
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
