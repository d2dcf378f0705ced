package io.github.kubeletauthproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import io.github.kubeletauthproxy.e2e.Identities.Grant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The machine's real kubectl, pointed at the proxy in front of the real kubelet. */
@ExtendWith(LocalNode.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RealClientsE2eTest {

    /** One Prometheus text-format sample line: name, optional labels, value, optional timestamp. */
    static final Pattern SAMPLE = Pattern.compile(
            "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{.*\\})? [-+]?([0-9.eE+-]+|NaN|[+-]?Inf)( -?[0-9]+)?$");

    ProxyUnderTest proxy;
    Path dir;
    Path anonymousConfig;
    String reader;
    String nobody;
    Identities.X509User x509;

    @BeforeAll
    void setUp(LocalNode.Node node) throws Exception {
        Identities ids = node.identities();
        reader = ids.serviceAccountToken("kubectl-reader", List.of(), Grant.of("stats", "get"), Grant.of("metrics", "get"),
                Grant.of("proxy", "get"));
        nobody = ids.serviceAccountToken("kubectl-nobody", List.of());
        x509 = ids.x509User("kap-e2e-kubectl-x509", List.of(), Grant.of("stats", "get"));
        ids.awaitGrants();
        proxy = ProxyUnderTest.start(node, Map.of());
        dir = Files.createTempDirectory("kap-kubectl");
        anonymousConfig = Kubectl.kubeconfig(dir, proxy.url(), proxy.servingCa(), null, null);
    }

    @AfterAll
    void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void anAllowedTokenReadsStatsSummary() throws Exception {
        var result = Kubectl.run(anonymousConfig, "get", "--raw", "/stats/summary", "--token", reader);

        assertThat(result.exit()).as(result.err()).isZero();
        assertThat(result.out()).contains("\"node\"").contains("\"nodeName\"");
    }

    @Test
    void aDeniedTokenSeesTheKubeletsForbiddenText() throws Exception {
        var result = Kubectl.run(anonymousConfig, "get", "--raw", "/stats/summary", "--token", nobody);

        assertThat(result.exit()).isNotZero();
        assertThat(result.err()).contains("Forbidden (user=" + Identities.serviceAccountUser("kubectl-nobody")
                + ", verb=get, resource=nodes, subresource(s)=[stats])");
    }

    @Test
    void anX509UserFromAKubeconfigReadsStatsAndIsRefusedElsewhere() throws Exception {
        Identities.writePem(x509, dir.resolve("x509.crt"), dir.resolve("x509.key"));
        Path config = Kubectl.kubeconfig(dir, proxy.url(), proxy.servingCa(), dir.resolve("x509.crt"), dir.resolve("x509.key"));

        var allowed = Kubectl.run(config, "get", "--raw", "/stats/summary");
        var denied = Kubectl.run(config, "get", "--raw", "/pods");

        assertThat(allowed.exit()).as(allowed.err()).isZero();
        assertThat(denied.exit()).isNotZero();
        assertThat(denied.err()).contains("Forbidden (user=kap-e2e-kubectl-x509, verb=get, resource=nodes, subresource(s)=[pods proxy])");
    }

    @Test
    void cadvisorMetricsParseAsPrometheusText() throws Exception {
        var result = Kubectl.run(anonymousConfig, "get", "--raw", "/metrics/cadvisor", "--token", reader);

        assertThat(result.exit()).as(result.err()).isZero();
        List<String> samples = result.out().lines().filter(line -> !line.isBlank() && !line.startsWith("#")).toList();
        assertThat(samples).isNotEmpty().allSatisfy(line -> assertThat(line).matches(SAMPLE));
        assertThat(result.out()).contains("# TYPE container_cpu_usage_seconds_total counter");
    }
}
