package io.github.kubeletauthproxy.authn;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What the proxy keeps of a token: HMAC-SHA256 of token and audiences under a per-process key, so that a memory of
 * answers never holds a raw token.
 */
final class TokenDigest {

    private final String audienceSuffix;
    // one Mac per thread: looking the algorithm up and keying it on every request cost more than the hash
    private final ThreadLocal<Mac> macs;

    TokenDigest(List<String> audiences, byte[] key) {
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
    }

    /** Under a random key: digests of one process cannot be compared with another's. */
    static TokenDigest randomlyKeyed(List<String> audiences) {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return new TokenDigest(audiences, key);
    }

    String of(String token) {
        // doFinal leaves the Mac keyed and reset for the next token
        byte[] digest = macs.get().doFinal((token + audienceSuffix).getBytes(StandardCharsets.UTF_8));
        return Base64.getEncoder().encodeToString(digest);
    }
}
