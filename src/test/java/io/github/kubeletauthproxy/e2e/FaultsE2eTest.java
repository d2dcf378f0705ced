package io.github.kubeletauthproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.kubeletauthproxy.e2e.Identities.Grant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/** The real parts failing under the proxy: the API server stopped, the kubelet restarted, credentials rotated. */
@ExtendWith(LocalNode.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultsE2eTest {

    LocalNode.Node node;
    ProxyUnderTest proxy;
    HttpClient client;
    java.nio.file.Path audit;

    @BeforeAll
    void setUp(LocalNode.Node node) throws Exception {
        this.node = node;
        audit = java.nio.file.Files.createTempDirectory("kap-faults").resolve("audit.jsonl");
        proxy = ProxyUnderTest.start(node, Map.of("kubelet-auth-proxy.tls.reload-interval", "300ms",
                "kubelet-auth-proxy.audit.output", "file", "kubelet-auth-proxy.audit.file", audit.toString()));
        client = proxy.client();
    }

    @AfterAll
    void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
        node.repair();
    }

    HttpResponse<String> get(String path, String token) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(proxy.url() + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void withTheApiServerStoppedCachedDecisionsServeAndEverythingElseFailsClosed() throws Exception {
        Identities ids = node.identities();
        String warm = ids.serviceAccountToken("faults-warm", List.of(), Grant.of("stats", "get"), Grant.of("metrics", "get"));
        String cold = ids.serviceAccountToken("faults-cold", List.of(), Grant.of("stats", "get"));
        ids.awaitGrants();
        assertThat(get("/stats/summary", warm).statusCode()).isEqualTo(200);

        try {
            node.stop("kube-apiserver");
            var cached = get("/stats/summary", warm);
            var uncachedReview = get("/metrics/cadvisor", warm);
            var uncachedToken = get("/stats/summary", cold);

            assertThat(cached.statusCode()).as("token and decision cached: the kubelet's own cache serves the proxy").isEqualTo(200);
            assertThat(uncachedReview.statusCode()).isEqualTo(500);
            assertThat(uncachedReview.body()).isEqualTo("Authorization error (user=" + Identities.serviceAccountUser("faults-warm")
                    + ", verb=get, resource=nodes, subresource=metrics)");
            assertThat(uncachedToken.statusCode()).isEqualTo(503);
            assertThat(uncachedToken.body()).contains("\"kind\":\"Status\"").contains("TokenReview");
        } finally {
            node.repair();
        }
        // the API server is back: the very next request succeeds (a failed TokenReview was not cached)
        assertThat(get("/stats/summary", cold).statusCode()).isEqualTo(200);
    }

    @Test
    @Order(2)
    void aRestartedKubeletIs502DuringTheGapAndServedAgainWithoutRestartingTheProxy() throws Exception {
        String token = node.identities().serviceAccountToken("faults-pods", List.of(), Grant.of("pods", "get"));
        node.identities().awaitGrants();
        assertThat(get("/pods", token).statusCode()).isEqualTo(200);

        HttpResponse<String> during;
        try {
            node.stop("kubelet");
            during = get("/pods", token);
        } finally {
            node.repair();
        }

        assertThat(during.statusCode()).isEqualTo(502);
        assertThat(during.body()).contains("cannot reach the kubelet at " + node.kubeletUrl());
        int status = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (status != 200 && System.nanoTime() < deadline) {
            status = get("/pods", token).statusCode();
            if (status != 200) {
                Thread.sleep(500);
            }
        }
        assertThat(status).isEqualTo(200);
    }

    @Test
    @Order(3)
    void rotatingTheServingAndUpstreamCertificatesMidRunFailsNoRequest() throws Exception {
        String token = node.identities().serviceAccountToken("faults-rotation", List.of(), Grant.of("stats", "get"));
        node.identities().awaitGrants();
        assertThat(get("/stats/summary", token).statusCode()).isEqualTo(200);
        double before = reloads();

        AtomicBoolean running = new AtomicBoolean(true);
        List<Integer> statuses = java.util.Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
            // a fresh client per request so that every request makes a new TLS handshake
            for (int i = 0; i < 400 && running.get(); i++) {
                try {
                    HttpClient fresh = proxy.client();
                    statuses.add(fresh.send(HttpRequest.newBuilder(URI.create(proxy.url() + "/stats/summary"))
                            .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.discarding()).statusCode());
                } catch (Exception e) {
                    statuses.add(-1);
                }
            }
        });
        Thread.sleep(1500);
        proxy.rotateServingCertificate("kubelet-auth-proxy-rotated");
        Identities.X509User upstream = node.identities().x509User("kubelet-auth-proxy", List.of());
        proxy.rotateUpstreamCertificate(upstream.certificate(), upstream.key());
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (reloads() < before + 2 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        Thread.sleep(2000);
        running.set(false);
        load.get();

        assertThat(reloads()).isGreaterThanOrEqualTo(before + 2);
        assertThat(statuses).hasSizeGreaterThan(5).containsOnly(200);
    }

    @Test
    @Order(4)
    void aKubeletThatDiesMidStreamEndsTheStreamWithAnAuditLineThatSaysSo() throws Exception {
        String token = node.identities().serviceAccountToken("faults-stream", List.of(), Grant.of("proxy", "get", "create"));
        node.identities().awaitGrants();
        String mark = "mid-stream-" + System.nanoTime();
        String exec = "/exec/default/logger/logger?command=sh&command=-c&command="
                + java.net.URLEncoder.encode("echo ready; sleep 300; : " + mark, java.nio.charset.StandardCharsets.UTF_8)
                + "&output=1";
        try (var socket = ChannelWebSocket.connect(Identities.sslContext(null, proxy.servingCa()),
                proxy.url().replace("https://", "wss://") + exec, "v4.channel.k8s.io", token)) {
            // the command runs: the stream is open end to end (the kubelet may open each channel with an empty message)
            long ready = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            ChannelWebSocket.Message message = null;
            while ((message == null || message.channel() != 1 || !message.text().equals("ready\n")) && System.nanoTime() < ready) {
                message = socket.next(Duration.ofSeconds(1));
            }
            assertThat(message).as("the command's first output").isNotNull();
            assertThat(message.text()).isEqualTo("ready\n");
            try {
                node.stop("kubelet");
                // the client's side of the stream ends with the kubelet's (bounded wait for that fact)
                socket.drain(1, Duration.ofSeconds(30));
            } finally {
                node.repair();
            }
        }
        String line = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (line == null && System.nanoTime() < deadline) {
            line = java.nio.file.Files.readAllLines(audit).stream().filter(l -> l.contains(mark)).findFirst().orElse(null);
            if (line == null) {
                Thread.sleep(200);
            }
        }
        assertThat(line).as("the stream's audit line").isNotNull();
        var record = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
        assertThat(record.path("status").asInt()).isEqualTo(101);
        assertThat(record.path("stream").path("kind").asText()).isEqualTo("exec");
        assertThat(record.path("stream").path("end").asText()).isEqualTo("kubelet_closed");
        assertThat(record.path("stream").path("bytesOut").asLong()).isPositive();
    }

    double reloads() throws Exception {
        String metrics = proxy.metrics();
        return ProxyUnderTest.metric(metrics, "kubelet_auth_proxy_credential_reloads_total", "credential=\"serving\"")
                + ProxyUnderTest.metric(metrics, "kubelet_auth_proxy_credential_reloads_total", "credential=\"upstream-client\"");
    }
}
