package io.github.kubeletauthproxy.server;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs why the proxy refuses requests (401, 500, 503) without letting a flood of refusals flood the log: per status,
 * at most one line per interval, naming the latest reason and how many refusals the line stands for. The audit line
 * of each request carries its own reason.
 */
final class RefusalLog {

    private static final Logger log = LoggerFactory.getLogger(RefusalLog.class);

    private record Window(AtomicLong startNanos, AtomicLong count) {
    }

    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final Map<Integer, Window> windows = new ConcurrentHashMap<>();

    RefusalLog(Duration interval) {
        this(interval, System::nanoTime);
    }

    RefusalLog(Duration interval, LongSupplier nanoTime) {
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
    }

    /** Counts a refusal; returns the line logged for it, or null when a line for its status was written recently. */
    String note(int status, String reason) {
        if (reason.isEmpty()) {
            return null;
        }
        long now = nanoTime.getAsLong();
        Window window = windows.computeIfAbsent(status,
                key -> new Window(new AtomicLong(now - intervalNanos), new AtomicLong()));
        long refusals = window.count().incrementAndGet();
        long start = window.startNanos().get();
        if (now - start < intervalNanos || !window.startNanos().compareAndSet(start, now)) {
            return null;
        }
        window.count().addAndGet(-refusals);
        String line = "answered " + status + " (" + refusals + (refusals == 1 ? " time" : " times")
                + " since the last line): " + reason;
        if (status >= 500) {
            log.warn(line);
        } else {
            log.info(line);
        }
        return line;
    }
}
