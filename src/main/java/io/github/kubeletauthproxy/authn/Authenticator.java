package io.github.kubeletauthproxy.authn;

import reactor.core.publisher.Mono;

/** Authenticates a request from its credentials. */
public interface Authenticator {

    Mono<AuthenticationResult> authenticate(RequestCredentials credentials);
}
