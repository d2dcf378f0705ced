package io.github.kubeletauthproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.github.kubeletauthproxy.e2e.Identities.Grant;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The real API server slowed to a stop by a relay that holds its answers: the proxy's reviews queue only up to
 * {@code api-server.max-waiting-calls} behind the one call in flight, every request beyond that is refused at once with
 * 503 and never forwarded, and the ones that waited are decided by the real API server once its answers flow again.
 */
@ExtendWith(LocalNode.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SlowApiServerE2eTest {

    static final int CALLERS = 6;

    LocalNode.Node node;
    ApiServerRelay relay;
    ProxyUnderTest proxy;
    HttpClient client;

    @BeforeAll
    void setUp(LocalNode.Node node) throws Exception {
        this.node = node;
        Path dir = Files.createTempDirectory("kap-slow-api");
        relay = new ApiServerRelay(new InetSocketAddress("127.0.0.1", 6443));
        // one call at a time, two may wait for it, no retries: three callers beyond that are refused
        proxy = ProxyUnderTest.start(node, Map.of(
                "kubelet-auth-proxy.api-server.kubeconfig", relay.kubeconfig(node.file("PROXY_KUBECONFIG"), dir).toString(),
                "kubelet-auth-proxy.api-server.max-concurrent-calls", "1",
                "kubelet-auth-proxy.api-server.max-waiting-calls", "2",
                "kubelet-auth-proxy.api-server.retries", "0",
                "kubelet-auth-proxy.api-server.request-timeout", "60s"));
        client = proxy.client();
    }

    @AfterAll
    void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
        if (relay != null) {
            relay.close();
        }
    }

    CompletableFuture<HttpResponse<String>> get(String path, String token) {
        return client.sendAsync(HttpRequest.newBuilder(URI.create(proxy.url() + path)).timeout(Duration.ofSeconds(90))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void reviewsBeyondTheWaitingBoundAre503AtOnceNeverForwardedAndTheRestAreDecidedWhenTheAnswersFlow() throws Exception {
        Identities ids = node.identities();
        String warm = ids.serviceAccountToken("slow-api-warm", List.of(), Grant.of("stats", "get"));
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < CALLERS; i++) {
            tokens.add(ids.serviceAccountToken("slow-api-" + i, List.of(), Grant.of("stats", "get")));
        }
        ids.awaitGrants();
        // through the relay, answered by the real API server
        assertThat(get("/stats/summary", warm).join().statusCode()).isEqualTo(200);
        double forwardedBefore = forwarded();

        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        try {
            relay.hold();
            tokens.forEach(token -> answers.add(get("/stats/summary", token)));

            // one TokenReview is in flight at the held API server and two wait for the connection: the other three
            // callers are answered while the API server still holds its answer
            Awaitility.await("three refusals while the API server holds its answers").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(20)).until(() -> done(answers) >= CALLERS - 3);
            assertThat(answers.stream().filter(CompletableFuture::isDone)).hasSize(CALLERS - 3).allSatisfy(answer -> {
                assertThat(answer.join().statusCode()).isEqualTo(503);
                assertThat(answer.join().body()).contains("\"reason\":\"ServiceUnavailable\"", "TokenReview");
            });
            assertThat(forwarded()).as("requests forwarded to the kubelet while held").isEqualTo(forwardedBefore);
        } finally {
            relay.release();
        }

        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).join();
        // the three that waited meet the same bound at their SubjectAccessReviews: each is forwarded after an allow
        // or refused with 503, nothing in between
        List<Integer> statuses = answers.stream().map(answer -> answer.join().statusCode()).toList();
        assertThat(statuses).containsOnly(200, 503);
        long allowed = statuses.stream().filter(status -> status == 200).count();
        assertThat(allowed).isPositive();
        assertThat(forwarded()).isEqualTo(forwardedBefore + allowed);
        // and the API server being back, every one of them is allowed now
        for (String token : tokens) {
            assertThat(get("/stats/summary", token).join().statusCode()).isEqualTo(200);
        }
    }

    static long done(List<CompletableFuture<HttpResponse<String>>> answers) {
        return answers.stream().filter(CompletableFuture::isDone).count();
    }

    /** Requests the proxy forwarded to the kubelet: its upstream timer's count over every status code. */
    double forwarded() throws Exception {
        return ProxyUnderTest.metric(proxy.metrics(), "kubelet_auth_proxy_upstream_duration_seconds_count");
    }
}
