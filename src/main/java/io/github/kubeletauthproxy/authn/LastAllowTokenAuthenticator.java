package io.github.kubeletauthproxy.authn;

import java.time.Duration;
import java.util.List;

import com.github.benmanes.caffeine.cache.Ticker;
import io.github.kubeletauthproxy.cache.LastAllows;
import reactor.core.publisher.Mono;

/**
 * The outage mode's authentication (off by default): remembers, per token (its HMAC, never the token), the user the
 * TokenReview last established, for at most {@code maxAge}, and answers with it only when the TokenReview fails. A
 * rejection is answered as it came and forgets the token. The answer says it was served from the last allow; only the
 * requests in the outage scope may go on with it (SecurityConfiguration), and it is never cached as fresh.
 */
public final class LastAllowTokenAuthenticator implements TokenAuthenticator {

    private final TokenAuthenticator delegate;
    private final TokenDigest digest;
    private final LastAllows<String, AuthenticationResult> lastAllows;

    public LastAllowTokenAuthenticator(TokenAuthenticator delegate, List<String> audiences, Duration maxAge, long maxSize,
            Ticker ticker, LastAllows.Listener listener) {
        this.delegate = delegate;
        this.digest = TokenDigest.randomlyKeyed(audiences);
        this.lastAllows = new LastAllows<>(maxAge, maxSize, ticker, listener);
    }

    @Override
    public Mono<AuthenticationResult> authenticateToken(String token) {
        return Mono.defer(() -> lastAllows.answer(digest.of(token), delegate.authenticateToken(token),
                result -> result instanceof AuthenticationResult.Authenticated,
                (last, served) -> new AuthenticationResult.Authenticated(((AuthenticationResult.Authenticated) last).user(), served)));
    }
}
