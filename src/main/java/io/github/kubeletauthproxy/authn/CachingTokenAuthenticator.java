package io.github.kubeletauthproxy.authn;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.github.benmanes.caffeine.cache.Ticker;
import io.github.kubeletauthproxy.cache.CoalescingCache;
import reactor.core.publisher.Mono;

/**
 * The token cache. Keys are HMAC-SHA256 of token and audiences under a random per-process key, so raw
 * tokens are never held; authenticated answers live {@code successTtl}, rejections {@code failureTtl},
 * errors not at all. Concurrent lookups of one token make one TokenReview.
 */
public final class CachingTokenAuthenticator implements TokenAuthenticator {

    private final TokenAuthenticator delegate;
    private final String audienceSuffix;
    // one Mac per thread: looking the algorithm up and keying it on every request cost more than the hash
    private final ThreadLocal<Mac> macs;
    private final CoalescingCache<String, AuthenticationResult> cache;

    public CachingTokenAuthenticator(TokenAuthenticator delegate, List<String> audiences, Duration successTtl,
            Duration failureTtl, long maxSize, Ticker ticker, CoalescingCache.Listener listener) {
        this(delegate, audiences, successTtl, failureTtl, maxSize, ticker, listener, randomKey());
    }

    /** With a given HMAC key: tests compare keys of caches that differ in nothing else. */
    CachingTokenAuthenticator(TokenAuthenticator delegate, List<String> audiences, Duration successTtl,
            Duration failureTtl, long maxSize, Ticker ticker, CoalescingCache.Listener listener, byte[] key) {
        this.delegate = delegate;
        this.audienceSuffix = "\u0000" + String.join("\u0000", audiences);
        SecretKeySpec hmacKey = new SecretKeySpec(key, "HmacSHA256");
        this.macs = ThreadLocal.withInitial(() -> {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(hmacKey);
                return mac;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 unavailable", e);
            }
        });
        this.cache = new CoalescingCache<>(maxSize,
                result -> result instanceof AuthenticationResult.Authenticated ? successTtl : failureTtl, ticker, listener);
    }

    @Override
    public Mono<AuthenticationResult> authenticateToken(String token) {
        return cache.get(keyOf(token), () -> delegate.authenticateToken(token));
    }

    private static byte[] randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return key;
    }

    String keyOf(String token) {
        // doFinal leaves the Mac keyed and reset for the next token
        byte[] digest = macs.get().doFinal((token + audienceSuffix).getBytes(StandardCharsets.UTF_8));
        return Base64.getEncoder().encodeToString(digest);
    }
}
