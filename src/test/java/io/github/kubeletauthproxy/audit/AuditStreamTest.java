package io.github.kubeletauthproxy.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.ConsoleAppender;
import io.github.kubeletauthproxy.authn.UserInfo;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The audit stream: one whole JSON line per record, never a blocked caller, every lost record counted. */
class AuditStreamTest {

    final MeterRegistry registry = new SimpleMeterRegistry();

    @TempDir
    Path dir;

    double dropped(String reason) {
        return registry.get("kubelet_auth_proxy_audit_dropped").tag("reason", reason).counter().count();
    }

    static String record(String user, String command) {
        var exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/run/ns/pod/c?cmd=" + command));
        AuditRecord record = AuditRecord.of(exchange);
        record.attributes("create", List.of("proxy"));
        record.user(new UserInfo(user, "", List.of("system:authenticated"), Map.of()));
        record.decision(AuditRecord.DecisionKind.ALLOW);
        return AuditWebFilter.line(exchange, record, Instant.parse("2026-01-01T00:00:00Z"), 200, 1, "ON_COMPLETE");
    }

    static List<JsonNode> parseEveryLine(Path file) throws IOException {
        List<JsonNode> records = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            records.add(JsonMapper.shared().readTree(line));
        }
        return records;
    }

    @Test
    void aFileGetsOneJsonObjectPerLineAppendedToWhatWasThere() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        Files.writeString(file, record("earlier", "x") + "\n");

        try (AuditStream audit = AuditStream.file(file, 16, registry)) {
            audit.write(record("alice", "id"));
            audit.write(record("bob", "ls"));
        }

        List<JsonNode> records = parseEveryLine(file);
        assertThat(records).extracting(record -> record.get("user").asString()).containsExactly("earlier", "alice", "bob");
        assertThat(records).allSatisfy(record -> assertThat(record.get("schemaVersion").asInt()).isEqualTo(1));
        assertThat(Files.readString(file)).endsWith("}\n");
    }

    @Test
    void manyThreadsWritingAtOnceGiveOnlyWholeLinesAndLoseNone() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        int threads = 16;
        int perThread = 400;
        // long records too: longer than the file's write buffer, so that one line is more than one system call
        String longCommand = "x".repeat(70_000);
        try (AuditStream audit = AuditStream.file(file, threads * perThread, registry)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                writers.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        audit.write(record("user-" + thread + "-" + i, i % 100 == 0 ? longCommand : "id"));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> writer : writers) {
                writer.get(1, TimeUnit.MINUTES);
            }
            pool.shutdown();
        }

        Set<String> users = new HashSet<>();
        for (JsonNode record : parseEveryLine(file)) {
            assertThat(record.get("schemaVersion").asInt()).isEqualTo(1);
            users.add(record.get("user").asString());
        }
        assertThat(users).hasSize(threads * perThread);
        assertThat(dropped("queue_full")).isZero();
    }

    /**
     * The claim that makes stdout safe to share: Logback's console appender and the audit writer each write a whole
     * line in one call on System.out, so a line is either an application's log line or an audit record, never parts of
     * both.
     */
    @Test
    void onStandardOutputAuditLinesAndLogbackConsoleLinesNeverShareALine() throws Exception {
        Path captured = dir.resolve("stdout");
        int expectedLogLines;
        PrintStream original = System.out;
        LoggerContext logging = new LoggerContext();
        logging.setMDCAdapter(new LogbackMDCAdapter());
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        try (PrintStream stdout = new YieldingPrintStream(new FileOutputStream(captured.toFile()))) {
            System.setOut(stdout);
            PatternLayoutEncoder encoder = new PatternLayoutEncoder();
            encoder.setContext(logging);
            encoder.setPattern("application line %msg%n");
            encoder.start();
            console.setContext(logging);
            console.setEncoder(encoder);
            console.start();
            Logger logger = logging.getLogger("app");
            logger.addAppender(console);

            String logged = "y".repeat(1_000);
            List<String> records = new ArrayList<>();
            for (int i = 0; i < 2_000; i++) {
                records.add(record("user-" + i, i % 10 == 0 ? "z".repeat(20_000) : "id"));
            }
            // the application logs all the while the audit records are written (bounded, should the writer hang)
            AtomicBoolean auditing = new AtomicBoolean(true);
            AtomicInteger logLines = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(3);
            List<Future<?>> loggers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                loggers.add(pool.submit(() -> {
                    while (auditing.get() && logLines.get() < 50_000) {
                        logger.info(logged);
                        logLines.incrementAndGet();
                    }
                }));
            }
            try (AuditStream audit = AuditStream.stdout(records.size(), registry)) {
                while (logLines.get() == 0) {
                    Thread.onSpinWait();
                }
                records.forEach(audit::write);
            } finally {
                auditing.set(false);
                for (Future<?> each : loggers) {
                    each.get(1, TimeUnit.MINUTES);
                }
                pool.shutdown();
            }
            expectedLogLines = logLines.get();
        } finally {
            console.stop();
            logging.stop();
            System.setOut(original);
        }

        int auditLines = 0;
        int applicationLines = 0;
        for (String line : Files.readAllLines(captured, StandardCharsets.UTF_8)) {
            if (line.startsWith("{")) {
                assertThat(JsonMapper.shared().readTree(line).get("schemaVersion").asInt()).isEqualTo(1);
                auditLines++;
            } else {
                assertThat(line).as("an application line, whole").isEqualTo("application line " + "y".repeat(1_000));
                applicationLines++;
            }
        }
        assertThat(auditLines).isEqualTo(2_000);
        assertThat(applicationLines).isEqualTo(expectedLogLines);
    }

    /**
     * System.out as a scheduler that favours interleaving would make it: after each write the writing thread lets
     * the others go first, so that a line written in more than one call would be split by another thread's line.
     */
    static final class YieldingPrintStream extends PrintStream {

        YieldingPrintStream(OutputStream out) {
            super(out, false, StandardCharsets.UTF_8);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            super.write(bytes, offset, length);
            Thread.yield();
        }
    }

    /** A sink whose write waits until released, as a full pipe or a stalled disk does. */
    static final class StalledOutput extends OutputStream {

        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final ByteArrayOutputStream written = new ByteArrayOutputStream();

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] bytes, int offset, int length) {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            written.write(bytes, offset, length);
        }
    }

    @Test
    void aFullQueueDropsAndCountsTheRecordInsteadOfBlockingTheCaller() throws Exception {
        StalledOutput stalled = new StalledOutput();
        AuditStream audit = new AuditStream(stalled, 1, registry);

        audit.write("{\"n\":1}");
        assertThat(stalled.entered.await(1, TimeUnit.MINUTES)).as("the writer took the first record").isTrue();
        audit.write("{\"n\":2}"); // waits in the queue (one place)
        audit.write("{\"n\":3}"); // no place: dropped, and the caller goes on

        assertThat(dropped("queue_full")).isEqualTo(1);
        stalled.release.countDown();
        audit.close();
        assertThat(stalled.written.toString(StandardCharsets.UTF_8)).isEqualTo("{\"n\":1}\n{\"n\":2}\n");
    }

    @Test
    void aFailedWriteIsCountedAndTheNextRecordsStillGoOut() throws Exception {
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        AtomicBoolean failNext = new AtomicBoolean(true);
        OutputStream failingOnce = new OutputStream() {
            @Override
            public void write(int b) {
                written.write(b);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                if (failNext.getAndSet(false)) {
                    throw new IOException("No space left on device");
                }
                written.write(bytes, offset, length);
            }
        };

        try (AuditStream audit = new AuditStream(failingOnce, 16, registry)) {
            audit.write("{\"n\":1}");
            audit.write("{\"n\":2}");
        }

        assertThat(dropped("write_failed")).isEqualTo(1);
        assertThat(written.toString(StandardCharsets.UTF_8)).isEqualTo("{\"n\":2}\n");
    }

    @Test
    void aRecordAfterCloseIsCountedNotLostSilently() throws IOException {
        AuditStream audit = AuditStream.file(dir.resolve("audit.jsonl"), 4, registry);
        audit.close();

        audit.write("{\"n\":1}");

        assertThat(dropped("write_failed")).isEqualTo(1);
        assertThat(Files.readString(dir.resolve("audit.jsonl"))).isEmpty();
    }
}
