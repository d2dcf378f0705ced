package io.github.kubeletauthproxy.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The same node contract as the local node, provided by k3s in Docker through Testcontainers' k3s module:
 * the kubelet port is published, the client CA (which the kubelet trusts) signs the proxy's certificate and
 * the test users, and a logger pod runs from busybox. Only where a Docker engine answers; elsewhere the
 * class is skipped with a message. Not exercised on the project's own machines, which have no Docker engine.
 */
final class K3sNode {

    static final String IMAGE = "rancher/k3s:v1.34.1-k3s1";
    private static final String TLS = "/var/lib/rancher/k3s/server/tls/";

    private K3sNode() {
    }

    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    static LocalNode.Node start() {
        try {
            @SuppressWarnings("resource")
            K3sContainer k3s = new K3sContainer(DockerImageName.parse(IMAGE))
                    .withCommand("server", "--disable=traefik", "--disable=metrics-server");
            k3s.addExposedPort(10250);
            k3s.start();
            Path dir = Files.createTempDirectory("kap-k3s");
            for (String file : List.of("client-ca.crt", "client-ca.key", "server-ca.crt", "service.key")) {
                k3s.copyFileFromContainer(TLS + file, dir.resolve(file).toString());
            }
            Path adminConfig = dir.resolve("admin.kubeconfig");
            Files.writeString(adminConfig, k3s.getKubeConfigYaml());
            KubernetesClient admin = KubernetesClients.create(adminConfig.toString(), config -> config);
            String nodeName = admin.nodes().list().getItems().get(0).getMetadata().getName();

            Map<String, String> env = new LinkedHashMap<>();
            env.put("KUBECONFIG", adminConfig.toString());
            env.put("LOCAL_NODE_NAME", nodeName);
            env.put("KUBELET_URL", "https://" + k3s.getHost() + ":" + k3s.getMappedPort(10250));
            env.put("KUBELET_CA_FILE", dir.resolve("server-ca.crt").toString());
            env.put("CLUSTER_CA_FILE", dir.resolve("client-ca.crt").toString());
            env.put("CLUSTER_CA_KEY_FILE", dir.resolve("client-ca.key").toString());
            env.put("SERVICE_ACCOUNT_KEY_FILE", dir.resolve("service.key").toString());
            Identities identities = new Identities(admin, env);

            grantProxy(admin);
            Identities.X509User proxyUser = identities.x509User("kubelet-auth-proxy", List.of());
            Identities.writePem(proxyUser, dir.resolve("proxy.crt"), dir.resolve("proxy.key"));
            env.put("PROXY_CLIENT_CERT_FILE", dir.resolve("proxy.crt").toString());
            env.put("PROXY_CLIENT_KEY_FILE", dir.resolve("proxy.key").toString());
            Path proxyConfig = dir.resolve("proxy.kubeconfig");
            Files.writeString(proxyConfig, k3s.getKubeConfigYaml()
                    .replaceAll("client-certificate-data: .*", "client-certificate: " + dir.resolve("proxy.crt"))
                    .replaceAll("client-key-data: .*", "client-key: " + dir.resolve("proxy.key")));
            env.put("PROXY_KUBECONFIG", proxyConfig.toString());

            admin.pods().inNamespace("default").resource(new PodBuilder()
                    .withNewMetadata().withName("logger").endMetadata()
                    .withNewSpec().withNodeName(nodeName).withHostNetwork(true).withAutomountServiceAccountToken(false)
                    .addNewContainer().withName("logger").withImage("busybox:1.36")
                    .withCommand("/bin/sh", "-c", "i=0; while true; do i=$((i+1)); echo \"line $i\"; sleep 1; done")
                    .endContainer().endSpec().build()).createOr(existing -> existing.update());
            admin.pods().inNamespace("default").withName("logger")
                    .waitUntilCondition(pod -> pod != null && "Running".equals(pod.getStatus().getPhase()),
                            Duration.ofMinutes(3).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            return new LocalNode.Node(env, admin, identities);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start k3s: " + e.getMessage(), e);
        }
    }

    private static void grantProxy(KubernetesClient admin) {
        admin.rbac().clusterRoles().resource(new ClusterRoleBuilder().withNewMetadata().withName("kubelet-auth-proxy-to-kubelet")
                .endMetadata().addNewRule().withApiGroups("").withResources("nodes/proxy", "nodes/stats", "nodes/metrics",
                        "nodes/log", "nodes/pods", "nodes/healthz", "nodes/configz", "nodes/checkpoint")
                .withVerbs("get", "create", "update", "patch", "delete").endRule().build()).createOr(existing -> existing.update());
        for (String role : List.of("kubelet-auth-proxy-to-kubelet", "system:auth-delegator")) {
            admin.rbac().clusterRoleBindings().resource(new ClusterRoleBindingBuilder().withNewMetadata()
                    .withName("kubelet-auth-proxy-" + role.replace(':', '-')).endMetadata()
                    .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole").withName(role).endRoleRef()
                    .addNewSubject().withApiGroup("rbac.authorization.k8s.io").withKind("User").withName("kubelet-auth-proxy").endSubject()
                    .build()).createOr(existing -> existing.update());
        }
    }
}
