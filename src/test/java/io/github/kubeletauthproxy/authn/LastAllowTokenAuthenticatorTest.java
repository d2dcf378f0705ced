package io.github.kubeletauthproxy.authn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.github.kubeletauthproxy.cache.CoalescingCache;
import io.github.kubeletauthproxy.cache.LastAllowServed;
import io.github.kubeletauthproxy.support.FakeTicker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.publisher.Mono;

/**
 * The outage mode's authentication: a token's last authentication stands in for the TokenReview only when the
 * TokenReview fails, for at most the maximum age; a rejection is never replaced.
 */
class LastAllowTokenAuthenticatorTest {

    static final Duration MAX_AGE = Duration.ofMinutes(10);
    static final UserInfo PROMETHEUS = new UserInfo("prometheus", "uid-1", List.of("monitoring"), Map.of());

    final FakeTicker ticker = new FakeTicker();
    final AtomicInteger reviews = new AtomicInteger();
    final List<LastAllowServed> served = new ArrayList<>();
    /** What the TokenReview answers now: AUTHENTICATED, REJECTED or ERROR. */
    final AtomicReference<String> apiServer = new AtomicReference<>("AUTHENTICATED");

    final TokenAuthenticator tokenReview = token -> Mono.fromCallable(() -> {
        reviews.incrementAndGet();
        return switch (apiServer.get()) {
            case "ERROR" -> throw new IllegalStateException("connection refused");
            case "REJECTED" -> new AuthenticationResult.Rejected("token has been revoked");
            default -> new AuthenticationResult.Authenticated(PROMETHEUS);
        };
    });

    LastAllowTokenAuthenticator lastAllows(TokenAuthenticator delegate) {
        return new LastAllowTokenAuthenticator(delegate, List.of(), MAX_AGE, 100, ticker, served::add);
    }

    @ParameterizedTest(name = "remembered={0}, {1}s later the TokenReview answers {2} -> {3}")
    @CsvSource(delimiter = '|', value = {
            // remembered | age (s) | the TokenReview now | answered
            "true         | 599     | ERROR               | the last authentication",
            "true         | 601     | ERROR               | the error",
            "false        | 1       | ERROR               | the error",
            "true         | 1       | REJECTED            | REJECTED",
            "true         | 601     | AUTHENTICATED       | AUTHENTICATED",
            "false        | 1       | AUTHENTICATED       | AUTHENTICATED",
    })
    void theLastAuthenticationAnswersOnlyForAFailedTokenReviewWithinTheMaximumAge(boolean remembered, long ageSeconds,
            String now, String answered) {
        var tokens = lastAllows(tokenReview);
        if (remembered) {
            tokens.authenticateToken("scraper-token").block();
        }
        ticker.advance(Duration.ofSeconds(ageSeconds));
        apiServer.set(now);

        switch (answered) {
            case "the error" -> {
                assertThatThrownBy(() -> tokens.authenticateToken("scraper-token").block())
                        .hasMessageContaining("connection refused");
                assertThat(served).isEmpty();
            }
            case "the last authentication" -> {
                LastAllowServed lastAllow = new LastAllowServed(Duration.ofSeconds(ageSeconds),
                        "IllegalStateException: connection refused");
                assertThat(tokens.authenticateToken("scraper-token").block())
                        .isEqualTo(new AuthenticationResult.Authenticated(PROMETHEUS, lastAllow));
                assertThat(served).containsExactly(lastAllow);
            }
            case "REJECTED" -> {
                assertThat(tokens.authenticateToken("scraper-token").block())
                        .isEqualTo(new AuthenticationResult.Rejected("token has been revoked"));
                assertThat(served).isEmpty();
            }
            default -> {
                assertThat(tokens.authenticateToken("scraper-token").block())
                        .isEqualTo(new AuthenticationResult.Authenticated(PROMETHEUS));
                assertThat(served).isEmpty();
            }
        }
    }

    @Test
    void aRejectionForgetsTheTokenSoThatALaterOutageDoesNotRestoreIt() {
        var tokens = lastAllows(tokenReview);
        tokens.authenticateToken("scraper-token").block();
        apiServer.set("REJECTED");
        tokens.authenticateToken("scraper-token").block();
        apiServer.set("ERROR");

        assertThatThrownBy(() -> tokens.authenticateToken("scraper-token").block()).hasMessageContaining("connection refused");
    }

    @Test
    void anotherTokenIsNotServedTheLastAuthenticationOfOne() {
        var tokens = lastAllows(tokenReview);
        tokens.authenticateToken("scraper-token").block();
        apiServer.set("ERROR");

        assertThatThrownBy(() -> tokens.authenticateToken("guessed-token").block()).hasMessageContaining("connection refused");
    }

    @Test
    void throughTheChainTheMarkSurvivesAndTheTokenCacheDoesNotKeepItAsFresh() {
        Duration successTtl = Duration.ofMinutes(2);
        var cached = new CachingTokenAuthenticator(lastAllows(tokenReview), List.of(), successTtl, successTtl, 100, ticker,
                CoalescingCache.Listener.NONE);
        var chain = new AuthenticatedGroupAdder(new BearerTokenAuthenticator(cached));
        var credentials = new RequestCredentials(List.of(), Optional.of("Bearer scraper-token"), Optional.empty(), false);
        chain.authenticate(credentials).block();
        ticker.advance(successTtl.plusSeconds(1));
        apiServer.set("ERROR");

        var served = (AuthenticationResult.Authenticated) chain.authenticate(credentials).block();
        assertThat(served.user().groups()).containsExactly("monitoring", UserInfo.AUTHENTICATED_GROUP);
        assertThat(served.servedFromLastAllow()).isNotNull();

        apiServer.set("REJECTED");
        assertThat(chain.authenticate(credentials).block()).isInstanceOf(AuthenticationResult.Rejected.class);
        assertThat(reviews).hasValue(3);
    }
}
