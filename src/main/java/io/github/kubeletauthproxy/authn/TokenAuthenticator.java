package io.github.kubeletauthproxy.authn;

import reactor.core.publisher.Mono;

/** Authenticates a bearer token, whatever part of the request it came from. */
public interface TokenAuthenticator {

    Mono<AuthenticationResult> authenticateToken(String token);
}
