package io.github.kubeletauthproxy.server;

import java.time.Duration;

import io.github.kubeletauthproxy.apiserver.ApiServerCalls;
import io.github.kubeletauthproxy.apiserver.ApiServerClient;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * Readiness: the proxy is ready once the API server has answered at least once (the serving certificate is
 * loaded before the server starts at all). Until then it asks for the API server's version every few seconds.
 */
public final class ApiServerHealth implements HealthIndicator, AutoCloseable {

    private final ApiServerCalls calls;
    private final Disposable probe;

    public ApiServerHealth(ApiServerClient client, ApiServerCalls calls) {
        this.calls = calls;
        this.probe = Flux.interval(Duration.ZERO, Duration.ofSeconds(3))
                .onBackpressureDrop()
                .takeUntil(tick -> calls.hasAnswered())
                // a successful call marks the API server as having answered
                .concatMap(tick -> calls.call(() -> client.get("/version", JsonNode.class)).onErrorResume(e -> Mono.empty()))
                .subscribe();
    }

    @Override
    public Health health() {
        return calls.hasAnswered()
                ? Health.up().build()
                : Health.outOfService().withDetail("apiServer", "has not answered yet").build();
    }

    @Override
    public void close() {
        probe.dispose();
    }
}
