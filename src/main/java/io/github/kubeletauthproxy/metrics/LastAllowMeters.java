package io.github.kubeletauthproxy.metrics;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import io.github.kubeletauthproxy.cache.LastAllowServed;
import io.github.kubeletauthproxy.cache.LastAllows;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the API-server failures a layer answered from a last allow ({@code kubelet_auth_proxy_last_allow_served_total
 * {layer}}) and warns of them in the log: an outage bridged this way must be seen, but one line per request would flood
 * the log, so at most one line per layer and interval, with the number it stands for.
 */
public final class LastAllowMeters implements LastAllows.Listener {

    private static final Logger log = LoggerFactory.getLogger(LastAllowMeters.class);
    private static final Duration WARNING_INTERVAL = Duration.ofSeconds(10);

    private final String layer;
    private final Counter served;
    private final LongSupplier nanoTime;
    private final AtomicLong sinceWarning = new AtomicLong();
    private final AtomicLong warnedAtNanos;

    LastAllowMeters(String layer, MeterRegistry registry, LongSupplier nanoTime) {
        this.layer = layer;
        this.served = Counter.builder("kubelet_auth_proxy_last_allow_served")
                .description("API-server failures answered from the API server's last allow (outage mode), by layer")
                .tag("layer", layer)
                .register(registry);
        this.nanoTime = nanoTime;
        this.warnedAtNanos = new AtomicLong(nanoTime.getAsLong() - WARNING_INTERVAL.toNanos());
    }

    /** For {@code layer}: authentication or authorization. */
    public static LastAllowMeters forLayer(String layer, MeterRegistry registry) {
        return new LastAllowMeters(layer, registry, System::nanoTime);
    }

    @Override
    public void served(LastAllowServed lastAllow) {
        served.increment();
        long unwarned = sinceWarning.incrementAndGet();
        long now = nanoTime.getAsLong();
        long warnedAt = warnedAtNanos.get();
        if (now - warnedAt >= WARNING_INTERVAL.toNanos() && warnedAtNanos.compareAndSet(warnedAt, now)) {
            sinceWarning.addAndGet(-unwarned);
            log.warn("the API server did not answer ({}); {} answered {} {} from the last allow, the latest {} s old",
                    lastAllow.failure(), layer, unwarned, unwarned == 1 ? "call" : "calls", lastAllow.age().toSeconds());
        }
    }
}
