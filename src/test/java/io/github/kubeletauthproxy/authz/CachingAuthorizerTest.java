package io.github.kubeletauthproxy.authz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.kubeletauthproxy.authn.UserInfo;
import io.github.kubeletauthproxy.cache.CoalescingCache;
import io.github.kubeletauthproxy.support.FakeTicker;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

class CachingAuthorizerTest {

    static final Duration ALLOW_TTL = Duration.ofMinutes(5);
    static final Duration DENY_TTL = Duration.ofSeconds(30);

    final FakeTicker ticker = new FakeTicker();
    final AtomicInteger calls = new AtomicInteger();

    /** Allows "stats", denies everything else, fails for "boom". */
    final Authorizer apiServer = review -> Mono.fromCallable(() -> {
        calls.incrementAndGet();
        if (review.subresource().equals("boom")) {
            throw new IllegalStateException("API server unavailable");
        }
        return new Decision(review.subresource().equals("stats") ? Decision.Kind.ALLOW : Decision.Kind.NO_OPINION, "");
    });

    CachingAuthorizer cache(Authorizer delegate) {
        return new CachingAuthorizer(delegate, ALLOW_TTL, DENY_TTL, 8192, ticker, CoalescingCache.Listener.NONE);
    }

    static AccessReview review(String user, String subresource) {
        return AccessReview.node(new UserInfo(user, "", List.of("g"), Map.of()), "get", subresource, "node");
    }

    @Test
    void allowsLiveForTheAllowTtl() {
        var authorizer = cache(apiServer);
        authorizer.authorize(review("a", "stats")).block();
        ticker.advance(ALLOW_TTL.minusSeconds(1));
        assertThat(authorizer.authorize(review("a", "stats")).block().allowed()).isTrue();
        assertThat(calls).hasValue(1);
        ticker.advance(Duration.ofSeconds(2));
        authorizer.authorize(review("a", "stats")).block();
        assertThat(calls).hasValue(2);
    }

    @Test
    void denialsLiveForTheDenyTtl() {
        var authorizer = cache(apiServer);
        authorizer.authorize(review("a", "proxy")).block();
        ticker.advance(DENY_TTL.minusSeconds(1));
        assertThat(authorizer.authorize(review("a", "proxy")).block().allowed()).isFalse();
        assertThat(calls).hasValue(1);
        ticker.advance(Duration.ofSeconds(2));
        authorizer.authorize(review("a", "proxy")).block();
        assertThat(calls).hasValue(2);
    }

    @Test
    void aDecisionsTtlCountsFromTheAnswerNotFromWhenItsCallersAreDone() {
        Sinks.One<Decision> answer = Sinks.one();
        AtomicInteger reviews = new AtomicInteger();
        var authorizer = cache(review -> reviews.incrementAndGet() == 1 ? answer.asMono() : apiServer.authorize(review));
        // the first caller takes a minute with the denial before it lets go (what an outage test's clock does)
        authorizer.authorize(review("a", "proxy")).doOnNext(decision -> ticker.advance(Duration.ofMinutes(1))).subscribe();
        answer.tryEmitValue(new Decision(Decision.Kind.NO_OPINION, ""));

        // the denial is a minute old: beyond the deny TTL, so the next caller is reviewed again
        authorizer.authorize(review("a", "proxy")).block();
        assertThat(reviews).hasValue(2);
    }

    @Test
    void theKeyIsTheWholeReview() {
        var authorizer = cache(apiServer);
        authorizer.authorize(review("a", "stats")).block();
        authorizer.authorize(review("b", "stats")).block();
        authorizer.authorize(AccessReview.node(new UserInfo("a", "", List.of("other"), Map.of()), "get", "stats", "node")).block();
        authorizer.authorize(AccessReview.node(new UserInfo("a", "", List.of("g"), Map.of()), "create", "stats", "node")).block();
        authorizer.authorize(AccessReview.node(new UserInfo("a", "", List.of("g"), Map.of()), "get", "stats", "other-node")).block();
        assertThat(calls).hasValue(5);
    }

    @Test
    void errorsAreNeverCached() {
        var authorizer = cache(apiServer);
        assertThatThrownBy(() -> authorizer.authorize(review("a", "boom")).block()).hasMessageContaining("unavailable");
        assertThatThrownBy(() -> authorizer.authorize(review("a", "boom")).block()).hasMessageContaining("unavailable");
        assertThat(calls).hasValue(2);
    }

    @Test
    void hugeUsersBypassTheCache() {
        var authorizer = cache(apiServer);
        String huge = "x".repeat(CachingAuthorizer.MAX_CACHEABLE_USER_CHARS + 1);
        authorizer.authorize(review(huge, "stats")).block();
        authorizer.authorize(review(huge, "stats")).block();
        assertThat(calls).hasValue(2);
    }

    @Test
    void fiftyConcurrentIdenticalMissesMakeOneCall() {
        Sinks.One<Decision> answer = Sinks.one();
        AtomicInteger delegated = new AtomicInteger();
        var authorizer = cache(review -> {
            delegated.incrementAndGet();
            return answer.asMono();
        });
        List<Mono<Decision>> lookups = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            lookups.add(authorizer.authorize(review("a", "stats")).cache());
        }
        lookups.forEach(Mono::subscribe);
        answer.tryEmitValue(new Decision(Decision.Kind.ALLOW, ""));

        assertThat(Flux.concat(lookups).collectList().block()).hasSize(50).allMatch(Decision::allowed);
        assertThat(delegated).hasValue(1);
    }
}
