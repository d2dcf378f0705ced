package io.github.kubeletauthproxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import javax.net.ssl.SSLSocket;

import io.github.kubeletauthproxy.support.FakeApiServer;
import io.github.kubeletauthproxy.support.FakeKubelet;
import io.github.kubeletauthproxy.support.ProxyClient;
import io.github.kubeletauthproxy.support.RunningProxy;
import io.github.kubeletauthproxy.support.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole proxy, started as the application, between a JDK HTTPS client and in-process stand-ins for the
 * API server and the kubelet. Proves the request path end to end: screening, authentication, the kubelet's
 * review sequence, forwarding, header hygiene, streaming, caching and certificate reload.
 */
class ProxyComponentTest {

    static final String NODE = "node-a";
    static final TestPki CLUSTER = new TestPki("cluster");
    static final FakeKubelet KUBELET = new FakeKubelet(CLUSTER);

    @RegisterExtension
    static final RunningProxy PROXY = new RunningProxy(NODE, CLUSTER, KUBELET.url())
            .acceptingClusterClientCertificates()
            .with("kubelet-auth-proxy.tls.reload-interval", "200ms")
            .with("kubelet-auth-proxy.api-server.retries", 1)
            .with("kubelet-auth-proxy.api-server.retry-initial-backoff", "20ms");

    static final FakeApiServer API = PROXY.api();

    @AfterAll
    static void stop() {
        KUBELET.close();
    }

    @BeforeEach
    void reset() {
        API.failWith(0);
        API.delay(0);
        API.resetCounts();
        KUBELET.clear();
    }

    static String bearer(String token) {
        return "Bearer " + token;
    }

    @Test
    void allowedRequestIsForwardedWithTheProxysCredentialAndWithoutTheClientsSecrets() {
        API.addToken("alice-token", "alice", List.of("devs"), List.of());
        API.grant("alice", "get", "pods");

        var response = PROXY.client().get("/pods", "Authorization", bearer("alice-token"),
                "Impersonate-User", "system:admin", "Impersonate-Group", "system:masters",
                "X-Remote-User", "admin", "X-Forwarded-For", "10.1.2.3", "X-Forwarded-Host", "evil");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("PodList");
        assertThat(KUBELET.received()).hasSize(1);
        var seen = KUBELET.received().get(0);
        assertThat(seen.rawPath()).isEqualTo("/pods");
        assertThat(seen.clientSubject()).isEqualTo("CN=kubelet-auth-proxy");
        assertThat(seen.headers().keySet()).allSatisfy(name -> assertThat(name.toLowerCase())
                .doesNotStartWith("impersonate-").doesNotStartWith("x-remote-").doesNotStartWith("x-forwarded-")
                .isNotEqualTo("authorization").isNotEqualTo("forwarded"));
        assertThat(API.reviews()).singleElement().satisfies(review -> {
            assertThat(review.user()).isEqualTo("alice");
            assertThat(review.groups()).containsExactly("devs", "system:authenticated");
            assertThat(review.verb()).isEqualTo("get");
            assertThat(review.resource()).isEqualTo("nodes");
            assertThat(review.subresource()).isEqualTo("pods");
            assertThat(review.name()).isEqualTo(NODE);
            assertThat(review.version()).isEqualTo("v1");
        });
    }

    @Test
    void deniedRequestGetsTheKubeletsForbiddenTextAndIsNotForwarded() {
        API.addToken("bob-token", "bob", List.of(), List.of());

        var response = PROXY.client().get("/stats/summary", "Authorization", bearer("bob-token"));

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).isEqualTo("Forbidden (user=bob, verb=get, resource=nodes, subresource(s)=[stats])\n");
        assertThat(KUBELET.received()).isEmpty();
    }

    @Test
    void fineGrainedRecordsAreTriedInOrderAndProxyStillAllowsPods() {
        API.addToken("carol-token", "carol", List.of(), List.of());
        API.grant("carol", "get", "proxy");

        var response = PROXY.client().get("/pods", "Authorization", bearer("carol-token"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(API.reviews()).extracting(FakeApiServer.Review::subresource).containsExactly("pods", "proxy");
    }

    @Test
    void missingOrInvalidCredentialsAre401AndNeverAnonymous() {
        var none = PROXY.client().get("/healthz");
        var invalid = PROXY.client().get("/healthz", "Authorization", bearer("no-such-token"));
        var basic = PROXY.client().get("/healthz", "Authorization", "Basic YWxpY2U6cGFzcw==");

        assertThat(List.of(none, invalid, basic)).allSatisfy(response -> {
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(response.body()).isEqualTo("Unauthorized");
        });
        assertThat(API.sarCount()).isZero();
        assertThat(KUBELET.received()).isEmpty();
    }

    @Test
    void anApiServerErrorDuringAuthorizationIs500WithTheKubeletsTextAndIsNotForwarded() {
        API.addToken("dan-token", "dan", List.of(), List.of());
        API.grant("dan", "get", "stats");
        PROXY.client().get("/pods", "Authorization", bearer("dan-token")); // warms the token cache only
        API.failWith(500);

        var response = PROXY.client().get("/stats/summary", "Authorization", bearer("dan-token"));

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.body()).isEqualTo("Authorization error (user=dan, verb=get, resource=nodes, subresource=stats)");
        assertThat(KUBELET.received()).noneMatch(seen -> seen.rawPath().startsWith("/stats"));
    }

    @Test
    void anApiServerErrorDuringAuthenticationIs503AndIsNotForwarded() {
        API.addToken("fred-token", "fred", List.of(), List.of());
        API.grant("fred", "get", "pods");
        API.failWith(503);

        var response = PROXY.client().get("/pods", "Authorization", bearer("fred-token"));

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).contains("\"kind\":\"Status\"").contains("TokenReview");
        assertThat(KUBELET.received()).isEmpty();
    }

    @Test
    void methodsWithoutAKubeletVerbAre405BeforeAnyReview() throws Exception {
        API.addToken("alice-token", "alice", List.of(), List.of());
        for (String method : List.of("HEAD", "OPTIONS", "TRACE", "PROPFIND")) {
            assertThat(rawStatus(method + " /pods HTTP/1.1")).as(method).isEqualTo(405);
        }
        assertThat(API.tokenReviewCount() + API.sarCount()).isZero();
        assertThat(KUBELET.received()).isEmpty();
    }

    @Test
    void nonCanonicalPathsAre400BeforeAnyReview() throws Exception {
        for (String path : List.of("/stats/../exec/ns/pod/c", "/pods/./x", "//pods", "/%2e%2e/exec", "/logs%2f..%2fetc",
                "/pods;x=1", "/pods%5c..", "/%70ods")) {
            assertThat(rawStatus("GET " + path + " HTTP/1.1")).as(path).isEqualTo(400);
        }
        assertThat(API.tokenReviewCount() + API.sarCount()).isZero();
        assertThat(KUBELET.received()).isEmpty();
    }

    @Test
    void onlyOriginFormTargetsAreReviewedAndForwarded() throws Exception {
        API.addToken("alice-token", "alice", List.of(), List.of());
        API.grant("alice", "get", "stats");
        for (String target : List.of("stats/summary", "a:b@c/stats/summary", "http://127.0.0.1:1/stats/summary")) {
            assertThat(rawStatus("GET " + target + " HTTP/1.1")).as(target).isEqualTo(400);
        }
        assertThat(API.tokenReviewCount() + API.sarCount()).isZero();
        assertThat(KUBELET.received()).isEmpty();
    }

    @Test
    void aConnectionHeaderNamingContentLengthIsRefusedNotForwardedWithoutItsFraming() throws Exception {
        API.addToken("alice-token", "alice", List.of(), List.of());
        API.grant("alice", "create", "stats");
        String smuggled = "GET /pods HTTP/1.1\r\nHost: x\r\n\r\n";
        try (SSLSocket socket = PROXY.openTls()) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /stats/summary HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice-token\r\n"
                    + "Connection: content-length\r\nContent-Length: " + smuggled.length() + "\r\n\r\n" + smuggled)
                    .getBytes(StandardCharsets.US_ASCII));
            String status = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            assertThat(status).contains(" 400 ");
        }
        assertThat(KUBELET.received()).isEmpty();
    }

    /** Sends a request line as-is (clients normalise paths) and returns the status code. */
    int rawStatus(String requestLine) throws Exception {
        try (SSLSocket socket = PROXY.openTls()) {
            socket.setSoTimeout(10_000);
            var out = socket.getOutputStream();
            out.write((requestLine + "\r\nHost: 127.0.0.1\r\nAuthorization: Bearer alice-token\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            return Integer.parseInt(status.split(" ")[1]);
        }
    }

    @Test
    void streamsAreAuthorizedAsCreateEvenForGet() {
        API.addToken("gina-token", "gina", List.of(), List.of());
        API.grant("gina", "get", "proxy");

        var response = PROXY.client().get("/exec/default/pod/c?command=id&stdout=true", "Authorization", bearer("gina-token"));

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).isEqualTo("Forbidden (user=gina, verb=create, resource=nodes, subresource(s)=[proxy])\n");
        assertThat(KUBELET.received()).isEmpty();
    }

    @Test
    void upgradeOnAnEndpointThatDoesNotStreamIsRefused() throws Exception {
        try (SSLSocket socket = PROXY.openTls()) {
            socket.getOutputStream().write(("GET /pods HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                    + "Authorization: Bearer alice-token\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String status = new BufferedReader(new InputStreamReader(socket.getInputStream())).readLine();
            assertThat(status).contains(" 400 ");
        }
        assertThat(KUBELET.received()).isEmpty();
    }

    @Test
    void followedLogsArriveLineByLineWhileTheKubeletIsStillWriting() throws Exception {
        API.addToken("lou-token", "lou", List.of(), List.of());
        API.grant("lou", "get", "proxy");
        HttpRequest request = HttpRequest.newBuilder(URI.create(PROXY.url() + "/containerLogs/default/pod/c?follow=true"))
                .header("Authorization", bearer("lou-token")).build();

        var response = PROXY.client().raw().send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            assertThat(reader.readLine()).isEqualTo("line 1");
            // the kubelet writes line 3 only after two pauses: line 1 was not held back until the end
            assertThat(KUBELET.received()).hasSize(1);
            assertThat(reader.readLine()).isEqualTo("line 2");
            assertThat(reader.readLine()).isEqualTo("line 3");
            assertThat(reader.readLine()).isNull();
        }
        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void redirectsFromTheKubeletArePassedBackNotFollowed() {
        API.addToken("rita-token", "rita", List.of(), List.of());
        API.grant("rita", "get", "proxy");

        var response = PROXY.client().get("/redirect", "Authorization", bearer("rita-token"));

        assertThat(response.statusCode()).isEqualTo(302);
        assertThat(response.headers().firstValue("Location")).hasValue("https://example.invalid/elsewhere");
        assertThat(KUBELET.received()).hasSize(1);
    }

    @Test
    void fiftyConcurrentColdRequestsMakeOneTokenReviewAndOneReviewPerRecord() {
        API.addToken("zoe-token", "zoe", List.of(), List.of());
        API.grant("zoe", "get", "stats");
        API.delay(300);
        ProxyClient client = PROXY.client();

        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> client.get("/stats/summary", "Authorization", bearer("zoe-token"))));
        }

        assertThat(calls).allSatisfy(call -> assertThat(call.join().statusCode()).isEqualTo(200));
        assertThat(API.tokenReviewCount()).isEqualTo(1);
        assertThat(API.sarCount()).isEqualTo(1);
        assertThat(KUBELET.received()).hasSize(50);
    }

    @Test
    void x509ClientCertificatesAuthenticateWithCnAsUserAndOAsGroups() {
        API.grant("ops", "get", "metrics");

        var response = PROXY.client(CLUSTER.client("erin", List.of("ops"))).get("/metrics/cadvisor");
        var noEku = PROXY.client(CLUSTER.clientWithoutEku("mallory")).get("/metrics/cadvisor");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(API.reviews()).first().satisfies(review -> {
            assertThat(review.user()).isEqualTo("erin");
            assertThat(review.groups()).containsExactly("ops", "system:authenticated");
        });
        assertThat(noEku.statusCode()).isEqualTo(401);
        assertThat(API.tokenReviewCount()).isZero();
    }

    @Test
    void http2IsOfferedForOrdinaryRequests() {
        API.addToken("alice-token", "alice", List.of(), List.of());
        API.grant("alice", "get", "pods");
        var http2 = PROXY.client(HttpClient.Version.HTTP_2);

        var response = http2.get("/pods", "Authorization", bearer("alice-token"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
    }

    @Test
    void metricsAndReadinessAreServedOnTheManagementPortWithoutUserNames() throws Exception {
        API.addToken("alice-token", "alice", List.of(), List.of());
        API.grant("alice", "get", "pods");
        PROXY.client().get("/pods", "Authorization", bearer("alice-token"));

        var metrics = PROXY.management("/actuator/prometheus");
        var readiness = PROXY.management("/actuator/health/readiness");

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
                .contains("kubelet_auth_proxy_requests_total{code=\"200\",decision=\"allow\",subresource=\"pods\",verb=\"get\"}")
                .contains("kubelet_auth_proxy_cache_lookups_total")
                .contains("kubelet_auth_proxy_authorization_duration_seconds_bucket")
                .contains("kubelet_auth_proxy_requests_in_flight")
                .doesNotContain("alice");
        assertThat(readiness.statusCode()).isEqualTo(200);
        assertThat(readiness.body()).contains("\"status\":\"UP\"");
    }

    @Test
    void aRotatedServingCertificateIsServedWithoutRestart() throws Exception {
        X509Certificate before = servedCertificate();
        PROXY.rotateServingCertificate("proxy-rotated");

        X509Certificate after = before;
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (after.equals(before) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            after = servedCertificate();
        }

        assertThat(before.getSubjectX500Principal().getName()).isEqualTo("CN=proxy");
        assertThat(after.getSubjectX500Principal().getName()).isEqualTo("CN=proxy-rotated");
        API.addToken("alice-token", "alice", List.of(), List.of());
        API.grant("alice", "get", "pods");
        assertThat(PROXY.client().get("/pods", "Authorization", bearer("alice-token")).statusCode()).isEqualTo(200);
    }

    X509Certificate servedCertificate() throws Exception {
        try (SSLSocket socket = PROXY.openTls()) {
            socket.startHandshake();
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }
}
