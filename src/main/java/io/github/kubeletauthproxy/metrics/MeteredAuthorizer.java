package io.github.kubeletauthproxy.metrics;

import io.github.kubeletauthproxy.authz.AccessReview;
import io.github.kubeletauthproxy.authz.Authorizer;
import io.github.kubeletauthproxy.authz.Decision;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import reactor.core.publisher.Mono;

/** Times each access review by its label (the node subresource, or pods/&lt;subresource&gt;) and decision (allow, deny, no_opinion, error). */
public final class MeteredAuthorizer implements Authorizer {

    private final Authorizer delegate;
    private final MeterRegistry registry;
    private final MeterCache<Tags, Timer> timers;

    private record Tags(String subresource, String decision) {
    }

    public MeteredAuthorizer(Authorizer delegate, MeterRegistry registry) {
        this.delegate = delegate;
        this.registry = registry;
        this.timers = new MeterCache<>(tags -> Timer.builder("kubelet_auth_proxy_authorization_duration")
                .description("Time to decide one access review (nodes/<subresource>, or pods/<subresource> when pod-scoped), API-server calls and cache included")
                .tag("subresource", tags.subresource())
                .tag("decision", tags.decision())
                .publishPercentileHistogram()
                .register(registry));
    }

    @Override
    public Mono<Decision> authorize(AccessReview review) {
        return Mono.defer(() -> {
            Timer.Sample sample = Timer.start(registry);
            return delegate.authorize(review)
                    .doOnNext(decision -> sample.stop(timer(review, decision.kind().name().toLowerCase())))
                    .doOnError(e -> sample.stop(timer(review, "error")));
        });
    }

    private Timer timer(AccessReview review, String decision) {
        return timers.get(new Tags(review.label(), decision));
    }
}
