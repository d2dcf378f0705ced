package io.github.kubeletauthproxy.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebHandler;
import reactor.core.publisher.Mono;

/** Times forwarded requests until the kubelet's response headers are sent on (not the whole stream). */
public final class UpstreamTimer implements WebHandler {

    private final MeterRegistry registry;
    private final MeterCache<String, Timer> timers;
    private final WebHandler next;

    public UpstreamTimer(MeterRegistry registry, WebHandler next) {
        this.registry = registry;
        this.next = next;
        this.timers = new MeterCache<>(code -> Timer.builder("kubelet_auth_proxy_upstream_duration")
                .description("Time from forwarding a request to the kubelet until its response headers")
                .tag("code", code)
                .publishPercentileHistogram()
                .register(registry));
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange) {
        Timer.Sample sample = Timer.start(registry);
        exchange.getResponse().beforeCommit(() -> {
            HttpStatusCode status = exchange.getResponse().getStatusCode();
            sample.stop(timers.get(status == null ? "none" : Integer.toString(status.value())));
            return Mono.empty();
        });
        return next.handle(exchange);
    }
}
