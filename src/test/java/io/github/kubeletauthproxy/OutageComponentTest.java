package io.github.kubeletauthproxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.github.kubeletauthproxy.support.FakeKubelet;
import io.github.kubeletauthproxy.support.FakeTicker;
import io.github.kubeletauthproxy.support.RunningProxy;
import io.github.kubeletauthproxy.support.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * An API server outage, the whole proxy twice: with the outage mode off (the default) requests fail closed once the
 * caches expire, exactly as without it; with it on, a scraper allowed before keeps its {@code /metrics} and
 * {@code /stats} for {@code serve-last-allow-for}, said in its audit line and the metric, while everything outside the
 * scrapers' scope, and every caller not allowed before, stays refused. Time is the proxies' FakeTickers.
 */
class OutageComponentTest {

    static final TestPki CLUSTER = new TestPki("cluster");
    static final FakeKubelet KUBELET = new FakeKubelet(CLUSTER);
    static final Duration SERVE_LAST_ALLOW_FOR = Duration.ofMinutes(10);
    /** Beyond the token cache (2m) and the decision cache (5m): only the outage memory can answer. */
    static final Duration CACHES_EXPIRED = Duration.ofMinutes(6);

    static final FakeTicker OFF_TICKER = new FakeTicker();
    static final FakeTicker ON_TICKER = new FakeTicker();

    /** Both proxies write their audit records here, one file each. */
    static final Path AUDIT_DIR = createTempDirectory();

    @RegisterExtension
    static final RunningProxy OFF = proxy(OFF_TICKER, "off");

    @RegisterExtension
    static final RunningProxy ON = proxy(ON_TICKER, "on")
            .with("kubelet-auth-proxy.outage.serve-last-allow-for", SERVE_LAST_ALLOW_FOR.toMinutes() + "m");

    static Path createTempDirectory() {
        try {
            return Files.createTempDirectory("kap-outage-audit");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static RunningProxy proxy(FakeTicker ticker, String name) {
        return new RunningProxy("node-a", CLUSTER, KUBELET.url())
                .acceptingClusterClientCertificates()
                .withTicker(ticker)
                .with("kubelet-auth-proxy.api-server.retries", 0)
                .with("kubelet-auth-proxy.audit.output", "file")
                .with("kubelet-auth-proxy.audit.file", AUDIT_DIR.resolve(name + ".jsonl"));
    }

    @AfterAll
    static void stop() {
        KUBELET.close();
    }

    static List<String> auditLines() {
        List<String> lines = new ArrayList<>();
        for (String name : List.of("off", "on")) {
            try {
                Path file = AUDIT_DIR.resolve(name + ".jsonl");
                if (Files.exists(file)) {
                    lines.addAll(Files.readAllLines(file));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return lines;
    }

    @BeforeEach
    void apiServersAnswer() {
        OFF.api().failWith(0);
        ON.api().failWith(0);
    }

    @AfterEach
    void clear() {
        KUBELET.clear();
    }

    static String[] bearer(String token) {
        return new String[] {"Authorization", "Bearer " + token};
    }

    @Test
    void offAScraperAllowedBeforeIsRefusedOnceTheCachesExpireAsWithoutTheMode() throws Exception {
        OFF.api().addToken("scraper-token", "scraper", List.of(), List.of());
        OFF.api().grant("scraper", "get", "metrics");
        OFF.api().grant("node-exporter", "get", "metrics");
        assertThat(OFF.client().get("/metrics", bearer("scraper-token")).statusCode()).isEqualTo(200);
        assertThat(OFF.client(CLUSTER.client("node-exporter", List.of())).get("/metrics").statusCode()).isEqualTo(200);
        OFF.api().failWith(500);
        OFF_TICKER.advance(CACHES_EXPIRED);
        KUBELET.clear();

        var token = OFF.client().get("/metrics", bearer("scraper-token"));
        var certificate = OFF.client(CLUSTER.client("node-exporter", List.of())).get("/metrics");

        assertThat(token.statusCode()).isEqualTo(503);
        assertThat(token.body()).contains("TokenReview");
        assertThat(certificate.statusCode()).isEqualTo(500);
        assertThat(certificate.body())
                .isEqualTo("Authorization error (user=node-exporter, verb=get, resource=nodes, subresource=metrics)");
        assertThat(KUBELET.received()).isEmpty();
        assertThat(auditLine("node-exporter", "/metrics", 500)).doesNotContain("servedFromLastAllow");
    }

    @Test
    void onAScraperAllowedBeforeKeepsItsReadsForServeLastAllowForThenFailsClosed() throws Exception {
        ON.api().addToken("scraper-token", "scraper", List.of(), List.of());
        ON.api().grant("scraper", "get", "metrics");
        ON.api().grant("scraper", "get", "stats");
        ON.api().grant("scraper", "get", "pods");
        ON.api().grant("scraper", "create", "proxy");
        for (String path : List.of("/metrics", "/stats/summary", "/pods")) {
            assertThat(ON.client().get(path, bearer("scraper-token")).statusCode()).as(path).isEqualTo(200);
        }
        double servedBefore = served("authorization");
        ON.api().failWith(500);
        ON_TICKER.advance(CACHES_EXPIRED);
        KUBELET.clear();

        var metrics = ON.client().get("/metrics", bearer("scraper-token"));
        var stats = ON.client().get("/stats/summary", bearer("scraper-token"));
        var pods = ON.client().get("/pods", bearer("scraper-token"));
        var exec = ON.client().send("POST", "/exec/default/web-0/c?command=id", bearer("scraper-token"));

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(stats.statusCode()).isEqualTo(200);
        assertThat(List.of(pods.statusCode(), exec.statusCode())).as("/pods, exec").containsOnly(503);
        assertThat(KUBELET.received()).extracting(FakeKubelet.Received::rawPath)
                .containsExactlyInAnyOrder("/metrics", "/stats/summary");
        assertThat(auditLine("scraper", "/metrics", 200)).contains("\"allowedBy\":\"metrics\",\"servedFromLastAllow\":{"
                + "\"authentication\":{\"ageSeconds\":360,\"failure\":", "\"authorization\":{\"ageSeconds\":360,\"failure\":");
        // refused in authentication: no user is established, so the line names none
        assertThat(auditLine("", "/pods", 503)).doesNotContain("servedFromLastAllow")
                .contains("the token's last authentication is used only for the outage scope");
        assertThat(served("authorization")).isEqualTo(servedBefore + 2);
        assertThat(served("authentication")).isPositive();

        ON_TICKER.advance(SERVE_LAST_ALLOW_FOR.minus(CACHES_EXPIRED).plusSeconds(1));
        KUBELET.clear();
        var expired = ON.client().get("/metrics", bearer("scraper-token"));

        assertThat(expired.statusCode()).isEqualTo(503);
        assertThat(KUBELET.received()).isEmpty();
    }

    @Test
    void onACertificateCallerKeepsOnlyTheScrapersScopeFromTheLastAllow() throws Exception {
        ON.api().grant("prometheus", "get", "metrics");
        ON.api().grant("prometheus", "get", "pods");
        var prometheus = ON.client(CLUSTER.client("prometheus", List.of()));
        assertThat(prometheus.get("/metrics").statusCode()).isEqualTo(200);
        assertThat(prometheus.get("/pods").statusCode()).isEqualTo(200);
        ON.api().failWith(503);
        ON_TICKER.advance(CACHES_EXPIRED);
        KUBELET.clear();

        assertThat(prometheus.get("/metrics").statusCode()).isEqualTo(200);
        assertThat(prometheus.get("/pods").statusCode()).isEqualTo(500);
        assertThat(KUBELET.received()).extracting(FakeKubelet.Received::rawPath).containsExactly("/metrics");
        assertThat(auditLine("prometheus", "/metrics", 200))
                .contains("\"servedFromLastAllow\":{\"authorization\":{\"ageSeconds\":360,").doesNotContain("\"authentication\":{");

        ON_TICKER.advance(SERVE_LAST_ALLOW_FOR);
        assertThat(prometheus.get("/metrics").statusCode()).isEqualTo(500);
    }

    @Test
    void onACallerDeniedOrWithdrawnBeforeTheOutageStaysRefused() throws Exception {
        ON.api().addToken("nosy-token", "nosy", List.of(), List.of());
        ON.api().addToken("former-token", "former", List.of(), List.of());
        ON.api().grant("former", "get", "metrics");
        assertThat(ON.client().get("/metrics", bearer("former-token")).statusCode()).isEqualTo(200);
        ON.api().revoke("former", "get", "metrics");
        ON_TICKER.advance(CACHES_EXPIRED);
        assertThat(ON.client().get("/metrics", bearer("former-token")).statusCode()).isEqualTo(403);
        assertThat(ON.client().get("/metrics", bearer("nosy-token")).statusCode()).isEqualTo(403);
        ON.api().failWith(500);
        ON_TICKER.advance(CACHES_EXPIRED);
        KUBELET.clear();

        var nosy = ON.client().get("/metrics", bearer("nosy-token"));
        var former = ON.client().get("/metrics", bearer("former-token"));

        // authenticated from their tokens' last authentication, but no review of theirs has a last allow: their
        // denials have expired, so the reviews are asked for and fail closed
        assertThat(nosy.statusCode()).isEqualTo(500);
        assertThat(former.statusCode()).isEqualTo(500);
        assertThat(KUBELET.received()).isEmpty();
        assertThat(auditLine("former", "/metrics", 500)).contains("\"decision\":\"error\"",
                "\"servedFromLastAllow\":{\"authentication\":{\"ageSeconds\":360,").doesNotContain("\"authorization\":{");
    }

    /** The audit line of {@code user}'s last request for {@code path} answered {@code status}, once it is written. */
    static String auditLine(String user, String path, int status) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<String> lines = auditLines();
            Optional<String> line = lines.stream()
                    .filter(candidate -> candidate.contains("\"user\":\"" + user + "\"")
                            && candidate.contains("\"path\":\"" + path + "\"") && candidate.contains("\"status\":" + status + ","))
                    .reduce((first, second) -> second);
            if (line.isPresent()) {
                return line.get();
            }
            assertThat(System.nanoTime()).as("audit line of %s %s %d; lines: %s", user, path, status, lines).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** kubelet_auth_proxy_last_allow_served_total for {@code layer} on the proxy with the mode on. */
    static double served(String layer) throws IOException, InterruptedException {
        Matcher value = Pattern.compile("^kubelet_auth_proxy_last_allow_served_total\\{layer=\"" + layer + "\"[^}]*} (\\S+)$",
                Pattern.MULTILINE).matcher(ON.management("/actuator/prometheus").body());
        return value.find() ? Double.parseDouble(value.group(1)) : 0;
    }
}
