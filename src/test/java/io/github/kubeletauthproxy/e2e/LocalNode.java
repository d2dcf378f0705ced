package io.github.kubeletauthproxy.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A JUnit 5 extension that makes sure the real local node (etcd, kube-apiserver, containerd, kubelet,
 * started by {@code scripts/local-node up}) is running, once per test run, and hands tests a {@link LocalNode}:
 * its settings from {@code .local-node/env}, an admin client, and identity helpers.
 */
public final class LocalNode implements ParameterResolver, ExecutionCondition {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(LocalNode.class);

    /** The running node, shared by all e2e tests of one run. */
    public record Node(Map<String, String> env, KubernetesClient admin, Identities identities)
            implements ExtensionContext.Store.CloseableResource, AutoCloseable {

        public String nodeName() {
            return env.get("LOCAL_NODE_NAME");
        }

        public String kubeletUrl() {
            return env.get("KUBELET_URL");
        }

        public Path file(String key) {
            String value = env.get(key);
            if (value == null) {
                throw new IllegalStateException(".local-node/env has no " + key);
            }
            return Path.of(value);
        }

        /** Kills one of the node's processes (etcd, kube-apiserver, containerd, kubelet), as a crash would, and waits until it is gone. */
        public void stop(String process) throws Exception {
            Path pidFile = LocalNode.repositoryRoot().resolve(".local-node/" + process + ".pid");
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            ProcessHandle handle = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException(process + " is not running"));
            handle.destroyForcibly();
            handle.onExit().get(30, TimeUnit.SECONDS);
        }

        /** Brings every stopped part back ({@code scripts/local-node up} restarts what is not running). */
        public void repair() {
            LocalNode.runUp(LocalNode.repositoryRoot());
        }

        /** Switches the kubelet layout: {@code --kubelet-behind-proxy} or {@code --kubelet-direct}. */
        public Map<String, String> layout(String option) {
            LocalNode.runUp(LocalNode.repositoryRoot(), option);
            try {
                return readEnv(LocalNode.repositoryRoot().resolve(".local-node/env"));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() {
            admin.close();
        }
    }

    /** A k3s class is skipped, with the reason printed, where no Docker engine answers. */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (context.getTestClass().map(type -> type.isAnnotationPresent(OnK3s.class)).orElse(false) && !K3sNode.dockerAvailable()) {
            String message = "No Docker engine here: the k3s variant of the e2e suite is skipped; "
                    + "the same suite runs against the real local node (scripts/local-node).";
            System.out.println("[e2e] " + message);
            return ConditionEvaluationResult.disabled(message);
        }
        return ConditionEvaluationResult.enabled("node available");
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Node.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        if (context.getRequiredTestClass().isAnnotationPresent(OnK3s.class)) {
            return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(OnK3s.class, key -> K3sNode.start(), Node.class);
        }
        return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(Node.class, key -> start(), Node.class);
    }

    static Node start() {
        Path repo = repositoryRoot();
        runUp(repo);
        try {
            Map<String, String> env = readEnv(repo.resolve(".local-node/env"));
            KubernetesClient admin = KubernetesClients.create(env.get("KUBECONFIG"), config -> config);
            return new Node(env, admin, new Identities(admin, env));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the local node's settings: " + e.getMessage(), e);
        }
    }

    static void runUp(Path repo, String... options) {
        try {
            java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(repo.resolve("scripts/local-node").toString(), "up"));
            command.addAll(java.util.List.of(options));
            Process up = new ProcessBuilder(command)
                    .directory(repo.toFile()).inheritIO().start();
            if (!up.waitFor(15, TimeUnit.MINUTES)) {
                up.destroyForcibly();
                throw new IllegalStateException("scripts/local-node up did not finish in 15 minutes");
            }
            if (up.exitValue() != 0) {
                throw new IllegalStateException("scripts/local-node up failed with exit code " + up.exitValue());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run scripts/local-node up: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Parses the {@code export KEY=value} lines of the harness's env file. */
    static Map<String, String> readEnv(Path file) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            String trimmed = line.trim();
            if (trimmed.startsWith("export ")) {
                trimmed = trimmed.substring("export ".length());
            }
            int equals = trimmed.indexOf('=');
            if (trimmed.isEmpty() || trimmed.startsWith("#") || equals < 0) {
                continue;
            }
            String value = trimmed.substring(equals + 1);
            if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"") || value.startsWith("'") && value.endsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            env.put(trimmed.substring(0, equals), value);
        }
        return env;
    }

    static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("scripts/local-node"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("scripts/local-node not found above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }
}
