package io.github.kubeletauthproxy.authn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.kubeletauthproxy.cache.CoalescingCache;
import io.github.kubeletauthproxy.support.FakeTicker;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

class CachingTokenAuthenticatorTest {

    static final Duration SUCCESS_TTL = Duration.ofMinutes(2);
    static final Duration FAILURE_TTL = Duration.ofSeconds(30);

    final FakeTicker ticker = new FakeTicker();
    final AtomicInteger reviews = new AtomicInteger();
    final List<CoalescingCache.Outcome> outcomes = new ArrayList<>();

    /** A TokenReview stand-in: "good" is alice, "boom" is an API-server error, anything else is rejected. */
    final TokenAuthenticator reviewer = token -> Mono.fromCallable(() -> {
        reviews.incrementAndGet();
        if (token.equals("boom")) {
            throw new IllegalStateException("API server unavailable");
        }
        return token.equals("good")
                ? new AuthenticationResult.Authenticated(new UserInfo("alice", "1", List.of(), Map.of()))
                : new AuthenticationResult.Rejected("invalid");
    });

    CachingTokenAuthenticator cache(TokenAuthenticator delegate) {
        return new CachingTokenAuthenticator(delegate, List.of("aud"), SUCCESS_TTL, FAILURE_TTL, 100, ticker,
                outcome -> { synchronized (outcomes) { outcomes.add(outcome); } });
    }

    @Test
    void successIsCachedForTheSuccessTtl() {
        var tokens = cache(reviewer);
        tokens.authenticateToken("good").block();
        ticker.advance(SUCCESS_TTL.minusSeconds(1));
        tokens.authenticateToken("good").block();
        assertThat(reviews).hasValue(1);

        ticker.advance(Duration.ofSeconds(2));
        tokens.authenticateToken("good").block();
        assertThat(reviews).hasValue(2);
        assertThat(outcomes).containsExactly(CoalescingCache.Outcome.MISS, CoalescingCache.Outcome.HIT,
                CoalescingCache.Outcome.MISS);
    }

    @Test
    void rejectionIsCachedForTheFailureTtl() {
        var tokens = cache(reviewer);
        assertThat(tokens.authenticateToken("bad").block()).isInstanceOf(AuthenticationResult.Rejected.class);
        ticker.advance(FAILURE_TTL.minusSeconds(1));
        tokens.authenticateToken("bad").block();
        assertThat(reviews).hasValue(1);

        ticker.advance(Duration.ofSeconds(2));
        tokens.authenticateToken("bad").block();
        assertThat(reviews).hasValue(2);
    }

    @Test
    void errorsAreNeverCached() {
        var tokens = cache(reviewer);
        assertThatThrownBy(() -> tokens.authenticateToken("boom").block()).hasMessageContaining("unavailable");
        assertThatThrownBy(() -> tokens.authenticateToken("boom").block()).hasMessageContaining("unavailable");
        assertThat(reviews).hasValue(2);
    }

    @Test
    void fiftyConcurrentLookupsOfOneColdTokenMakeOneReview() {
        Sinks.One<AuthenticationResult> answer = Sinks.one();
        AtomicInteger calls = new AtomicInteger();
        var tokens = cache(token -> {
            calls.incrementAndGet();
            return answer.asMono();
        });

        List<Mono<AuthenticationResult>> lookups = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            lookups.add(tokens.authenticateToken("good").cache());
        }
        lookups.forEach(Mono::subscribe);
        answer.tryEmitValue(new AuthenticationResult.Authenticated(new UserInfo("alice", "", List.of(), Map.of())));

        assertThat(Flux.concat(lookups).collectList().block()).hasSize(50)
                .allMatch(result -> result instanceof AuthenticationResult.Authenticated);
        assertThat(calls).hasValue(1);
        assertThat(outcomes).filteredOn(o -> o == CoalescingCache.Outcome.COALESCED).hasSize(49);
    }

    @Test
    void keysAreKeyedHmacsNeverTheTokenAndDependOnTheAudiences() {
        byte[] hmacKey = new byte[32];
        var first = keyed(List.of("aud"), hmacKey);
        String key = first.keyOf("secret-token");

        assertThat(key).doesNotContain("secret-token").isEqualTo(first.keyOf("secret-token"));
        assertThat(keyed(List.of("aud"), hmacKey).keyOf("secret-token")).as("same HMAC key, same audiences").isEqualTo(key);
        assertThat(keyed(List.of("other"), hmacKey).keyOf("secret-token")).as("same HMAC key, other audiences").isNotEqualTo(key);
        assertThat(keyed(List.of("aud", "other"), hmacKey).keyOf("secret-token")).as("one audience more").isNotEqualTo(key);
        assertThat(keyed(List.of("aud"), hmacKey).keyOf("secret-token2")).as("another token").isNotEqualTo(key);
        assertThat(cache(reviewer).keyOf("secret-token")).as("a random key per instance").isNotEqualTo(cache(reviewer).keyOf("secret-token"));
    }

    CachingTokenAuthenticator keyed(List<String> audiences, byte[] hmacKey) {
        return new CachingTokenAuthenticator(reviewer, audiences, SUCCESS_TTL, FAILURE_TTL, 100, ticker,
                CoalescingCache.Listener.NONE, hmacKey);
    }
}
