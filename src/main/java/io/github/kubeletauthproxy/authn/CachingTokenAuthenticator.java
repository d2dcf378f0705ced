package io.github.kubeletauthproxy.authn;

import java.time.Duration;
import java.util.List;

import com.github.benmanes.caffeine.cache.Ticker;
import io.github.kubeletauthproxy.cache.CoalescingCache;
import reactor.core.publisher.Mono;

/**
 * The token cache. Keys are HMAC-SHA256 of token and audiences under a random per-process key, so raw
 * tokens are never held; authenticated answers live {@code successTtl}, rejections {@code failureTtl},
 * errors not at all, nor an authentication served from a last allow (it is only as good as the outage lasts).
 * Concurrent lookups of one token make one TokenReview.
 */
public final class CachingTokenAuthenticator implements TokenAuthenticator {

    private final TokenAuthenticator delegate;
    private final TokenDigest digest;
    private final CoalescingCache<String, AuthenticationResult> cache;

    public CachingTokenAuthenticator(TokenAuthenticator delegate, List<String> audiences, Duration successTtl,
            Duration failureTtl, long maxSize, Ticker ticker, CoalescingCache.Listener listener) {
        this(delegate, successTtl, failureTtl, maxSize, ticker, listener, TokenDigest.randomlyKeyed(audiences));
    }

    /** With a given HMAC key: tests compare keys of caches that differ in nothing else. */
    CachingTokenAuthenticator(TokenAuthenticator delegate, List<String> audiences, Duration successTtl,
            Duration failureTtl, long maxSize, Ticker ticker, CoalescingCache.Listener listener, byte[] key) {
        this(delegate, successTtl, failureTtl, maxSize, ticker, listener, new TokenDigest(audiences, key));
    }

    private CachingTokenAuthenticator(TokenAuthenticator delegate, Duration successTtl, Duration failureTtl, long maxSize,
            Ticker ticker, CoalescingCache.Listener listener, TokenDigest digest) {
        this.delegate = delegate;
        this.digest = digest;
        this.cache = new CoalescingCache<>(maxSize, result -> ttlOf(result, successTtl, failureTtl), ticker, listener);
    }

    private static Duration ttlOf(AuthenticationResult result, Duration successTtl, Duration failureTtl) {
        if (result instanceof AuthenticationResult.Authenticated ok) {
            return ok.servedFromLastAllow() == null ? successTtl : Duration.ZERO;
        }
        return failureTtl;
    }

    @Override
    public Mono<AuthenticationResult> authenticateToken(String token) {
        return cache.get(keyOf(token), () -> delegate.authenticateToken(token));
    }

    String keyOf(String token) {
        return digest.of(token);
    }
}
