package io.github.kubeletauthproxy.server;

import io.github.kubeletauthproxy.audit.AuditRecord;
import io.github.kubeletauthproxy.request.RequestScreen;
import io.github.kubeletauthproxy.request.Screening;
import org.springframework.core.Ordered;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;

/** Runs {@link RequestScreen} before Spring Security, so a refused request costs no API-server call. */
public final class ScreeningWebFilter implements WebFilter, Ordered {

    /** Exchange attribute holding the {@link Screening.Accepted} of a request that passed. */
    public static final String ACCEPTED = ScreeningWebFilter.class.getName() + ".accepted";

    /** Before Spring Security's chain (-100). */
    public static final int ORDER = -200;

    private final RequestScreen screen;
    private final ManagementPort managementPort;

    public ScreeningWebFilter(RequestScreen screen, ManagementPort managementPort) {
        this.screen = screen;
        this.managementPort = managementPort;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (managementPort.isManagementRequest(exchange)) {
            return chain.filter(exchange);
        }
        var request = exchange.getRequest();
        Screening screening = screen.screen(request.getMethod().name(), rawPath(request), request.getHeaders());
        if (screening instanceof Screening.Refused refused) {
            return ProxyResponses.refuse(exchange, new RequestDecision.ScreenedOut(refused));
        }
        Screening.Accepted accepted = (Screening.Accepted) screening;
        exchange.getAttributes().put(ACCEPTED, accepted);
        AuditRecord.of(exchange).attributes(accepted.attributes().verb(), accepted.attributes().subresources());
        return chain.filter(exchange);
    }

    /** The path as the server received it: the request line's target (HTTP/2: {@code :path}), not the parsed URI. */
    static String rawPath(ServerHttpRequest request) {
        return RequestScreen.pathOf(requestTarget(request));
    }

    /**
     * The request target exactly as the server received it (the HTTP/1.1 request line's, HTTP/2's {@code :path}): one
     * character per byte, never decoded or normalised. The screen reads its path from here and the upstream forwards it,
     * so that what is reviewed is what the kubelet receives.
     */
    public static String requestTarget(ServerHttpRequest request) {
        Object nativeRequest = ServerHttpRequestDecorator.getNativeRequest(request);
        if (nativeRequest instanceof HttpServerRequest netty) {
            return netty.uri();
        }
        String query = request.getURI().getRawQuery();
        return query == null ? request.getURI().getRawPath() : request.getURI().getRawPath() + "?" + query;
    }

    @Override
    public int getOrder() {
        return ORDER;
    }
}
