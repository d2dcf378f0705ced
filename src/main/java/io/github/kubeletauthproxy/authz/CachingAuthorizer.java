package io.github.kubeletauthproxy.authz;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.github.benmanes.caffeine.cache.Ticker;
import io.github.kubeletauthproxy.cache.CoalescingCache;
import reactor.core.publisher.Mono;

/**
 * Remembers decisions keyed on the whole review: allows for {@code allowTtl}, denials and no-opinions for
 * {@code denyTtl}; errors never, nor an allow served from a last allow (it stands in for an error). Concurrent identical misses make one call. Reviews whose caller-controlled
 * fields are huge bypass the cache so that nobody can fill memory through it.
 */
public final class CachingAuthorizer implements Authorizer {

    /** Beyond this many characters of user name, groups and extra, a review is not cached. */
    static final int MAX_CACHEABLE_USER_CHARS = 10_000;

    private final Authorizer delegate;
    private final CoalescingCache<AccessReview, Decision> cache;

    public CachingAuthorizer(Authorizer delegate, Duration allowTtl, Duration denyTtl, long maxSize, Ticker ticker,
            CoalescingCache.Listener listener) {
        this.delegate = delegate;
        this.cache = new CoalescingCache<>(maxSize, decision -> decision.servedFromLastAllow() != null ? Duration.ZERO
                : decision.allowed() ? allowTtl : denyTtl, ticker, listener);
    }

    @Override
    public Mono<Decision> authorize(AccessReview review) {
        if (userSize(review) > MAX_CACHEABLE_USER_CHARS) {
            return delegate.authorize(review);
        }
        return cache.get(review, () -> delegate.authorize(review));
    }

    private static int userSize(AccessReview review) {
        int size = review.user().name().length() + review.user().uid().length();
        for (String group : review.user().groups()) {
            size += group.length();
        }
        for (Map.Entry<String, List<String>> entry : review.user().extra().entrySet()) {
            size += entry.getKey().length();
            for (String value : entry.getValue()) {
                size += value.length();
            }
        }
        return size;
    }
}
