package io.github.kubeletauthproxy.authz;

import java.time.Duration;

import com.github.benmanes.caffeine.cache.Ticker;
import io.github.kubeletauthproxy.cache.LastAllows;
import reactor.core.publisher.Mono;

/**
 * The outage mode's authorization (off by default): for the reviews in {@code scope} only, remembers the last ALLOW
 * per review for at most {@code maxAge} and answers ALLOW from it only when the delegate fails. A deny or no-opinion is
 * answered as it came and forgets the review's allow; reviews out of scope pass through untouched, so they fail closed.
 * The answer says it was served from the last allow (and CachingAuthorizer does not keep it).
 */
public final class LastAllowAuthorizer implements Authorizer {

    private final Authorizer delegate;
    private final LastAllowScope scope;
    private final LastAllows<AccessReview, Decision> lastAllows;

    public LastAllowAuthorizer(Authorizer delegate, LastAllowScope scope, Duration maxAge, long maxSize, Ticker ticker,
            LastAllows.Listener listener) {
        this.delegate = delegate;
        this.scope = scope;
        this.lastAllows = new LastAllows<>(maxAge, maxSize, ticker, listener);
    }

    @Override
    public Mono<Decision> authorize(AccessReview review) {
        if (!scope.covers(review)) {
            return delegate.authorize(review);
        }
        return Mono.defer(() -> lastAllows.answer(review, delegate.authorize(review), Decision::allowed,
                (last, served) -> new Decision(Decision.Kind.ALLOW, last.reason(), served)));
    }
}
