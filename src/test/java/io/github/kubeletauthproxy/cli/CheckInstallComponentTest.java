package io.github.kubeletauthproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.github.kubeletauthproxy.support.FakeApiServer;
import io.github.kubeletauthproxy.support.FakeKubelet;
import io.github.kubeletauthproxy.support.RunningProxy;
import io.github.kubeletauthproxy.support.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code check-install} against the proxy itself (its BoringSSL listener, TLS 1.3 only, which busybox wget never
 * reached), as the chart's {@code helm test} runs it: passes for a ServiceAccount allowed {@code get nodes/healthz}
 * only, fails for one that may also read stats.
 */
class CheckInstallComponentTest {

    static final String TEST_USER = "system:serviceaccount:kube-system:kap-kubelet-auth-proxy-test";
    static final String TOO_MUCH_USER = "system:serviceaccount:kube-system:stats-reader";

    static final TestPki CLUSTER = new TestPki("check-install-cluster");
    static final FakeKubelet KUBELET = new FakeKubelet(CLUSTER);

    @RegisterExtension
    static final RunningProxy PROXY = new RunningProxy("n", CLUSTER, KUBELET.url())
            .with("kubelet-auth-proxy.tls.min-version", "TLSv1.3");

    static final FakeApiServer API = PROXY.api();

    @TempDir
    Path dir;

    @AfterAll
    static void stop() {
        KUBELET.close();
    }

    record Run(int exit, String out) {
    }

    Run checkInstallAs(String token) throws IOException {
        Path serviceAccount = Files.createDirectories(dir.resolve(token));
        Files.writeString(serviceAccount.resolve("token"), token);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = CheckInstallCommand.check(CheckInstallCommand.parse(new String[] {"--port", String.valueOf(PROXY.port()),
                "--timeout", "20s"}, Map.of("HOST_IP", "127.0.0.1"), serviceAccount), new PrintStream(out, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void passesForTheTestsServiceAccountThroughTheRealProxy() throws IOException {
        API.addToken("test-sa-token", TEST_USER, List.of("system:serviceaccounts"), List.of());
        API.grant(TEST_USER, "get", "healthz");

        Run run = checkInstallAs("test-sa-token");

        assertThat(run.exit()).as(run.out()).isZero();
        assertThat(run.out()).contains(
                "allowed: GET /healthz with the test's token (get nodes/healthz): expected 200 \"ok\", got 200 \"ok\"",
                "refused: GET /stats/summary with the test's token (no get nodes/stats): expected 403, got 403 \"Forbidden (user="
                        + TEST_USER + ", verb=get, resource=nodes, subresource(s)=[stats])\"",
                "refused: GET /healthz without a token: expected 401, got 401 \"Unauthorized\"").endsWith("passed\n");
    }

    @Test
    void failsWhenTheServiceAccountMayReadStats() throws IOException {
        API.addToken("stats-sa-token", TOO_MUCH_USER, List.of("system:serviceaccounts"), List.of());
        API.grant(TOO_MUCH_USER, "get", "healthz");
        API.grant(TOO_MUCH_USER, "get", "stats");

        Run run = checkInstallAs("stats-sa-token");

        assertThat(run.exit()).as(run.out()).isEqualTo(CheckInstallCommand.FAILED);
        assertThat(run.out()).contains("FAIL: GET /stats/summary with the test's token (no get nodes/stats): expected 403, got 200")
                .doesNotContain("passed");
    }
}
