package io.github.kubeletauthproxy.authn;

import reactor.core.publisher.Mono;

/** Adds {@code system:authenticated} to every user its delegate authenticates, as the apiserver does. */
public final class AuthenticatedGroupAdder implements Authenticator {

    private final Authenticator delegate;

    public AuthenticatedGroupAdder(Authenticator delegate) {
        this.delegate = delegate;
    }

    @Override
    public Mono<AuthenticationResult> authenticate(RequestCredentials credentials) {
        return delegate.authenticate(credentials).map(result -> result instanceof AuthenticationResult.Authenticated ok
                ? ok.withUser(ok.user().withGroup(UserInfo.AUTHENTICATED_GROUP))
                : result);
    }
}
