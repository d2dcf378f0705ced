package io.github.kubeletauthproxy.server;

import io.github.kubeletauthproxy.audit.AuditRecord;
import io.github.kubeletauthproxy.request.RequestScreen;
import io.github.kubeletauthproxy.request.Screening;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

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
        Screening screening = screen.screen(request.getMethod().name(), request.getURI().getRawPath(), request.getHeaders());
        if (screening instanceof Screening.Refused refused) {
            AuditRecord.of(exchange).decision(AuditRecord.DecisionKind.REFUSED);
            return ProxyResponses.status(exchange, refused.status(), refused.reason(), refused.message());
        }
        Screening.Accepted accepted = (Screening.Accepted) screening;
        exchange.getAttributes().put(ACCEPTED, accepted);
        AuditRecord.of(exchange).attributes(accepted.attributes().verb(), accepted.attributes().subresources());
        return chain.filter(exchange);
    }

    @Override
    public int getOrder() {
        return ORDER;
    }
}
