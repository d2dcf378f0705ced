package io.github.kubeletauthproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The hardened layout: the kubelet listens on 127.0.0.1 only and kubelet-auth-proxy on the node's address, so
 * the real API server reaches the kubelet through the proxy. Real kubectl runs exec, attach, logs -f,
 * port-forward and node proxy requests; each is checked for its result and for having crossed the proxy.
 */
@ExtendWith(LocalNode.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamsThroughApiServerE2eTest {

    static final int SIXTY_FOUR_MIB = 64 * 1024 * 1024;

    LocalNode.Node node;
    Map<String, String> env;
    Path proxyLog;

    @BeforeAll
    void setUp(LocalNode.Node node) {
        this.node = node;
        env = node.layout("--kubelet-behind-proxy");
        proxyLog = LocalNode.repositoryRoot().resolve(".local-node/proxy.log");
    }

    @AfterAll
    void tearDown() {
        node.layout("--kubelet-direct");
    }

    record Run(int exit, String out, String err) {
    }

    Run kubectl(Map<String, String> extraEnv, String stdin, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("kubectl"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("KUBECONFIG", env.get("KUBECONFIG"));
        builder.environment().putAll(extraEnv);
        Process process = builder.start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        try (OutputStream in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException("kubectl " + args[0] + " did not finish");
        }
        return new Run(process.exitValue(), out.get(), err.get());
    }

    static String read(InputStream stream) {
        try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }

    long auditLines(String kind) throws IOException {
        return auditLines(streamOf(kind, ""));
    }

    /** The audit lines of streams of one kind ({@code exec}, {@code attach}, {@code portforward}) containing a text. */
    static Predicate<String> streamOf(String kind, String containing) {
        return line -> line.contains("\"stream\":{\"kind\":\"" + kind + "\"") && line.contains(containing);
    }

    /** The proxy writes a stream's audit line just after the stream closed: wait for it (bounded). */
    long awaitAuditLines(String kind, long atLeast) throws Exception {
        return awaitAuditLines(kind, "", atLeast);
    }

    long awaitAuditLines(String kind, String containing, long atLeast) throws Exception {
        return awaitAuditLines(streamOf(kind, containing), atLeast);
    }

    /** Any request's audit line is written as its exchange ends, which may be just after the client read the answer. */
    long awaitAuditLines(Predicate<String> matching, long atLeast) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (auditLines(matching) < atLeast && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        return auditLines(matching);
    }

    long auditLines(Predicate<String> matching) throws IOException {
        return Files.readAllLines(proxyLog).stream().filter(matching).count();
    }

    @ParameterizedTest(name = "kubectl exec, websockets from kubectl: {0}")
    @ValueSource(strings = {"true", "false"})
    void execRunsThroughTheProxyWithStdinStdoutStderrAndTheExitCode(String websockets) throws Exception {
        Map<String, String> mode = Map.of("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", websockets);
        // a mark in both commands finds exactly these two streams among the proxy's audit lines
        String mark = "mark-" + System.nanoTime();

        Run failing = kubectl(mode, null, "exec", "logger", "--", "sh", "-c",
                "echo to-stdout; echo to-stderr >&2; : " + mark + "; exit 3");
        Run echo = kubectl(mode, "typed into stdin\n", "exec", "-i", "logger", "--", "sh", "-c", "cat; : " + mark);

        assertThat(failing.exit()).isEqualTo(3);
        assertThat(failing.out()).isEqualTo("to-stdout\n");
        assertThat(failing.err()).contains("to-stderr");
        assertThat(echo.exit()).as(echo.err()).isZero();
        assertThat(echo.out()).isEqualTo("typed into stdin\n");
        assertThat(awaitAuditLines("exec", mark, 2)).isEqualTo(2);
    }

    @Test
    void aTtyResizeReachesTheContainersTerminal() throws Exception {
        String marker = "7." + System.nanoTime() % 1000;
        ProcessBuilder script = new ProcessBuilder("script", "-qec",
                "stty cols 123 rows 45; kubectl exec -it logger -- /bin/sh -c 'sleep " + marker + "'", "/dev/null")
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
        script.environment().put("KUBECONFIG", env.get("KUBECONFIG"));
        Process session = script.start();
        try {
            String size = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (size == null && System.nanoTime() < deadline) {
                Thread.sleep(300);
                // the container's own process, seen from the host: its terminal is the pty the kubelet made
                size = ProcessHandle.allProcesses()
                        .filter(p -> p.info().command().map(c -> c.endsWith("/sleep") || c.endsWith("busybox")).orElse(false))
                        .filter(p -> p.info().arguments().map(a -> List.of(a).contains(marker)).orElse(false))
                        .map(p -> sttySize(p.pid())).filter(s -> s != null && !s.startsWith("0 0")).findFirst().orElse(null);
            }
            assertThat(size).isEqualTo("45 123");
        } finally {
            session.destroyForcibly();
        }
    }

    static String sttySize(long pid) {
        try {
            Process stty = new ProcessBuilder("stty", "-F", "/proc/" + pid + "/fd/0", "size").start();
            String out = read(stty.getInputStream()).trim();
            return stty.waitFor() == 0 ? out : null;
        } catch (Exception e) {
            return null;
        }
    }

    @Test
    void attachAndLogsFollowStreamThePodsOutput() throws Exception {
        long before = auditLines("attach");
        ProcessBuilder attachCommand = new ProcessBuilder("kubectl", "attach", "logger", "-c", "logger").redirectErrorStream(true);
        ProcessBuilder followCommand = new ProcessBuilder("kubectl", "logs", "-f", "logger", "--tail=1");
        attachCommand.environment().put("KUBECONFIG", env.get("KUBECONFIG"));
        followCommand.environment().put("KUBECONFIG", env.get("KUBECONFIG"));
        Process attach = attachCommand.start();
        Process follow = followCommand.start();
        for (Process process : List.of(attach, follow)) {
            process.getOutputStream().close();
        }
        try {
            assertThat(twoNumberedLines(attach.getInputStream())).isTrue();
            assertThat(twoNumberedLines(follow.getInputStream())).isTrue();
        } finally {
            attach.destroy();
            follow.destroy();
        }
        attach.waitFor(10, TimeUnit.SECONDS);
        assertThat(awaitAuditLines("attach", before + 1)).isGreaterThan(before);
    }

    boolean twoNumberedLines(InputStream output) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8));
        int numbered = 0;
        String line;
        while (numbered < 2 && (line = reader.readLine()) != null) {
            if (line.matches("line \\d+")) {
                numbered++;
            }
        }
        return numbered == 2;
    }

    @ParameterizedTest(name = "kubectl port-forward, websockets from kubectl: {0}")
    @ValueSource(strings = {"true", "false"})
    void portForwardMoves64MiBEachWayIntact(String websockets) throws Exception {
        long before = auditLines("portforward");
        ProcessBuilder builder = new ProcessBuilder("kubectl", "port-forward", "pod/logger", ":18081");
        builder.environment().put("KUBECONFIG", env.get("KUBECONFIG"));
        builder.environment().put("KUBECTL_PORT_FORWARD_WEBSOCKETS", websockets);
        Process forward = builder.redirectErrorStream(true).start();
        try {
            BufferedReader output = new BufferedReader(new InputStreamReader(forward.getInputStream(), StandardCharsets.UTF_8));
            Matcher port = null;
            String line;
            while ((line = output.readLine()) != null) {
                Matcher m = Pattern.compile("Forwarding from 127\\.0\\.0\\.1:(\\d+)").matcher(line);
                if (m.find()) {
                    port = m;
                    break;
                }
            }
            assertThat(port).as("kubectl port-forward printed its local port").isNotNull();
            try (Socket socket = new Socket("127.0.0.1", Integer.parseInt(port.group(1)))) {
                CompletableFuture<String> sent = CompletableFuture.supplyAsync(() -> {
                    try {
                        MessageDigest digest = MessageDigest.getInstance("SHA-256");
                        Random random = new Random(42);
                        byte[] chunk = new byte[64 * 1024];
                        OutputStream out = socket.getOutputStream();
                        for (int written = 0; written < SIXTY_FOUR_MIB; written += chunk.length) {
                            random.nextBytes(chunk);
                            digest.update(chunk);
                            out.write(chunk);
                        }
                        out.flush();
                        return HexFormat.of().formatHex(digest.digest());
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                InputStream in = socket.getInputStream();
                byte[] buffer = new byte[64 * 1024];
                long received = 0;
                socket.setSoTimeout(60_000);
                while (received < SIXTY_FOUR_MIB) {
                    int n = in.read(buffer, 0, (int) Math.min(buffer.length, SIXTY_FOUR_MIB - received));
                    if (n < 0) {
                        break;
                    }
                    digest.update(buffer, 0, n);
                    received += n;
                }
                assertThat(received).isEqualTo(SIXTY_FOUR_MIB);
                assertThat(HexFormat.of().formatHex(digest.digest())).isEqualTo(sent.get(2, TimeUnit.MINUTES));
            }
        } finally {
            forward.destroy();
            forward.waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(awaitAuditLines("portforward", before + 1)).isGreaterThan(before);
    }

    @Test
    void nodeProxyRequestsOfTheApiServerGoThroughTheProxy() throws Exception {
        Run stats = kubectl(Map.of(), null, "get", "--raw", "/api/v1/nodes/" + node.nodeName() + "/proxy/stats/summary");

        assertThat(stats.exit()).as(stats.err()).isZero();
        assertThat(stats.out()).contains("\"nodeName\": \"" + node.nodeName() + "\"");
        assertThat(awaitAuditLines(line -> line.contains("\"user\":\"kube-apiserver-kubelet-client\"")
                && line.contains("\"path\":\"/stats/summary\""), 1)).isPositive();
    }
}
