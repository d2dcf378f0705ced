package io.github.kubeletauthproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.github.kubeletauthproxy.cli.CheckInstallCommand.Settings;
import io.github.kubeletauthproxy.support.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code check-install} (the chart's {@code helm test}) against an in-process HTTPS stand-in that answers like the
 * proxy, or like a broken one, and like the API server's pod list.
 */
class CheckInstallCommandTest {

    static final String TOKEN = "test-token";
    static final String SELECTOR = "app.kubernetes.io/name=kubelet-auth-proxy,app.kubernetes.io/instance=kap";
    static final String RUNNING_POD = "{\"items\":[{\"metadata\":{\"name\":\"kap-old\",\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"},"
            + "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.9\"}},"
            + "{\"metadata\":{\"name\":\"kap-new\"},\"status\":{\"phase\":\"Pending\"}},"
            + "{\"metadata\":{\"name\":\"kap-1\"},\"status\":{\"phase\":\"Running\",\"podIP\":\"127.0.0.1\"}}]}";

    static final TestPki PKI = new TestPki("check-install");
    static final TestPki.Issued SERVER = PKI.server("stand-in", List.of("127.0.0.1"), List.of("localhost"));

    @TempDir
    Path dir;
    Path serviceAccount;
    HttpsServer server;
    /** What the stand-in answers; each test sets its own. */
    volatile Behaviour behaviour;
    final List<String> requests = Collections.synchronizedList(new ArrayList<>());

    /**
     * @param healthzDenials how many GET /healthz with the token get 403 before the 200 "ok"
     * @param healthz        the body of the allowed /healthz
     * @param stats          the status of GET /stats/summary with the token (403 from a correct proxy)
     * @param noToken        the status of a request without a token (401 from a correct proxy)
     * @param pods           the API server's pod list
     */
    record Behaviour(int healthzDenials, String healthz, int stats, int noToken, String pods) {

        static Behaviour proxy() {
            return new Behaviour(2, "ok", 403, 401, RUNNING_POD);
        }

        Behaviour withStats(int status) {
            return new Behaviour(healthzDenials, healthz, status, noToken, pods);
        }

        Behaviour withNoToken(int status) {
            return new Behaviour(healthzDenials, healthz, stats, status, pods);
        }

        Behaviour withHealthz(int denials, String body) {
            return new Behaviour(denials, body, stats, noToken, pods);
        }

        Behaviour withPods(String list) {
            return new Behaviour(healthzDenials, healthz, stats, noToken, list);
        }
    }

    record Run(int exit, String out) {
    }

    @BeforeEach
    void start() throws IOException {
        serviceAccount = Files.createDirectories(dir.resolve("serviceaccount"));
        Files.writeString(serviceAccount.resolve("token"), TOKEN + "\n");
        PKI.writeCa(serviceAccount.resolve("ca.crt"));
        AtomicInteger healthzAnswers = new AtomicInteger();
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(PKI.sslContext(SERVER)));
        server.createContext("/", exchange -> {
            Behaviour now = behaviour;
            String path = exchange.getRequestURI().getPath();
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            requests.add(path + (exchange.getRequestURI().getQuery() == null ? "" : "?" + exchange.getRequestURI().getQuery())
                    + (authorization == null ? " (no token)" : authorization.equals("Bearer " + TOKEN) ? " (token)" : " (other)"));
            if (authorization == null) {
                answer(exchange, now.noToken(), now.noToken() == 200 ? "ok" : "Unauthorized");
            } else if (path.startsWith("/api/v1/namespaces/kube-system/pods")) {
                answer(exchange, 200, now.pods());
            } else if (path.equals("/healthz")) {
                boolean denied = healthzAnswers.getAndIncrement() < now.healthzDenials();
                answer(exchange, denied ? 403 : 200, denied ? "Forbidden (not yet)" : now.healthz());
            } else {
                answer(exchange, now.stats(), now.stats() == 200 ? "{\"node\":{}}" : "Forbidden (user=test, verb=get, "
                        + "resource=nodes, subresource(s)=[stats])\n");
            }
        });
        server.start();
        behaviour = Behaviour.proxy();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    Map<String, String> nodeEnv() {
        return Map.of("HOST_IP", "127.0.0.1");
    }

    Map<String, String> podEnv() {
        return Map.of("KUBERNETES_SERVICE_HOST", "127.0.0.1", "KUBERNETES_SERVICE_PORT", String.valueOf(port()),
                "NODE_NAME", "node-1");
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** The command as the chart runs it, with a short pause between GET /healthz attempts. */
    Run check(Map<String, String> env, String... args) {
        Settings parsed = CheckInstallCommand.parse(args, env, serviceAccount);
        Settings settings = new Settings(parsed.target(), parsed.port(), parsed.timeout(), parsed.statusWithoutToken(),
                parsed.caFile(), parsed.serviceAccount(), Duration.ofMillis(20));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = CheckInstallCommand.check(settings, new PrintStream(out, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void passesThroughTheNodeAddressWhenTheProxyAllowsAndRefusesAsItShould() {
        Run run = check(nodeEnv(), "--port", String.valueOf(port()), "--timeout=20s");

        assertThat(run.exit()).as(run.out()).isZero();
        assertThat(run.out()).contains("the proxy on this node: https://127.0.0.1:" + port(),
                "TLS: the proxy's certificate is not verified",
                "not yet: GET /healthz with the test's token (get nodes/healthz): got 403 \"Forbidden (not yet)\"",
                "allowed: GET /healthz with the test's token (get nodes/healthz): expected 200 \"ok\", got 200 \"ok\"",
                "refused: GET /stats/summary with the test's token (no get nodes/stats): expected 403, got 403 \"Forbidden (user=test",
                "refused: GET /healthz without a token: expected 401, got 401 \"Unauthorized\"");
        assertThat(run.out()).endsWith("passed\n");
        assertThat(requests).containsExactly("/healthz (token)", "/healthz (token)", "/healthz (token)",
                "/stats/summary (token)", "/healthz (no token)");
    }

    @Test
    void findsTheRunningProxyPodOnItsNodeThroughTheVerifiedApiServer() {
        Run run = check(podEnv(), "--port=" + port(), "--pod-selector=" + SELECTOR, "--namespace=kube-system");

        assertThat(run.exit()).as(run.out()).isZero();
        assertThat(requests.get(0)).isEqualTo("/api/v1/namespaces/kube-system/pods?labelSelector=" + SELECTOR
                + "&fieldSelector=spec.nodeName=node-1 (token)");
        // the pod being deleted (10.0.0.9) and the one without an address are passed over
        assertThat(run.out()).contains("the proxy on this node: https://127.0.0.1:" + port()).endsWith("passed\n");
    }

    static Stream<Arguments> brokenAnswers() {
        return Stream.of(
                Arguments.of("/stats/summary allowed", Behaviour.proxy().withStats(200), List.of(),
                        "FAIL: GET /stats/summary with the test's token (no get nodes/stats): expected 403, got 200 \"{\"node\":{}}\""),
                Arguments.of("/stats/summary answered 500", Behaviour.proxy().withStats(500), List.of(),
                        "FAIL: GET /stats/summary with the test's token (no get nodes/stats): expected 403, got 500"),
                Arguments.of("no token allowed", Behaviour.proxy().withNoToken(200), List.of(),
                        "FAIL: GET /healthz without a token: expected 401, got 200 \"ok\""),
                Arguments.of("no token 403 where 401 is due", Behaviour.proxy().withNoToken(403), List.of(),
                        "FAIL: GET /healthz without a token: expected 401, got 403"),
                Arguments.of("no token 401 where anonymous makes it 403", Behaviour.proxy(), List.of("--anonymous=true"),
                        "FAIL: GET /healthz without a token: expected 403, got 401"),
                Arguments.of("/healthz never allowed", Behaviour.proxy().withHealthz(Integer.MAX_VALUE, "ok"), List.of(),
                        "FAIL: GET /healthz with the test's token (get nodes/healthz): expected 200 \"ok\", got 403 \"Forbidden (not yet)\""),
                Arguments.of("/healthz allowed with another body", Behaviour.proxy().withHealthz(0, "[+]ping ok"), List.of(),
                        "FAIL: GET /healthz with the test's token (get nodes/healthz): expected 200 \"ok\", got 200 \"[+]ping ok\""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenAnswers")
    void failsWhenAnAnswerIsWrong(String what, Behaviour broken, List<String> extraArgs, String failure) {
        behaviour = broken;
        List<String> args = new ArrayList<>(List.of("--port", String.valueOf(port()), "--timeout", "1s"));
        args.addAll(extraArgs);

        Run run = check(nodeEnv(), args.toArray(String[]::new));

        assertThat(run.exit()).as(run.out()).isEqualTo(CheckInstallCommand.FAILED);
        assertThat(run.out()).contains(failure).doesNotContain("passed");
    }

    @Test
    void passesWithAnonymousOnWhenNoTokenIsForbidden() {
        behaviour = Behaviour.proxy().withNoToken(403);

        Run run = check(nodeEnv(), "--port", String.valueOf(port()), "--anonymous", "true");

        assertThat(run.exit()).as(run.out()).isZero();
        assertThat(run.out()).contains("refused: GET /healthz without a token: expected 403, got 403");
    }

    static Stream<Arguments> podListsWithoutTheProxy() {
        return Stream.of(
                Arguments.of("{\"items\":[]}", "no running proxy pod with an address (0 listed)"),
                Arguments.of("{\"items\":[{\"status\":{\"phase\":\"Pending\"}}]}", "no running proxy pod with an address (1 listed)"),
                Arguments.of("not json", "the answer is not JSON"));
    }

    @ParameterizedTest
    @MethodSource("podListsWithoutTheProxy")
    void failsWhenThePodLookupFindsNoProxy(String pods, String reason) {
        behaviour = Behaviour.proxy().withPods(pods);

        Run run = check(podEnv(), "--port", String.valueOf(port()), "--pod-selector", SELECTOR, "--namespace", "kube-system");

        assertThat(run.exit()).isEqualTo(CheckInstallCommand.FAILED);
        assertThat(run.out()).startsWith("FAIL: listing the proxy's pods (" + SELECTOR + ") in kube-system on node node-1: ")
                .contains(reason);
        assertThat(requests).hasSize(1);
    }

    @Test
    void refusesAnApiServerItsServiceAccountCaDoesNotVerify() throws IOException {
        new TestPki("another").writeCa(serviceAccount.resolve("ca.crt"));

        Run run = check(podEnv(), "--port", String.valueOf(port()), "--pod-selector", SELECTOR, "--namespace", "kube-system");

        assertThat(run.exit()).isEqualTo(CheckInstallCommand.FAILED);
        assertThat(run.out()).startsWith("FAIL: listing the proxy's pods").contains("no answer", "SSLHandshakeException");
        assertThat(requests).isEmpty();
    }

    @Test
    void verifiesTheProxysCertificateChainWithACaFile() throws IOException {
        Path ca = dir.resolve("proxy-ca.crt");
        PKI.writeCa(ca);
        Path otherCa = dir.resolve("other-ca.crt");
        new TestPki("other").writeCa(otherCa);

        Run verified = check(nodeEnv(), "--port", String.valueOf(port()), "--ca-file", ca.toString());
        Run refused = check(nodeEnv(), "--port", String.valueOf(port()), "--timeout", "1s", "--ca-file", otherCa.toString());

        assertThat(verified.exit()).as(verified.out()).isZero();
        assertThat(verified.out()).contains("TLS: the proxy's certificate chain is verified against " + ca);
        assertThat(refused.exit()).isEqualTo(CheckInstallCommand.FAILED);
        assertThat(refused.out()).contains("FAIL: GET /healthz", "no answer", "SSLHandshakeException");
    }

    @Test
    void endsAnAnswerWhoseBodyNeverComesAtTheTimeout() {
        CountDownLatch release = new CountDownLatch(1);
        server.createContext("/healthz", exchange -> {
            // the headers, then nothing until the test is over
            exchange.sendResponseHeaders(200, 100);
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        try {
            Run run = check(nodeEnv(), "--port", String.valueOf(port()), "--timeout", "2s");

            assertThat(run.exit()).as(run.out()).isEqualTo(CheckInstallCommand.FAILED);
            assertThat(run.out()).contains("FAIL: GET /healthz with the test's token (get nodes/healthz): expected 200 \"ok\", "
                    + "got no answer \"no complete answer within");
        } finally {
            release.countDown();
        }
    }

    @Test
    void failsWithoutAServiceAccountToken() throws IOException {
        Files.delete(serviceAccount.resolve("token"));

        Run run = check(nodeEnv(), "--port", String.valueOf(port()));

        assertThat(run.exit()).isEqualTo(CheckInstallCommand.FAILED);
        assertThat(run.out()).startsWith("FAIL: no ServiceAccount token");
        assertThat(requests).isEmpty();
    }

    static Stream<Arguments> usageErrors() {
        Map<String, String> node = Map.of("HOST_IP", "10.0.0.1");
        return Stream.of(
                Arguments.of(List.of(), node, "--port is required"),
                Arguments.of(List.of("--port", "https"), node, "--port takes a port number (1-65535), got 'https'"),
                Arguments.of(List.of("--port=0"), node, "--port takes a port number"),
                Arguments.of(List.of("--port"), node, "--port needs a value"),
                Arguments.of(List.of("--port=10443", "--bogus=1"), node, "unknown option --bogus"),
                Arguments.of(List.of("--port=10443", "extra"), node, "unexpected argument 'extra'"),
                Arguments.of(List.of("--port=10443", "--timeout=soon"), node, "--timeout takes a duration such as 90s or 2m, got 'soon'"),
                Arguments.of(List.of("--port=10443", "--timeout=0s"), node, "--timeout takes a duration"),
                Arguments.of(List.of("--port=10443", "--anonymous=yes"), node, "--anonymous takes true or false, got 'yes'"),
                Arguments.of(List.of("--port=10443", "--pod-selector=a=b"), node, "--pod-selector and --namespace go together"),
                Arguments.of(List.of("--port=10443"), Map.of(), "$HOST_IP is not set"),
                Arguments.of(List.of("--port=10443", "--pod-selector=a=b", "--namespace=ns"), Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
                        "$NODE_NAME is not set"),
                Arguments.of(List.of("--port=10443", "--pod-selector=a=b", "--namespace=ns"), Map.of("NODE_NAME", "node-1"),
                        "$KUBERNETES_SERVICE_HOST is not set"));
    }

    @ParameterizedTest
    @MethodSource("usageErrors")
    void refusesBadArgumentsWithAUsageError(List<String> args, Map<String, String> env, String message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        int exit = CheckInstallCommand.run(args.toArray(String[]::new), env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));

        assertThat(exit).isEqualTo(CheckInstallCommand.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("check-install: " + message).contains(CheckInstallCommand.USAGE_LINE);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(requests).isEmpty();
    }

    @Test
    void readsIPv6AddressesInBrackets() {
        Settings settings = CheckInstallCommand.parse(new String[] {"--port", "10443", "--pod-selector", SELECTOR, "--namespace", "ns"},
                Map.of("KUBERNETES_SERVICE_HOST", "fd00::1", "NODE_NAME", "node-1"), serviceAccount);

        assertThat(((CheckInstallCommand.PodOnNode) settings.target()).apiServer()).hasToString("https://[fd00::1]:443");
        assertThat(settings.timeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(settings.statusWithoutToken()).isEqualTo(401);
    }
}
