package io.github.kubeletauthproxy.authz;

import reactor.core.publisher.Mono;

/**
 * Decides one access review. An error (the API server could not answer) is a signal, never a decision:
 * callers fail closed on it.
 */
public interface Authorizer {

    Mono<Decision> authorize(AccessReview review);
}
