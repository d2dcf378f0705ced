package io.github.kubeletauthproxy.apiserver;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import io.netty.handler.timeout.ReadTimeoutException;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Runs API-server calls with a deadline and retries: transient failures (connection errors, timeouts, 429, 500,
 * 503, 504) are retried with a backoff of 0.5 s × 1.5ⁿ and 20 % jitter, the kubelet's webhook backoff. Anything
 * else fails at once.
 * Also remembers whether the API server has answered at least once, for readiness.
 */
public final class ApiServerCalls {

    private final int retries;
    private final Duration initialBackoff;
    private final Duration timeout;
    private final AtomicBoolean answered = new AtomicBoolean();

    public ApiServerCalls(int retries, Duration initialBackoff, Duration timeout) {
        this.retries = retries;
        this.initialBackoff = initialBackoff;
        this.timeout = timeout;
    }

    /** {@code call} is subscribed again for each try. */
    public <T> Mono<T> call(Supplier<Mono<T>> call) {
        return Mono.defer(call)
                .timeout(timeout)
                .doOnNext(ignored -> answered.set(true))
                .retryWhen(backoff());
    }

    /** True once any call has been answered by the API server (any HTTP answer counts). */
    public boolean hasAnswered() {
        return answered.get();
    }

    private Retry backoff() {
        return Retry.from(signals -> signals.concatMap(signal -> {
            Throwable failure = signal.failure();
            if (failure instanceof ApiServerException) {
                answered.set(true);
            }
            if (signal.totalRetries() >= retries || !isTransient(failure)) {
                return Mono.error(failure);
            }
            double jitter = 1 + ThreadLocalRandom.current().nextDouble(0.2);
            long millis = (long) (initialBackoff.toMillis() * Math.pow(1.5, signal.totalRetries()) * jitter);
            return Mono.delay(Duration.ofMillis(millis));
        }));
    }

    /** Worth another try: the API server may answer next time. */
    static boolean isTransient(Throwable failure) {
        if (failure instanceof TimeoutException || failure instanceof IOException
                || failure instanceof ReadTimeoutException) {
            return true;
        }
        if (failure instanceof ApiServerException answered) {
            int code = answered.code();
            return code == 429 || code == 500 || code == 503 || code == 504;
        }
        return failure.getCause() != null && failure.getCause() != failure && isTransient(failure.getCause());
    }
}
