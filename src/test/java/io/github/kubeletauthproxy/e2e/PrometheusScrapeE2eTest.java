package io.github.kubeletauthproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.kubeletauthproxy.e2e.Identities.Grant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A real Prometheus (Debian's package) scrapes the real kubelet through the proxy with README's scrape configuration,
 * only its node discovery replaced by the proxy's address: every kubelet job is up with real series, a job whose token
 * lacks {@code nodes/metrics} is down with the proxy's 403 as its error, and the proxy's own metrics are scraped too.
 */
@ExtendWith(LocalNode.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PrometheusScrapeE2eTest {

    static final String TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token";
    static final String CA_FILE = "/etc/prometheus/kubelet-auth-proxy/ca.crt";
    static final ObjectMapper JSON = new ObjectMapper();

    ProxyUnderTest proxy;
    Process prometheus;
    Path dir;
    String prometheusUrl;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void setUp(LocalNode.Node node) throws Exception {
        Identities ids = node.identities();
        String scraper = ids.serviceAccountToken("prometheus-scraper", List.of(), Grant.of("metrics", "get"));
        String stranger = ids.serviceAccountToken("prometheus-no-metrics", List.of(), Grant.of("stats", "get"));
        ids.awaitGrants();
        proxy = ProxyUnderTest.start(node, Map.of());
        dir = Files.createTempDirectory("kap-prometheus");
        Files.writeString(dir.resolve("scraper.token"), scraper);
        Files.writeString(dir.resolve("stranger.token"), stranger);
        Files.writeString(dir.resolve("prometheus.yml"), configuration());
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        prometheusUrl = "http://127.0.0.1:" + port;
        prometheus = new ProcessBuilder("prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    }

    @AfterAll
    void tearDown() throws Exception {
        if (prometheus != null) {
            prometheus.destroy();
            prometheus.waitFor();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    /** README's block as written, with the proxy as the node's address, plus the test's own two jobs. */
    String configuration() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int marker = readme.indexOf("<!-- prometheus-scrape-config");
        assertThat(marker).as("README's Prometheus block").isPositive();
        int start = readme.indexOf("```yaml\n", marker) + "```yaml\n".length();
        String block = readme.substring(start, readme.indexOf("```", start));
        String target = "127.0.0.1:" + proxy.port();
        String config = "global:\n  scrape_interval: 2s\n  scrape_timeout: 2s\n" + block
                .replace(TOKEN_FILE, dir.resolve("scraper.token").toString())
                .replace(CA_FILE, proxy.servingCa().toString())
                .replace("kubernetes_sd_configs:\n      - role: node", "static_configs:\n      - targets: ['" + target + "']");
        assertThat(config).doesNotContain("kubernetes_sd_configs");
        return config + """
                  - job_name: kubelet-without-rights
                    scheme: https
                    metrics_path: /metrics
                    authorization:
                      credentials_file: %s
                    tls_config:
                      ca_file: %s
                    static_configs:
                      - targets: ['%s']
                  - job_name: kubelet-auth-proxy
                    metrics_path: /actuator/prometheus
                    static_configs:
                      - targets: ['%s']
                """.formatted(dir.resolve("stranger.token"), proxy.servingCa(), target,
                URI.create(proxy.managementUrl()).getAuthority());
    }

    JsonNode api(String pathAndQuery) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(prometheusUrl + pathAndQuery))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(pathAndQuery + ": " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    /** Each job's target once every job has been scraped at least once; polls Prometheus' targets API, bounded. */
    Map<String, JsonNode> scrapedTargets() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            Map<String, JsonNode> byJob = new HashMap<>();
            try {
                for (JsonNode target : api("/api/v1/targets?state=active").path("data").path("activeTargets")) {
                    if (!target.path("health").asText().equals("unknown")) {
                        byJob.put(target.path("labels").path("job").asText(), target);
                    }
                }
            } catch (java.io.IOException notYetListening) {
                // Prometheus is still starting
            }
            if (byJob.size() == 6 || System.nanoTime() > deadline) {
                assertThat(prometheus.isAlive()).as(Files.readString(dir.resolve("prometheus.log"))).isTrue();
                return byJob;
            }
            Thread.sleep(250);
        }
    }

    /** The series of {@code query} once Prometheus has them (a scrape or two after the target came up), bounded. */
    List<JsonNode> series(String query) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<JsonNode> result = new ArrayList<>();
        while (result.isEmpty() && System.nanoTime() < deadline) {
            api("/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)).path("data").path("result")
                    .forEach(result::add);
            if (result.isEmpty()) {
                Thread.sleep(250);
            }
        }
        return result;
    }

    @Test
    void everyKubeletJobOfTheReadmeIsUpWithRealSeriesAndAJobWithoutRightsIsDownWithThe403() throws Exception {
        Map<String, JsonNode> targets = scrapedTargets();

        assertThat(targets.keySet()).containsExactlyInAnyOrder("kubelet", "kubelet-cadvisor", "kubelet-resource",
                "kubelet-probes", "kubelet-without-rights", "kubelet-auth-proxy");
        for (String job : List.of("kubelet", "kubelet-cadvisor", "kubelet-resource", "kubelet-probes", "kubelet-auth-proxy")) {
            assertThat(targets.get(job).path("health").asText()).as(job + ": " + targets.get(job).path("lastError")).isEqualTo("up");
        }
        JsonNode refused = targets.get("kubelet-without-rights");
        assertThat(refused.path("health").asText()).isEqualTo("down");
        assertThat(refused.path("lastError").asText()).contains("403");

        assertThat(series("kubelet_running_pods{job=\"kubelet\"}")).isNotEmpty();
        assertThat(series("container_cpu_usage_seconds_total{job=\"kubelet-cadvisor\"}")).isNotEmpty();
        assertThat(series("node_cpu_usage_seconds_total{job=\"kubelet-resource\"}")).isNotEmpty();
        assertThat(series("prober_probe_total{job=\"kubelet-probes\"} or up{job=\"kubelet-probes\"} == 1")).isNotEmpty();
        assertThat(series("kubelet_auth_proxy_requests_total{job=\"kubelet-auth-proxy\",decision=\"allow\"}")).isNotEmpty();
        assertThat(series("kubelet_auth_proxy_requests_total{job=\"kubelet-auth-proxy\",decision=\"deny\",code=\"403\"}"))
                .isNotEmpty();
    }
}
