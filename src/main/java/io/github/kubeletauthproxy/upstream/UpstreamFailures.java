package io.github.kubeletauthproxy.upstream;

import java.io.IOException;
import java.nio.channels.NotYetConnectedException;
import java.util.concurrent.TimeoutException;

import io.github.kubeletauthproxy.server.ProxyResponses;
import io.github.kubeletauthproxy.status.Causes;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebHandler;
import reactor.core.publisher.Mono;

/**
 * Turns a failure to reach the kubelet into a 502 that names the kubelet, instead of a generic 500. Only
 * while nothing has been sent to the client yet; a stream that breaks later is simply closed. The outermost step of
 * forwarding, so that it sees the failures of every step inside it.
 */
public final class UpstreamFailures implements WebHandler {

    private final String upstream;
    private final WebHandler next;

    public UpstreamFailures(String upstream, WebHandler next) {
        this.upstream = upstream;
        this.next = next;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange) {
        return next.handle(exchange).onErrorResume(
                e -> isUnreachable(e) && !exchange.getResponse().isCommitted(),
                e -> ProxyResponses.status(exchange, 502, "BadGateway",
                        "cannot reach the kubelet at " + upstream + ": " + Causes.describe(e)));
    }

    static boolean isUnreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            // connection refused, connect timeouts and TLS failures are all IOExceptions; a kubelet connection that was
            // reset before it was ever usable shows as "not connected" when it is first read
            if (t instanceof IOException || t instanceof TimeoutException || t instanceof NotYetConnectedException) {
                return true;
            }
        }
        return false;
    }
}
