package io.github.kubeletauthproxy.tls;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads every registered file-backed credential on one background thread at a fixed interval, so that
 * rotated certificates, CA bundles and tokens are picked up without a restart and without I/O on the event
 * loop. A bad file is logged and the old material kept.
 */
public final class FileReloader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FileReloader.class);

    private final List<Reloadable> reloadables;
    private final ScheduledExecutorService executor;

    private final java.util.function.Consumer<Reloadable> onReload;

    public FileReloader(List<Reloadable> reloadables, Duration interval, java.util.function.Consumer<Reloadable> onReload) {
        this.reloadables = List.copyOf(reloadables);
        this.onReload = onReload;
        this.executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "tls-file-reloader");
            thread.setDaemon(true);
            return thread;
        });
        executor.scheduleWithFixedDelay(this::reloadAll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    void reloadAll() {
        for (Reloadable reloadable : reloadables) {
            try {
                if (reloadable.reload()) {
                    log.info("reloaded {}", reloadable.describe());
                    onReload.accept(reloadable);
                }
            } catch (Exception e) {
                log.warn("keeping the previous {}: {}", reloadable.describe(), e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
