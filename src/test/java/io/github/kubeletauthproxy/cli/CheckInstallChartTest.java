package io.github.kubeletauthproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.github.kubeletauthproxy.cli.CheckInstallCommand.NodeAddress;
import io.github.kubeletauthproxy.cli.CheckInstallCommand.PodOnNode;
import io.github.kubeletauthproxy.cli.CheckInstallCommand.Settings;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The chart's {@code helm test} pod and {@code check-install} agree: the arguments {@code helm template} renders are
 * ones the command accepts, and mean what the values say (where the proxy is, its port, the DaemonSet's own labels,
 * the answer without a token, the timeout); the pod runs the proxy's image with the downward-API variables the
 * command reads. (The pod in a cluster: HelmInstallE2eTest.)
 */
class CheckInstallChartTest {

    static final Path REPO = Path.of("").toAbsolutePath();

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> render(List<String> values) throws IOException, InterruptedException {
        String helm = exec(List.of(REPO.resolve("scripts/tools").toString(), "helm")).strip();
        List<String> command = new ArrayList<>(List.of(helm, "template", "kap", "helm/kubelet-auth-proxy", "-n", "kube-system",
                "--set", "tls.mode=existingSecret", "--set", "tls.existingSecret=kap-tls"));
        for (String value : values) {
            command.addAll(List.of("--set", value));
        }
        List<Map<String, Object>> documents = new ArrayList<>();
        for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(exec(command))) {
            if (document != null) {
                documents.add((Map<String, Object>) document);
            }
        }
        return documents;
    }

    static String exec(List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("helm", ".out");
        Process process = new ProcessBuilder(command).directory(REPO.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        assertThat(process.waitFor(15, TimeUnit.MINUTES)).as(command + " finished").isTrue();
        String output = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(command + ": " + output).isZero();
        return output;
    }

    static Map<String, Object> kind(List<Map<String, Object>> documents, String kind) {
        return documents.stream().filter(document -> kind.equals(document.get("kind"))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " rendered"));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> at(Map<String, Object> map, String... keys) {
        Map<String, Object> here = map;
        for (String key : keys) {
            here = (Map<String, Object>) here.get(key);
        }
        return here;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> container(Map<String, Object> workload) {
        Map<String, Object> spec = workload.get("kind").equals("Pod") ? at(workload, "spec") : at(workload, "spec", "template", "spec");
        return ((List<Map<String, Object>>) spec.get("containers")).get(0);
    }

    static Stream<Arguments> valueSets() {
        return Stream.of(
                // values, the proxy through the node's address, port, status without a token, timeout
                Arguments.of(List.of(), false, 10443, 401, Duration.ofSeconds(90)),
                Arguments.of(List.of("hostNetwork=true"), true, 10443, 401, Duration.ofSeconds(90)),
                Arguments.of(List.of("hostPort=20443"), true, 20443, 401, Duration.ofSeconds(90)),
                Arguments.of(List.of("config.listen.port=9443", "config.authentication.anonymous=true", "test.timeoutSeconds=30"),
                        false, 9443, 403, Duration.ofSeconds(30)));
    }

    @ParameterizedTest
    @MethodSource("valueSets")
    @SuppressWarnings("unchecked")
    void theRenderedTestPodRunsCheckInstallWithArgumentsItAccepts(List<String> values, boolean viaNode, int port,
            int statusWithoutToken, Duration timeout) throws Exception {
        List<Map<String, Object>> documents = render(values);
        Map<String, Object> proxy = container(kind(documents, "DaemonSet"));
        Map<String, Object> test = container(kind(documents, "Pod"));
        List<String> args = (List<String>) test.get("args");
        Map<String, String> fromDownwardApi = ((List<Map<String, Object>>) test.get("env")).stream()
                .filter(variable -> variable.containsKey("valueFrom"))
                .collect(Collectors.toMap(variable -> (String) variable.get("name"),
                        variable -> (String) at(variable, "valueFrom", "fieldRef").get("fieldPath")));

        assertThat(test.get("image")).isEqualTo(proxy.get("image"));
        assertThat(test).doesNotContainKey("command");
        assertThat(args.get(0)).isEqualTo("check-install");
        Settings settings = CheckInstallCommand.parse(args.subList(1, args.size()).toArray(String[]::new),
                Map.of("HOST_IP", "10.0.0.1", "NODE_NAME", "node-1", "KUBERNETES_SERVICE_HOST", "10.96.0.1"), Path.of("sa"));
        assertThat(settings.port()).isEqualTo(port);
        assertThat(settings.statusWithoutToken()).isEqualTo(statusWithoutToken);
        assertThat(settings.timeout()).isEqualTo(timeout);
        assertThat(settings.caFile()).isNull();
        if (viaNode) {
            assertThat(settings.target()).isEqualTo(new NodeAddress("10.0.0.1"));
            assertThat(fromDownwardApi).containsEntry("HOST_IP", "status.hostIP");
        } else {
            PodOnNode pod = (PodOnNode) settings.target();
            Map<String, Object> daemonSetLabels = at(kind(documents, "DaemonSet"), "spec", "selector", "matchLabels");
            assertThat(Arrays.stream(pod.labelSelector().split(",")).map(label -> label.split("=", 2))
                    .collect(Collectors.toMap(label -> label[0], label -> (Object) label[1]))).isEqualTo(daemonSetLabels);
            assertThat(pod.namespace()).isEqualTo("kube-system");
            assertThat(pod.nodeName()).isEqualTo("node-1");
            assertThat(fromDownwardApi).containsEntry("NODE_NAME", "spec.nodeName");
        }
    }
}
