package io.github.kubeletauthproxy.audit;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where audit records go: one JSON object per line, on standard output or appended to a file. {@link #write} only
 * offers the record to a bounded queue, so the event loop that ends a request never waits for a disk or a pipe; one
 * thread of the stream's own writes the lines. When the queue is full the record is dropped and counted
 * ({@code kubelet_auth_proxy_audit_dropped_total{reason="queue_full"}}), as is a record whose write failed
 * ({@code reason="write_failed"}): a lost record shows in the metrics, a blocked proxy would show nowhere.
 * <p>
 * Each line goes out in one {@code write} of its bytes and its newline. On standard output that write is one call of
 * {@code System.out}'s {@link java.io.PrintStream#write(byte[], int, int)}, which holds the stream's lock for the
 * whole array; Logback's console appender writes each event the same way through the same {@code System.out}, so an
 * audit line and an application log line never interleave within a line.
 */
public final class AuditStream implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AuditStream.class);

    // the writer's signal to stop once everything queued before it is written (compared by identity)
    private static final String END = new String("end of the audit stream");

    /** How long {@link #close()} waits for the records still queued. */
    private static final long CLOSE_WAIT_SECONDS = 10;

    private final OutputStream target;
    private final BlockingQueue<String> queue;
    private final Counter queueFull;
    private final Counter writeFailed;
    private final Thread writer;
    private volatile boolean writeFailing;
    private volatile boolean closed;

    /** No audit records at all ({@code audit.output: none}). */
    public static AuditStream none() {
        return new AuditStream();
    }

    /** Records on the process's standard output, whichever {@code System.out} is current when a line is written. */
    public static AuditStream stdout(int queueSize, MeterRegistry registry) {
        return new AuditStream(new CurrentSystemOut(), queueSize, registry);
    }

    /** Records appended to {@code file}, created when missing; appended so that a copy-and-truncate rotation works. */
    public static AuditStream file(Path file, int queueSize, MeterRegistry registry) throws IOException {
        OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
        return new AuditStream(new BufferedOutputStream(out, 64 * 1024), queueSize, registry);
    }

    AuditStream(OutputStream target, int queueSize, MeterRegistry registry) {
        this.target = target;
        this.queue = new ArrayBlockingQueue<>(queueSize);
        this.queueFull = dropped("queue_full", registry);
        this.writeFailed = dropped("write_failed", registry);
        this.writer = new Thread(this::writeUntilEnd, "audit-writer");
        writer.setDaemon(true);
        writer.start();
    }

    private AuditStream() {
        this.target = null;
        this.queue = null;
        this.queueFull = null;
        this.writeFailed = null;
        this.writer = null;
    }

    private static Counter dropped(String reason, MeterRegistry registry) {
        return Counter.builder("kubelet_auth_proxy_audit_dropped")
                .description("Audit records not written: the queue to the writer was full, or the write failed")
                .tag("reason", reason)
                .register(registry);
    }

    /** False for {@link #none()}: the caller need not even build the record. */
    public boolean enabled() {
        return writer != null;
    }

    /** Queues one record (a JSON object without a line break) and returns at once; never blocks. */
    public void write(String record) {
        if (writer == null) {
            return;
        }
        if (closed) { // no writer left to write it
            writeFailed.increment();
        } else if (!queue.offer(record)) {
            queueFull.increment();
        }
    }

    private void writeUntilEnd() {
        try {
            while (true) {
                String record = queue.take();
                // a burst is written line by line and flushed once
                do {
                    if (record == END) {
                        flush();
                        return;
                    }
                    writeLine(record);
                    record = queue.poll();
                } while (record != null);
                flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void writeLine(String record) {
        byte[] line = (record + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            target.write(line, 0, line.length);
            writeFailing = false;
        } catch (IOException e) {
            writeFailed.increment();
            if (!writeFailing) { // once per run of failures, not once per record
                writeFailing = true;
                log.warn("cannot write audit records: {}", e.toString());
            }
        }
    }

    private void flush() {
        try {
            target.flush();
        } catch (IOException e) {
            log.warn("cannot flush audit records: {}", e.toString());
        }
    }

    /**
     * Writes what is queued (waiting a bounded time), then closes a file. Records written after this are dropped and
     * counted as write_failed.
     */
    @Override
    public void close() {
        if (writer == null || closed) {
            return;
        }
        closed = true;
        try {
            if (queue.offer(END, CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                writer.join(TimeUnit.SECONDS.toMillis(CLOSE_WAIT_SECONDS));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            target.close();
        } catch (IOException e) {
            log.warn("cannot close the audit file: {}", e.toString());
        }
    }

    /**
     * {@code System.out} as it is when each line is written (a test may have replaced it, as Logback's console target
     * also looks it up per write); never closed.
     */
    private static final class CurrentSystemOut extends OutputStream {

        @Override
        public void write(int b) {
            System.out.write(b);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            System.out.write(bytes, offset, length);
        }

        @Override
        public void flush() {
            System.out.flush();
        }

        @Override
        public void close() {
            flush();
        }
    }
}
