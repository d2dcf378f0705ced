package io.github.kubeletauthproxy.upstream;

import io.github.kubeletauthproxy.server.ManagementPort;
import org.springframework.core.Ordered;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebHandler;
import reactor.core.publisher.Mono;

/**
 * Sends every request of the proxy's listener to forwarding, after Spring Security's chain decided it (WebFlux asks the
 * handler mappings only once every web filter has let the request through). Requests to the management server are not
 * the kubelet's: its own mappings serve its endpoints, and whatever they do not serve is its 404.
 */
public final class KubeletRoute implements HandlerMapping, Ordered {

    /**
     * Where the gateway's route stood: after WebFlux's own mappings (the actuator's, which come first), before the
     * static-resource mapping Spring Boot adds for {@code /**}, which would answer 404 for every path.
     */
    static final int ORDER = 1;

    private final WebHandler forwarding;
    private final ManagementPort managementPort;

    public KubeletRoute(WebHandler forwarding, ManagementPort managementPort) {
        this.forwarding = forwarding;
        this.managementPort = managementPort;
    }

    @Override
    public Mono<Object> getHandler(ServerWebExchange exchange) {
        return managementPort.isManagementRequest(exchange) ? Mono.empty() : Mono.just(forwarding);
    }

    @Override
    public int getOrder() {
        return ORDER;
    }
}
