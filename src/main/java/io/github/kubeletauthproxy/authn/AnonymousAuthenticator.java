package io.github.kubeletauthproxy.authn;

import reactor.core.publisher.Mono;

/**
 * {@code system:anonymous} for requests that presented no credential at all. Placed last in the chain and
 * only when enabled; a request with any credential (even one no method claimed) is not anonymous.
 */
public final class AnonymousAuthenticator implements Authenticator {

    @Override
    public Mono<AuthenticationResult> authenticate(RequestCredentials credentials) {
        return Mono.just(credentials.isEmpty()
                ? new AuthenticationResult.Authenticated(UserInfo.anonymous())
                : AuthenticationResult.notApplicable());
    }
}
