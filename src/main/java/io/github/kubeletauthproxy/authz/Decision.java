package io.github.kubeletauthproxy.authz;

import io.github.kubeletauthproxy.cache.LastAllowServed;

/**
 * An authorizer's answer, as the apiserver's authorizer interface has it. {@code servedFromLastAllow}: null when the
 * API server gave this answer now; otherwise it did not answer and this is its last allow ({@link LastAllowAuthorizer}).
 */
public record Decision(Kind kind, String reason, LastAllowServed servedFromLastAllow) {

    public enum Kind { ALLOW, DENY, NO_OPINION }

    public Decision(Kind kind, String reason) {
        this(kind, reason, null);
    }

    public boolean allowed() {
        return kind == Kind.ALLOW;
    }
}
