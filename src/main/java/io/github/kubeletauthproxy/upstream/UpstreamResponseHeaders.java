package io.github.kubeletauthproxy.upstream;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.springframework.http.HttpHeaders;

/**
 * What the client receives of the kubelet's response headers: all but the hop-by-hop ones, which describe the proxy's
 * connection to the kubelet and not the client's to the proxy. The same names the gateway removed (its
 * RemoveHopByHopHeadersFilter), and every header the kubelet's {@code Connection} names.
 */
final class UpstreamResponseHeaders {

    static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "transfer-encoding", "te", "trailer",
            "proxy-authorization", "proxy-authenticate", "x-application-context", "upgrade");

    private UpstreamResponseHeaders() {
    }

    /** Adds the kubelet's response headers, but the hop-by-hop ones, to the client's. */
    static void copy(io.netty.handler.codec.http.HttpHeaders kubelet, HttpHeaders client) {
        Set<String> connectionListed = UpstreamRequestHeaders.connectionListed(kubelet.getAll(HttpHeaders.CONNECTION));
        for (Map.Entry<String, String> header : kubelet) {
            String lower = header.getKey().toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(lower) && !connectionListed.contains(lower)) {
                client.add(header.getKey(), header.getValue());
            }
        }
    }
}
