package io.github.kubeletauthproxy.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.github.kubeletauthproxy.authn.UserInfo;
import io.github.kubeletauthproxy.cache.CoalescingCache;
import io.github.kubeletauthproxy.cache.LastAllowServed;
import io.github.kubeletauthproxy.support.FakeTicker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.publisher.Mono;

/**
 * The outage mode's authorization: the last ALLOW of a review in scope stands in for the API server's answer only when
 * the API server fails, for at most the maximum age; a deny is never replaced, and reviews out of scope fail closed.
 */
class LastAllowAuthorizerTest {

    static final Duration MAX_AGE = Duration.ofMinutes(10);
    static final LastAllowScope SCRAPERS = LastAllowScope.of(List.of("metrics", "stats"));
    static final UserInfo PROMETHEUS = new UserInfo("prometheus", "", List.of("system:authenticated"), Map.of());

    final FakeTicker ticker = new FakeTicker();
    final AtomicInteger calls = new AtomicInteger();
    final List<LastAllowServed> served = new ArrayList<>();
    /** What the API server answers now: ALLOW, DENY, NO_OPINION or ERROR. */
    final AtomicReference<String> apiServer = new AtomicReference<>("ALLOW");

    final Authorizer delegate = review -> Mono.fromCallable(() -> {
        calls.incrementAndGet();
        if (apiServer.get().equals("ERROR")) {
            throw new IllegalStateException("connection refused");
        }
        return new Decision(Decision.Kind.valueOf(apiServer.get()), "said the API server");
    });

    LastAllowAuthorizer lastAllows(Authorizer authorizer) {
        return new LastAllowAuthorizer(authorizer, SCRAPERS, MAX_AGE, 100, ticker, served::add);
    }

    static AccessReview review(String verb, String subresource) {
        return AccessReview.node(PROMETHEUS, verb, subresource, "node-a");
    }

    static AccessReview reviewNamed(String name) {
        return switch (name) {
            case "get-pods-log" -> AccessReview.namespaced(PROMETHEUS, "get", "default", "pods", "log", "web-0");
            default -> {
                String[] parts = name.split(" ");
                yield review(parts[0], parts[1]);
            }
        };
    }

    @ParameterizedTest(name = "{0}: remembered={1}, {2}s later the API server answers {3} -> {4}")
    @CsvSource(delimiter = '|', value = {
            // review          | remembered | age (s) | the API server now | answered
            "get metrics       | true       | 599     | ERROR              | ALLOW from the last allow",
            "get stats         | true       | 1       | ERROR              | ALLOW from the last allow",
            "get metrics       | true       | 601     | ERROR              | the error",
            "get metrics       | false      | 1       | ERROR              | the error",
            "get metrics       | true       | 1       | DENY               | DENY",
            "get metrics       | true       | 1       | NO_OPINION         | NO_OPINION",
            "get metrics       | true       | 601     | ALLOW              | ALLOW",
            "get metrics       | false      | 1       | ALLOW              | ALLOW",
            "get proxy         | true       | 1       | ERROR              | the error",
            "create metrics    | true       | 1       | ERROR              | the error",
            "get log           | true       | 1       | ERROR              | the error",
            "get-pods-log      | true       | 1       | ERROR              | the error",
            "get proxy         | true       | 1       | DENY               | DENY",
    })
    void theLastAllowAnswersOnlyForAFailedReviewInScopeWithinTheMaximumAge(String reviewName, boolean remembered,
            long ageSeconds, String now, String answered) {
        var authorizer = lastAllows(delegate);
        AccessReview review = reviewNamed(reviewName);
        if (remembered) {
            authorizer.authorize(review).block();
        }
        ticker.advance(Duration.ofSeconds(ageSeconds));
        apiServer.set(now);

        if (answered.equals("the error")) {
            assertThatThrownBy(() -> authorizer.authorize(review).block()).hasMessageContaining("connection refused");
            assertThat(served).isEmpty();
        } else if (answered.equals("ALLOW from the last allow")) {
            Decision decision = authorizer.authorize(review).block();
            assertThat(decision.kind()).isEqualTo(Decision.Kind.ALLOW);
            assertThat(decision.servedFromLastAllow())
                    .isEqualTo(new LastAllowServed(Duration.ofSeconds(ageSeconds), "IllegalStateException: connection refused"));
            assertThat(served).containsExactly(decision.servedFromLastAllow());
        } else {
            assertThat(authorizer.authorize(review).block())
                    .isEqualTo(new Decision(Decision.Kind.valueOf(answered), "said the API server"));
            assertThat(served).isEmpty();
        }
    }

    @Test
    void aDenyForgetsTheAllowSoThatALaterOutageDoesNotRestoreIt() {
        var authorizer = lastAllows(delegate);
        authorizer.authorize(review("get", "metrics")).block();
        apiServer.set("DENY");
        authorizer.authorize(review("get", "metrics")).block();
        apiServer.set("ERROR");

        assertThatThrownBy(() -> authorizer.authorize(review("get", "metrics")).block()).hasMessageContaining("connection refused");
    }

    @Test
    void theAgeIsTheApiServersAnswersNotTheLastServedOnes() {
        var authorizer = lastAllows(delegate);
        authorizer.authorize(review("get", "stats")).block();
        apiServer.set("ERROR");
        ticker.advance(Duration.ofMinutes(6));
        authorizer.authorize(review("get", "stats")).block();
        ticker.advance(Duration.ofMinutes(5));

        assertThatThrownBy(() -> authorizer.authorize(review("get", "stats")).block()).hasMessageContaining("connection refused");
    }

    @Test
    void eachReviewHasItsOwnLastAllow() {
        var authorizer = lastAllows(delegate);
        authorizer.authorize(review("get", "stats")).block();
        apiServer.set("ERROR");

        assertThatThrownBy(() -> authorizer.authorize(review("get", "metrics")).block()).hasMessageContaining("connection refused");
        assertThatThrownBy(() -> authorizer.authorize(AccessReview.node(
                new UserInfo("other", "", List.of(), Map.of()), "get", "stats", "node-a")).block())
                .hasMessageContaining("connection refused");
    }

    @Test
    void behindTheDecisionCacheAnAllowServedFromTheLastAllowIsNotCachedAsFresh() {
        Duration allowTtl = Duration.ofMinutes(5);
        var authorizer = new CachingAuthorizer(lastAllows(delegate), allowTtl, Duration.ofSeconds(30), 100, ticker,
                CoalescingCache.Listener.NONE);
        authorizer.authorize(review("get", "metrics")).block();
        ticker.advance(allowTtl.plusSeconds(1));
        apiServer.set("ERROR");
        assertThat(authorizer.authorize(review("get", "metrics")).block().servedFromLastAllow()).isNotNull();
        apiServer.set("DENY");

        assertThat(authorizer.authorize(review("get", "metrics")).block().kind()).isEqualTo(Decision.Kind.DENY);
        assertThat(calls).hasValue(3);
    }
}
