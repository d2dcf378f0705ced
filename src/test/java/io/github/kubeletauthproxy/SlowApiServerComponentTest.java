package io.github.kubeletauthproxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

import io.github.kubeletauthproxy.support.FakeApiServer;
import io.github.kubeletauthproxy.support.FakeKubelet;
import io.github.kubeletauthproxy.support.RunningProxy;
import io.github.kubeletauthproxy.support.TestPki;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An API server that stops answering: reviews queue only up to {@code api-server.max-waiting-calls} behind the busy
 * connections; every request beyond them is refused at once with 503, and none of them reaches the kubelet. The ones
 * that waited are decided normally once the API server answers.
 */
class SlowApiServerComponentTest {

    static final TestPki CLUSTER = new TestPki("cluster");
    static final FakeKubelet KUBELET = new FakeKubelet(CLUSTER);

    /** One connection, two calls may wait for it: the third call beyond those is refused. */
    @RegisterExtension
    static final RunningProxy PROXY = new RunningProxy("node-a", CLUSTER, KUBELET.url())
            .with("kubelet-auth-proxy.api-server.max-concurrent-calls", 1)
            .with("kubelet-auth-proxy.api-server.max-waiting-calls", 2)
            .with("kubelet-auth-proxy.api-server.retries", 0)
            .with("kubelet-auth-proxy.api-server.request-timeout", "60s");

    static final FakeApiServer API = PROXY.api();
    static final int CALLERS = 6;
    static final ExecutorService CLIENTS = Executors.newFixedThreadPool(CALLERS);

    @AfterEach
    void release() {
        API.release();
    }

    @AfterAll
    static void stop() {
        CLIENTS.shutdownNow();
        KUBELET.close();
    }

    /** Waits (bounded) for {@code condition}, polled every 20 ms. */
    static void await(String what, BooleanSupplier condition) {
        Awaitility.await(what).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(condition::getAsBoolean);
    }

    /** {@code CALLERS} requests at once, each with its own token (so nothing is coalesced). */
    static List<CompletableFuture<HttpResponse<String>>> sendAll(String prefix) {
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < CALLERS; i++) {
            String token = prefix + "-token-" + i;
            answers.add(CompletableFuture.supplyAsync(
                    () -> PROXY.client().get("/stats/summary", "Authorization", "Bearer " + token), CLIENTS));
        }
        return answers;
    }

    static void addCallers(String prefix) {
        for (int i = 0; i < CALLERS; i++) {
            API.addToken(prefix + "-token-" + i, prefix + "-" + i, List.of(), List.of());
            API.grant(prefix + "-" + i, "get", "stats");
        }
    }

    static long completedWith(List<CompletableFuture<HttpResponse<String>>> answers, int status) {
        return answers.stream().filter(f -> f.isDone() && f.join().statusCode() == status).count();
    }

    @Test
    void tokenReviewsBeyondTheWaitingBoundAre503AtOnceAndTheRestAreDecidedWhenTheApiServerAnswers() throws Exception {
        addCallers("authn");
        KUBELET.clear();
        API.hold();

        var answers = sendAll("authn");

        // one call holds the only connection, two wait for it: the other three are refused without waiting
        await("one review held at the API server", () -> API.held() == 1);
        await("three refusals", () -> completedWith(answers, 503) == CALLERS - 3);
        assertThat(answers.stream().filter(CompletableFuture::isDone)).allSatisfy(done -> {
            assertThat(done.join().statusCode()).isEqualTo(503);
            assertThat(done.join().body()).contains("\"reason\":\"ServiceUnavailable\"", "TokenReview");
        });
        assertThat(KUBELET.received()).isEmpty();

        API.release();
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).join();
        // the three that waited go on to their SubjectAccessReviews, which meet the same bound: some may be refused
        // there, but every request is either forwarded after an allow or refused, never anything in between
        assertThat(answers).extracting(answer -> answer.join().statusCode()).containsOnly(200, 503);
        assertThat(completedWith(answers, 200)).isPositive();
        assertThat(KUBELET.received()).hasSize((int) completedWith(answers, 200));
    }

    @Test
    void reviewsBeyondTheWaitingBoundAre503AtOnceAndNeverForwarded() throws Exception {
        addCallers("authz");
        // the tokens are reviewed (and cached) first, so that only the SubjectAccessReviews meet the held API server
        for (int i = 0; i < CALLERS; i++) {
            PROXY.client().get("/healthz", "Authorization", "Bearer authz-token-" + i);
        }
        KUBELET.clear();
        API.hold();

        var answers = sendAll("authz");

        await("one review held at the API server", () -> API.held() == 1);
        await("three refusals", () -> completedWith(answers, 503) == CALLERS - 3);
        assertThat(answers.stream().filter(CompletableFuture::isDone)).allSatisfy(done -> assertThat(done.join().body())
                .contains("cannot authorize the request now: the API server is not keeping up"));
        assertThat(KUBELET.received()).isEmpty();

        API.release();
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).join();
        assertThat(completedWith(answers, 200)).isEqualTo(3);
        assertThat(KUBELET.received()).hasSize(3);
    }
}
