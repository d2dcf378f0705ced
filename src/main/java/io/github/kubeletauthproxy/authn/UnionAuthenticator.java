package io.github.kubeletauthproxy.authn;

import java.util.List;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Tries authenticators in order. The first that authenticates or rejects decides; a rejection is final, so
 * a wrong credential never falls through to a later method (least of all to anonymous). Errors propagate.
 */
public final class UnionAuthenticator implements Authenticator {

    private final List<Authenticator> authenticators;

    public UnionAuthenticator(List<Authenticator> authenticators) {
        this.authenticators = List.copyOf(authenticators);
    }

    @Override
    public Mono<AuthenticationResult> authenticate(RequestCredentials credentials) {
        return Flux.fromIterable(authenticators)
                .concatMap(authenticator -> authenticator.authenticate(credentials))
                .filter(result -> !(result instanceof AuthenticationResult.NotApplicable))
                .next()
                .defaultIfEmpty(AuthenticationResult.notApplicable());
    }
}
