package io.github.kubeletauthproxy.authn;

import io.github.kubeletauthproxy.cache.LastAllowServed;

/**
 * What an authenticator says of a request. "Not mine" (no credential of its kind) is different from
 * "rejected" (a credential of its kind that is wrong): only the former lets the chain go on.
 * An error (API server unreachable) travels as a Mono error, never as one of these.
 */
public sealed interface AuthenticationResult {

    /**
     * {@code servedFromLastAllow}: null when the API server (or a certificate) established the user now; otherwise the
     * API server did not answer and the user is the one it last established for this token ({@link LastAllowTokenAuthenticator}).
     */
    record Authenticated(UserInfo user, LastAllowServed servedFromLastAllow) implements AuthenticationResult {

        public Authenticated(UserInfo user) {
            this(user, null);
        }

        /** Another user, established the same way. */
        public Authenticated withUser(UserInfo other) {
            return new Authenticated(other, servedFromLastAllow);
        }
    }

    record NotApplicable() implements AuthenticationResult {
    }

    record Rejected(String reason) implements AuthenticationResult {
    }

    static AuthenticationResult notApplicable() {
        return new NotApplicable();
    }
}
