package io.github.kubeletauthproxy.authz;

import java.util.List;

import io.github.kubeletauthproxy.authn.UserInfo;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The kubelet's evaluation of a request's records: one review per subresource, in order, until one allows.
 * An error on any review ends the evaluation with that error: no fallback to the next record.
 */
public final class KubeletAuthorization {

    private final Authorizer authorizer;
    private final String nodeName;

    public KubeletAuthorization(Authorizer authorizer, String nodeName) {
        this.authorizer = authorizer;
        this.nodeName = nodeName;
    }

    /** The outcome for one request. */
    public record Outcome(boolean allowed, String allowedSubresource, String reason) {
    }

    /** Thrown (as a Mono error) when a review could not be answered; carries the failed record. */
    public static final class AuthorizationFailure extends RuntimeException {
        private final String subresource;

        public AuthorizationFailure(String subresource, Throwable cause) {
            super("SubjectAccessReview for nodes/" + subresource + " failed: " + cause.getMessage(), cause);
            this.subresource = subresource;
        }

        public String subresource() {
            return subresource;
        }
    }

    public static List<AccessReview> reviews(UserInfo user, KubeletRequestAttributes.Attributes attributes,
            String nodeName) {
        return attributes.subresources().stream()
                .map(subresource -> new AccessReview(user, attributes.verb(), subresource, nodeName))
                .toList();
    }

    public Mono<Outcome> authorize(UserInfo user, KubeletRequestAttributes.Attributes attributes) {
        return Flux.fromIterable(reviews(user, attributes, nodeName))
                .concatMap(review -> authorizer.authorize(review)
                        .onErrorMap(e -> !(e instanceof AuthorizationFailure),
                                e -> new AuthorizationFailure(review.subresource(), e))
                        .map(decision -> new Outcome(decision.allowed(), review.subresource(), decision.reason())))
                .takeUntil(Outcome::allowed)
                .last();
    }
}
