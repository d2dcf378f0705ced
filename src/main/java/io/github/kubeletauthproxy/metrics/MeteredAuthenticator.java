package io.github.kubeletauthproxy.metrics;

import io.github.kubeletauthproxy.authn.AuthenticationResult;
import io.github.kubeletauthproxy.authn.Authenticator;
import io.github.kubeletauthproxy.authn.RequestCredentials;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import reactor.core.publisher.Mono;

/** Times authentication by result (authenticated, rejected, not_applicable, error). Never labels a user. */
public final class MeteredAuthenticator implements Authenticator {

    private final Authenticator delegate;
    private final MeterRegistry registry;
    private final MeterCache<String, Timer> timers;

    public MeteredAuthenticator(Authenticator delegate, MeterRegistry registry) {
        this.delegate = delegate;
        this.registry = registry;
        this.timers = new MeterCache<>(result -> Timer.builder("kubelet_auth_proxy_authentication_duration")
                .description("Time to authenticate a request, API-server calls and cache included")
                .tag("result", result)
                .publishPercentileHistogram()
                .register(registry));
    }

    @Override
    public Mono<AuthenticationResult> authenticate(RequestCredentials credentials) {
        return Mono.defer(() -> {
            Timer.Sample sample = Timer.start(registry);
            return delegate.authenticate(credentials)
                    .doOnNext(result -> sample.stop(timer(resultOf(result))))
                    .doOnError(e -> sample.stop(timer("error")));
        });
    }

    private Timer timer(String result) {
        return timers.get(result);
    }

    private static String resultOf(AuthenticationResult result) {
        if (result instanceof AuthenticationResult.Authenticated) {
            return "authenticated";
        }
        return result instanceof AuthenticationResult.Rejected ? "rejected" : "not_applicable";
    }
}
