package io.github.kubeletauthproxy.authn;

/**
 * What an authenticator says of a request. "Not mine" (no credential of its kind) is different from
 * "rejected" (a credential of its kind that is wrong): only the former lets the chain go on.
 * An error (API server unreachable) travels as a Mono error, never as one of these.
 */
public sealed interface AuthenticationResult {

    record Authenticated(UserInfo user) implements AuthenticationResult {
    }

    record NotApplicable() implements AuthenticationResult {
    }

    record Rejected(String reason) implements AuthenticationResult {
    }

    static AuthenticationResult notApplicable() {
        return new NotApplicable();
    }
}
