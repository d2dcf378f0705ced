package io.github.kubeletauthproxy.cache;

import java.time.Duration;
import java.util.function.BiFunction;
import java.util.function.Predicate;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.github.kubeletauthproxy.status.Causes;
import reactor.core.publisher.Mono;

/**
 * The outage memory: per key, the last answer that allowed, for at most {@code maxAge} after the API server gave it.
 * It stands in for a call only when the call fails (an error: nobody answered); an answer that does not allow replaces
 * nothing and makes the memory forget the key, so that a withdrawn permission is never served again. Bounded: an LRU of
 * {@code maxSize}.
 */
public final class LastAllows<K, V> {

    /** Told of every answer served from memory. */
    public interface Listener {
        Listener NONE = served -> { };

        void served(LastAllowServed served);
    }

    private record Remembered<V>(V answer, long answeredAtNanos) {
    }

    private final Cache<K, Remembered<V>> remembered;
    private final Ticker ticker;
    private final Listener listener;

    public LastAllows(Duration maxAge, long maxSize, Ticker ticker, Listener listener) {
        this.remembered = Caffeine.newBuilder()
                .maximumSize(maxSize)
                .expireAfterWrite(maxAge)
                .ticker(ticker)
                .build();
        this.ticker = ticker;
        this.listener = listener;
    }

    /**
     * The answer of {@code call}, remembered when it {@code allows}; when {@code call} fails, the remembered allow marked
     * by {@code served}, or the failure itself when there is none.
     */
    public Mono<V> answer(K key, Mono<V> call, Predicate<V> allows, BiFunction<V, LastAllowServed, V> served) {
        return call
                .doOnNext(answer -> {
                    if (allows.test(answer)) {
                        remembered.put(key, new Remembered<>(answer, ticker.read()));
                    } else {
                        remembered.invalidate(key);
                    }
                })
                .onErrorResume(failure -> {
                    Remembered<V> last = remembered.getIfPresent(key);
                    if (last == null) {
                        return Mono.error(failure);
                    }
                    LastAllowServed lastAllow = new LastAllowServed(
                            Duration.ofNanos(ticker.read() - last.answeredAtNanos()), Causes.describe(failure));
                    listener.served(lastAllow);
                    return Mono.just(served.apply(last.answer(), lastAllow));
                });
    }
}
