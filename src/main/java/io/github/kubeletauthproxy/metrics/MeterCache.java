package io.github.kubeletauthproxy.metrics;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import io.micrometer.core.instrument.Meter;

/**
 * Meters by their tag values, each built and registered once. Building a meter on every request (tags sorted,
 * the registry searched) cost more than recording into it. Keys must come from small closed sets (status codes,
 * subresources, decisions), never from users or paths.
 */
public final class MeterCache<K, M extends Meter> {

    private final ConcurrentHashMap<K, M> meters = new ConcurrentHashMap<>();
    private final Function<K, M> builder;

    public MeterCache(Function<K, M> builder) {
        this.builder = builder;
    }

    public M get(K key) {
        M meter = meters.get(key);
        return meter != null ? meter : meters.computeIfAbsent(key, builder);
    }
}
