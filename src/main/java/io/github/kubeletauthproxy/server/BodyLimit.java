package io.github.kubeletauthproxy.server;

import java.util.concurrent.atomic.AtomicLong;

import io.github.kubeletauthproxy.request.Screening;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A cap on the body of every request that is not an upgraded stream (exec, attach and port-forward are not limited):
 * the kubelet's endpoints that take a body take small ones. A declared {@code Content-Length} above the cap is refused
 * before authentication; a body without one (chunked, HTTP/2) is counted as it is forwarded, and the request to the
 * kubelet is aborted when it passes the cap. Both are answered 413 with a Kubernetes {@code Status}.
 */
public final class BodyLimit implements WebFilter, Ordered {

    static final String REASON = "RequestEntityTooLarge";

    /** Right after screening: a refused request costs no API-server call. */
    public static final int ORDER = ScreeningWebFilter.ORDER + 1;

    private final long maxBytes;
    private final ManagementPort managementPort;

    public BodyLimit(long maxBytes, ManagementPort managementPort) {
        this.maxBytes = maxBytes;
        this.managementPort = managementPort;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        // screening let an Upgrade through only on exec, attach and port-forward: a stream, not a body
        if (managementPort.isManagementRequest(exchange) || request.getHeaders().containsHeader(HttpHeaders.UPGRADE)) {
            return chain.filter(exchange);
        }
        if (request.getHeaders().getContentLength() > maxBytes) {
            closeAfterAnswer(exchange);
            return ProxyResponses.refuse(exchange, new RequestDecision.ScreenedOut(new Screening.Refused(413, REASON, message())));
        }
        ServerHttpRequest counted = new ServerHttpRequestDecorator(request) {
            @Override
            public Flux<DataBuffer> getBody() {
                AtomicLong seen = new AtomicLong();
                return super.getBody().map(buffer -> {
                    if (seen.addAndGet(buffer.readableByteCount()) > maxBytes) {
                        DataBufferUtils.release(buffer);
                        throw new TooLarge();
                    }
                    return buffer;
                });
            }
        };
        return chain.filter(exchange.mutate().request(counted).build()).onErrorResume(
                e -> isTooLarge(e) && !exchange.getResponse().isCommitted(),
                e -> {
                    closeAfterAnswer(exchange);
                    return ProxyResponses.status(exchange, 413, REASON, message());
                });
    }

    private String message() {
        return "the request body is larger than the proxy's limit of " + maxBytes + " bytes";
    }

    /** The rest of the body is never read: the connection cannot carry another request. */
    private static void closeAfterAnswer(ServerWebExchange exchange) {
        exchange.getResponse().getHeaders().set(HttpHeaders.CONNECTION, "close");
    }

    private static boolean isTooLarge(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TooLarge) {
                return true;
            }
        }
        return false;
    }

    /** The body passed the cap while it was forwarded; ends the upload to the kubelet. */
    static final class TooLarge extends RuntimeException {
        TooLarge() {
            super("request body over the limit", null, false, false);
        }
    }

    @Override
    public int getOrder() {
        return ORDER;
    }
}
