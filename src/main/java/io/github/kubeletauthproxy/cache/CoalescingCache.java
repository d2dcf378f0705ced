package io.github.kubeletauthproxy.cache;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import reactor.core.publisher.Mono;

/**
 * A bounded LRU of answers with a time-to-live chosen per answer, in which concurrent misses for one key
 * share a single load. A failed load is never cached: Caffeine drops a future that completes exceptionally,
 * so the next caller asks again. The shared load runs to completion even if the first caller goes away.
 */
public final class CoalescingCache<K, V> {

    /** What happened to one lookup, for metrics. */
    public enum Outcome { HIT, MISS, COALESCED }

    /** Told the outcome of every lookup. */
    public interface Listener {
        Listener NONE = outcome -> { };

        void record(Outcome outcome);
    }

    private final AsyncCache<K, V> cache;
    private final Listener listener;

    public CoalescingCache(long maxSize, Function<V, Duration> ttl, Ticker ticker, Listener listener) {
        this.cache = Caffeine.newBuilder()
                .maximumSize(maxSize)
                .ticker(ticker)
                .expireAfter(new Expiry<K, V>() {
                    @Override
                    public long expireAfterCreate(K key, V value, long currentTime) {
                        return ttl.apply(value).toNanos();
                    }

                    @Override
                    public long expireAfterUpdate(K key, V value, long currentTime, long currentDuration) {
                        return ttl.apply(value).toNanos();
                    }

                    @Override
                    public long expireAfterRead(K key, V value, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .buildAsync();
        this.listener = listener;
    }

    /** The cached answer for {@code key}, or the answer of {@code load}, shared with concurrent callers. */
    public Mono<V> get(K key, Supplier<Mono<V>> load) {
        return Mono.defer(() -> {
            CompletableFuture<V> mine = new CompletableFuture<>();
            CompletableFuture<V> existing = cache.asMap().putIfAbsent(key, mine);
            if (existing != null) {
                listener.record(existing.isDone() && !existing.isCompletedExceptionally() ? Outcome.HIT : Outcome.COALESCED);
                return Mono.fromFuture(existing, true);
            }
            listener.record(Outcome.MISS);
            load.get().subscribe(value -> {
                // the TTL counts from the answer: the entry becomes the answer before any caller sees it. Left to
                // Caffeine, the TTL would start in its own completion callback, which runs after the callers' (a
                // CompletableFuture runs the callbacks last registered first), so late by whatever they do first.
                cache.asMap().replace(key, mine, CompletableFuture.completedFuture(value));
                mine.complete(value);
            }, mine::completeExceptionally,
                    () -> mine.completeExceptionally(new IllegalStateException("load completed without a value")));
            return Mono.fromFuture(mine, true);
        });
    }
}
