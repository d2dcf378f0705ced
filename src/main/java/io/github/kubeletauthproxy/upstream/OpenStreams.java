package io.github.kubeletauthproxy.upstream;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The streams open right now: a bound on how many may be open at once, a gauge per kind, byte counters, and a
 * graceful shutdown that lets streams finish for a bounded time before closing them. Stops before the web
 * server does, so that no new stream starts while the proxy is going away.
 */
public final class OpenStreams implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(OpenStreams.class);

    /** The kinds of stream, by endpoint. */
    public enum Kind {
        EXEC("exec"), ATTACH("attach"), PORTFORWARD("portforward");

        final String label;

        Kind(String label) {
            this.label = label;
        }

        public static Kind of(String path) {
            if (path.startsWith("/exec/")) {
                return EXEC;
            }
            return path.startsWith("/attach/") ? ATTACH : PORTFORWARD;
        }
    }

    private final int max;
    private final Duration gracePeriod;
    private final MeterRegistry registry;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<Kind, AtomicInteger> openByKind = new ConcurrentHashMap<>();
    private final Set<StreamTunnel> tunnels = ConcurrentHashMap.newKeySet();
    /** Where the proxy is in its life: streams are taken only while it runs. */
    enum State {
        STARTING, RUNNING, STOPPED
    }

    private volatile State state = State.STARTING;

    public OpenStreams(int max, Duration gracePeriod, MeterRegistry registry) {
        this.max = max;
        this.gracePeriod = gracePeriod;
        this.registry = registry;
        for (Kind kind : Kind.values()) {
            AtomicInteger count = new AtomicInteger();
            openByKind.put(kind, count);
            Gauge.builder("kubelet_auth_proxy_streams_open", count, AtomicInteger::get)
                    .description("Upgraded streams open now").tag("kind", kind.label).register(registry);
        }
    }

    /** Takes a place for a new stream, or returns false when the proxy is full, starting or shutting down. */
    boolean tryReserve() {
        if (state != State.RUNNING) {
            return false;
        }
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            return false;
        }
        return true;
    }

    void release() {
        open.decrementAndGet();
    }

    State state() {
        return state;
    }

    void opened(Kind kind, StreamTunnel tunnel) {
        openByKind.get(kind).incrementAndGet();
        tunnels.add(tunnel);
        tunnel.done().whenComplete((summary, error) -> {
            tunnels.remove(tunnel);
            openByKind.get(kind).decrementAndGet();
            release();
        });
    }

    Counter bytes(Kind kind, String direction) {
        return Counter.builder("kubelet_auth_proxy_stream_bytes").description("Bytes moved through upgraded streams")
                .baseUnit("bytes").tag("kind", kind.label).tag("direction", direction).register(registry);
    }

    @Override
    public void start() {
        state = State.RUNNING;
    }

    @Override
    public void stop() {
        state = State.STOPPED;
        long deadline = System.nanoTime() + gracePeriod.toNanos();
        while (!tunnels.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!tunnels.isEmpty()) {
            log.info("closing {} streams still open after the {} grace period", tunnels.size(), gracePeriod);
            tunnels.forEach(tunnel -> tunnel.close(StreamTunnel.Ending.SHUTDOWN));
        }
    }

    @Override
    public boolean isRunning() {
        return state == State.RUNNING;
    }

    /** Before the web server's graceful shutdown (which runs at DEFAULT_PHASE - 1024). */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 512;
    }
}
