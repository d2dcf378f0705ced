package io.github.kubeletauthproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.github.kubeletauthproxy.e2e.Identities.NamespacedGrant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Pod-scoped access on the real node: a ServiceAccount whose only permissions are {@code get pods/log},
 * {@code create pods/exec} and {@code list pods} in its own namespace reaches that namespace's pod straight through the
 * proxy (logs, WebSocket exec, a SPDY exec the kubelet accepts) and nothing else: not the pod of another namespace, not
 * the node's stats, metrics or running pods; and its {@code /pods} is exactly its namespace's pods on this node. The
 * kubelet itself refuses all of it to the same token. (With the setting off the proxy refuses exactly as the kubelet:
 * the caller "pod rights in default" of {@link KubeletDifferentialE2eTest}.)
 */
@ExtendWith(LocalNode.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PodScopedAccessE2eTest {

    static final String TENANT_NAMESPACE = "kap-e2e-tenant";
    static final String TENANT_POD = "tenant-app";

    LocalNode.Node node;
    ProxyUnderTest proxy;
    String tenant;

    @BeforeAll
    void setUp(LocalNode.Node node) throws Exception {
        this.node = node;
        Identities ids = node.identities();
        tenant = ids.namespacedServiceAccountToken(TENANT_NAMESPACE, "tenant", NamespacedGrant.of("pods/log", "get"),
                NamespacedGrant.of("pods/exec", "create"), NamespacedGrant.of("pods", "list"));
        startTenantPod();
        ids.awaitGrants();
        proxy = ProxyUnderTest.start(node, Map.of("kubelet-auth-proxy.authorization.pod-scoped", "true"));
    }

    /** A pod of the tenant's namespace on this node: the test pod's image and shape, writing its own numbered lines. */
    void startTenantPod() {
        Pod logger = node.admin().pods().inNamespace("default").withName("logger").get();
        Pod pod = new PodBuilder().withNewMetadata().withName(TENANT_POD).withNamespace(TENANT_NAMESPACE).endMetadata()
                .withNewSpec().withNodeName(node.nodeName()).withHostNetwork(true).withAutomountServiceAccountToken(false)
                .withEnableServiceLinks(false).withTerminationGracePeriodSeconds(1L)
                .addNewContainer().withName("app").withImage(logger.getSpec().getContainers().get(0).getImage())
                .withImagePullPolicy("Never")
                .withCommand("/bin/sh", "-c", "i=0; while true; do i=$((i+1)); echo \"tenant line $i\"; sleep 1; done")
                .endContainer().endSpec().build();
        node.admin().pods().inNamespace(TENANT_NAMESPACE).resource(pod).createOr(existing -> existing.update());
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!"Running".equals(phase())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("pod " + TENANT_NAMESPACE + "/" + TENANT_POD + " is not Running after 120 s");
            }
            sleep(200);
        }
    }

    String phase() {
        Pod pod = node.admin().pods().inNamespace(TENANT_NAMESPACE).withName(TENANT_POD).get();
        return pod == null || pod.getStatus() == null ? null : pod.getStatus().getPhase();
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
        node.admin().pods().inNamespace(TENANT_NAMESPACE).withName(TENANT_POD).delete();
    }

    SSLContext proxyTls() {
        return Identities.sslContext(null, proxy.servingCa());
    }

    HttpResponse<String> get(String base, SSLContext tls, String pathAndQuery) throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(tls).build();
        return client.send(HttpRequest.newBuilder(URI.create(base + pathAndQuery)).header("Authorization", "Bearer " + tenant)
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theTenantReadsItsOwnPodsLogsWhichTheKubeletRefusesIt() throws Exception {
        // the pod writes a line a second: wait for the first one rather than for time
        HttpResponse<String> logs = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (logs == null || !logs.body().contains("tenant line")) {
            if (System.nanoTime() > deadline) {
                break;
            }
            logs = get(proxy.url(), proxyTls(), "/containerLogs/" + TENANT_NAMESPACE + "/" + TENANT_POD + "/app?tailLines=2");
        }
        assertThat(logs.statusCode()).isEqualTo(200);
        assertThat(logs.body()).contains("tenant line");

        var direct = get(node.kubeletUrl(), Identities.sslContext(null, node.file("KUBELET_CA_FILE")),
                "/containerLogs/" + TENANT_NAMESPACE + "/" + TENANT_POD + "/app?tailLines=2");
        assertThat(direct.statusCode()).isEqualTo(403);
    }

    @Test
    void theTenantRunsACommandInItsOwnPodOverWebSocket() throws Exception {
        String exec = "/exec/" + TENANT_NAMESPACE + "/" + TENANT_POD + "/app?command=sh&command=-c&command="
                + java.net.URLEncoder.encode("echo hello-from-the-tenant", StandardCharsets.UTF_8) + "&output=1";
        try (var socket = ChannelWebSocket.connect(proxyTls(), proxy.url().replace("https://", "wss://") + exec,
                "v4.channel.k8s.io", tenant)) {
            assertThat(socket.drain(1, Duration.ofSeconds(30))).isEqualTo("hello-from-the-tenant\n");
            assertThat(socket.drain(3, Duration.ofSeconds(5))).contains("\"status\":\"Success\"");
        }
    }

    @Test
    void aSpdyExecInTheTenantsPodIsSwitchedByTheKubeletAndOneInAnotherNamespaceIsRefused() throws Exception {
        String own = spdyUpgrade("/exec/" + TENANT_NAMESPACE + "/" + TENANT_POD + "/app?command=true&output=1");
        String other = spdyUpgrade("/exec/default/logger/logger?command=true&output=1");

        assertThat(own).startsWith("HTTP/1.1 101 ");
        assertThat(own.toLowerCase()).contains("upgrade: spdy/3.1");
        assertThat(other).startsWith("HTTP/1.1 403 ").contains("pod-scoped (verb=create, resource=pods, subresource=exec, "
                + "namespace=default, name=logger)");
    }

    /** The status line and headers the proxy answers to a SPDY/3.1 exec upgrade with the tenant's token. */
    String spdyUpgrade(String pathAndQuery) throws Exception {
        try (SSLSocket socket = (SSLSocket) proxyTls().getSocketFactory().createSocket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(30_000);
            String upgrade = "POST " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
                    + "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\nContent-Length: 0\r\n"
                    + "Authorization: Bearer " + tenant + "\r\n\r\n";
            socket.getOutputStream().write(upgrade.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            BufferedReader reader = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            StringBuilder head = new StringBuilder();
            String line;
            int length = 0;
            while ((line = reader.readLine()) != null && !line.isEmpty()) {
                head.append(line).append('\n');
                if (line.toLowerCase().startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            if (!head.toString().startsWith("HTTP/1.1 101")) {
                char[] body = new char[length];
                int read = 0;
                while (read < length) {
                    int n = reader.read(body, read, length - read);
                    if (n < 0) {
                        break;
                    }
                    read += n;
                }
                head.append('\n').append(body, 0, read);
            }
            return head.toString();
        }
    }

    @Test
    void everythingOutsideTheTenantsPodsIsRefused() throws Exception {
        for (String path : List.of("/containerLogs/default/logger/logger?tailLines=1", "/stats/summary", "/metrics",
                "/metrics/cadvisor", "/runningpods/", "/logs/", "/configz")) {
            var response = get(proxy.url(), proxyTls(), path);
            assertThat(response.statusCode()).as(path).isEqualTo(403);
            assertThat(response.body()).as(path).startsWith("Forbidden (user=" + Identities.serviceAccountUser(TENANT_NAMESPACE, "tenant"));
        }
    }

    @Test
    void thePodListIsExactlyTheTenantsPodsOnThisNodeAsTheApiServerListsThem() throws Exception {
        var response = get(proxy.url(), proxyTls(), "/pods");

        assertThat(response.statusCode()).isEqualTo(200);
        var list = new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body());
        List<String> shown = new java.util.ArrayList<>();
        list.path("items").forEach(pod -> shown.add(pod.path("metadata").path("namespace").asText() + "/"
                + pod.path("metadata").path("name").asText()));
        List<String> apiServer = node.admin().pods().inNamespace(TENANT_NAMESPACE).list().getItems().stream()
                .filter(pod -> node.nodeName().equals(pod.getSpec().getNodeName()))
                .map(pod -> pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName()).sorted().toList();
        assertThat(shown.stream().sorted().toList()).isEqualTo(apiServer).contains(TENANT_NAMESPACE + "/" + TENANT_POD);
        // the node runs another namespace's pod too, which the tenant does not see
        assertThat(node.admin().pods().inNamespace("default").withName("logger").get().getSpec().getNodeName())
                .isEqualTo(node.nodeName());
        assertThat(shown).doesNotContain("default/logger");
    }
}
