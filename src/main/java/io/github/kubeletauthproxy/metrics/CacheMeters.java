package io.github.kubeletauthproxy.metrics;

import io.github.kubeletauthproxy.cache.CoalescingCache;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** Counts cache lookups by outcome: hit, miss (an API call was made) or coalesced (joined an in-flight call). */
public final class CacheMeters {

    private CacheMeters() {
    }

    public static CoalescingCache.Listener forCache(String cache, MeterRegistry registry) {
        Counter hit = counter(registry, cache, "hit");
        Counter miss = counter(registry, cache, "miss");
        Counter coalesced = counter(registry, cache, "coalesced");
        return outcome -> {
            switch (outcome) {
                case HIT -> hit.increment();
                case MISS -> miss.increment();
                case COALESCED -> coalesced.increment();
                default -> throw new IllegalArgumentException(String.valueOf(outcome));
            }
        };
    }

    private static Counter counter(MeterRegistry registry, String cache, String result) {
        return Counter.builder("kubelet_auth_proxy_cache_lookups")
                .description("Cache lookups by cache and result")
                .tag("cache", cache)
                .tag("result", result)
                .register(registry);
    }
}
