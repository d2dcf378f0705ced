package io.github.kubeletauthproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.kubeletauthproxy.e2e.Identities.Grant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The chart installed for real: the image built without Docker and imported into containerd, controller-manager and
 * scheduler running, {@code helm install} into kube-system, the DaemonSet's pod Ready, kubectl through the pod's
 * port (allowed and refused), {@code helm test} (the chart's test pod runs the proxy's own image's
 * {@code check-install}: one allowed and two refused requests through the proxy on its node), {@code helm upgrade}
 * rolls the pod, {@code helm uninstall} leaves nothing behind. The commands are the README's "Deploy with Helm"
 * commands, with the local node's few differences spelled out.
 */
@ExtendWith(LocalNode.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HelmInstallE2eTest {

    static final String RELEASE = "kap";
    static final String NAMESPACE = "kube-system";
    static final String SELECTOR = "app.kubernetes.io/instance=" + RELEASE;

    LocalNode.Node node;
    Map<String, String> env;
    Path repo;
    String helm;
    Path dir;

    /**
     * What the local node needs beyond the chart's defaults: the proxy's image as imported (never pulled; the
     * {@code helm test} pod runs the same image with the same pull policy), host networking, the API server's address.
     */
    List<String> localNodeValues() {
        return List.of("--set", "image.pullPolicy=Never", "--set", "hostNetwork=true",
                "--set-json", "extraEnv=[{\"name\":\"KUBERNETES_SERVICE_HOST\",\"value\":\"127.0.0.1\"},"
                        + "{\"name\":\"KUBERNETES_SERVICE_PORT\",\"value\":\"6443\"}]");
    }

    @BeforeAll
    void setUp(LocalNode.Node node) throws Exception {
        this.node = node;
        repo = LocalNode.repositoryRoot();
        env = node.layout("--with-controllers");
        dir = Files.createTempDirectory("kap-helm");
        helm = run(Map.of(), "scripts/tools", "helm").out().trim();
        // a release left by an interrupted earlier run
        run(Map.of(), helm, "uninstall", RELEASE, "-n", NAMESPACE, "--ignore-not-found", "--wait");
        run(Map.of(), "scripts/build-image");
        run(Map.of(), "ctr", "-a", env.get("CONTAINERD_ADDRESS"), "-n", "k8s.io", "images", "import", "target/jib-image.tar");
    }

    @AfterAll
    void tearDown() throws Exception {
        run(Map.of(), helm, "uninstall", RELEASE, "-n", NAMESPACE, "--ignore-not-found", "--wait");
        node.layout("--without-controllers");
    }

    record Run(int exit, String out, String err) {
    }

    Run run(Map<String, String> extraEnv, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(repo.toFile());
        builder.environment().put("KUBECONFIG", env.get("KUBECONFIG"));
        builder.environment().putAll(extraEnv);
        Path out = Files.createTempFile(dir == null ? Path.of("/tmp") : dir, "out", ".txt");
        Path err = Files.createTempFile(dir == null ? Path.of("/tmp") : dir, "err", ".txt");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish");
        }
        Run run = new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        if (run.exit() != 0 && !command[0].equals("kubectl")) {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + run.exit() + "):\n" + run.err() + run.out());
        }
        return run;
    }

    Run helm(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(helm));
        command.addAll(List.of(args));
        return run(Map.of(), command.toArray(String[]::new));
    }

    Run kubectl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("kubectl"));
        command.addAll(List.of(args));
        return run(Map.of(), command.toArray(String[]::new));
    }

    @Test
    @Order(1)
    void everyRenderedManifestIsAcceptedByTheRealApiServer() throws Exception {
        for (Path values : List.of(Path.of("helm/kubelet-auth-proxy/ci/host-network-values.yaml"),
                Path.of("helm/kubelet-auth-proxy/ci/streams-off-values.yaml"), Path.of("helm/kubelet-auth-proxy/values.yaml"))) {
            // without the helm test hooks: their pod needs their ServiceAccount to exist, which a dry-run never creates
            // (helm test below creates them for real)
            String rendered = helm("template", RELEASE, "helm/kubelet-auth-proxy", "-n", NAMESPACE, "--skip-tests", "-f",
                    values.toString()).out();
            Path file = dir.resolve(values.getFileName());
            Files.writeString(file, rendered);
            Run dryRun = kubectl("apply", "--dry-run=server", "-n", NAMESPACE, "-f", file.toString());
            assertThat(dryRun.exit()).as(values + ": " + dryRun.err()).isZero();
        }
    }

    @Test
    @Order(2)
    void installedTheDaemonSetServesAllowedCallersAndRefusesOthers() throws Exception {
        List<String> install = new ArrayList<>(List.of("install", RELEASE, "helm/kubelet-auth-proxy", "-n", NAMESPACE,
                "--wait", "--timeout", "5m"));
        install.addAll(localNodeValues());
        helm(install.toArray(String[]::new));

        assertThat(kubectl("-n", NAMESPACE, "rollout", "status", "daemonset/" + RELEASE + "-kubelet-auth-proxy", "--timeout=3m").exit()).isZero();
        Path ca = dir.resolve("ca.crt");
        Files.writeString(ca, kubectl("-n", NAMESPACE, "get", "configmap", RELEASE + "-kubelet-auth-proxy-ca",
                "-o", "jsonpath={.data.ca\\.crt}").out());
        String allowed = node.identities().serviceAccountToken("helm-reader", List.of(), Grant.of("stats", "get"));
        String denied = node.identities().serviceAccountToken("helm-nobody", List.of());
        node.identities().awaitGrants();

        Run ok = getRaw(ca, allowed);
        Run refused = getRaw(ca, denied);

        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("\"nodeName\"");
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.err()).contains("Forbidden (user=" + Identities.serviceAccountUser("helm-nobody"));
    }

    Run getRaw(Path ca, String token) throws Exception {
        Path config = Kubectl.kubeconfig(dir, "https://127.0.0.1:10443", ca, null, null);
        List<String> command = List.of("kubectl", "--kubeconfig", config.toString(), "get", "--raw", "/stats/summary", "--token", token);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().remove("KUBECONFIG");
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor(1, TimeUnit.MINUTES);
        return new Run(process.exitValue(), out, err);
    }

    @Test
    @Order(3)
    void helmTestPassesThroughTheProxyOnTheNode() throws Exception {
        String testPod = RELEASE + "-kubelet-auth-proxy-test";
        Run test;
        try {
            test = helm("test", RELEASE, "-n", NAMESPACE, "--timeout", "4m");
        } catch (IllegalStateException failed) {
            // a failed test pod is kept (hook-delete-policy hook-succeeded): its log says which request went wrong
            String log = kubectl("-n", NAMESPACE, "logs", testPod).out();
            throw new AssertionError(failed.getMessage() + "\ntest pod log:\n" + log, failed);
        }
        assertThat(test.out()).contains("TEST SUITE:     " + testPod).contains("Phase:          Succeeded");
        // the pod's log (helm.sh/hook-output-log-policy), which helm writes to its log (stderr) before deleting the pod
        String user = Identities.serviceAccountUser(NAMESPACE, testPod);
        assertThat(test.err() + test.out()).contains(
                "the proxy on this node: https://",
                "allowed: GET /healthz with the test's token (get nodes/healthz): expected 200 \"ok\", got 200 \"ok\"",
                "refused: GET /stats/summary with the test's token (no get nodes/stats): expected 403, got 403 \"Forbidden (user="
                        + user + ", verb=get, resource=nodes, subresource(s)=[stats])\"",
                "refused: GET /healthz without a token: expected 401, got 401 \"Unauthorized\"",
                "passed");
        // the test's pod, ServiceAccount and RBAC are hooks deleted when the test passes
        assertThat(leftoversAfter(Duration.ofMinutes(1), "pods,serviceaccounts,clusterroles,clusterrolebindings,roles,rolebindings",
                SELECTOR + ",app.kubernetes.io/component=test")).isBlank();
    }

    @Test
    @Order(4)
    void anUpgradeWithAChangedValueRollsThePod() throws Exception {
        String before = podUid();
        List<String> upgrade = new ArrayList<>(List.of("upgrade", RELEASE, "helm/kubelet-auth-proxy", "-n", NAMESPACE,
                "--wait", "--timeout", "5m", "--set", "config.authorization.denyTtl=20s"));
        upgrade.addAll(localNodeValues());
        helm(upgrade.toArray(String[]::new));
        kubectl("-n", NAMESPACE, "rollout", "status", "daemonset/" + RELEASE + "-kubelet-auth-proxy", "--timeout=3m");

        String after = podUid();
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while ((after.isEmpty() || after.equals(before)) && System.nanoTime() < deadline) {
            Thread.sleep(1000);
            after = podUid();
        }
        assertThat(after).isNotEmpty().isNotEqualTo(before);
        String config = kubectl("-n", NAMESPACE, "get", "configmap", "-l", SELECTOR, "-o", "yaml").out();
        assertThat(config).contains("20s");
    }

    String podUid() throws Exception {
        return kubectl("-n", NAMESPACE, "get", "pods", "-l", SELECTOR, "--field-selector=status.phase=Running",
                "-o", "jsonpath={.items[*].metadata.uid}").out().trim();
    }

    @Test
    @Order(5)
    void uninstallLeavesNothingBehind() throws Exception {
        helm("uninstall", RELEASE, "-n", NAMESPACE, "--wait");
        assertThat(leftoversAfter(Duration.ofMinutes(2),
                "daemonsets,pods,configmaps,secrets,serviceaccounts,services,networkpolicies,clusterroles,clusterrolebindings,roles,rolebindings",
                SELECTOR)).isBlank();
    }

    /** The objects of these kinds with these labels that are still there after waiting up to {@code within} for none. */
    String leftoversAfter(Duration within, String kinds, String selector) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        String left = kubectl("get", kinds, "-A", "-l", selector, "-o", "name").out().trim();
        while (!left.isBlank() && System.nanoTime() < deadline) {
            Thread.sleep(1000);
            left = kubectl("get", kinds, "-A", "-l", selector, "-o", "name").out().trim();
        }
        return left;
    }

}
