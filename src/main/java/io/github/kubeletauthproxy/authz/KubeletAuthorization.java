package io.github.kubeletauthproxy.authz;

import java.util.List;

import io.github.kubeletauthproxy.authn.UserInfo;
import io.github.kubeletauthproxy.status.Causes;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The kubelet's evaluation of a request's records: one review per subresource, in order, until one allows.
 * An error on any review ends the evaluation as failed on that record: no fallback to the next record.
 */
public final class KubeletAuthorization {

    private final Authorizer authorizer;
    private final String nodeName;

    public KubeletAuthorization(Authorizer authorizer, String nodeName) {
        this.authorizer = authorizer;
        this.nodeName = nodeName;
    }

    /**
     * The outcome for one request: allowed by the review of {@code subresource}, denied by every review, or failed
     * because the review of {@code subresource} could not be answered. A value, so that the caller maps each kind to
     * its answer without reading exceptions.
     */
    public record Outcome(Kind kind, String subresource, String reason) {

        public enum Kind { ALLOWED, DENIED, FAILED }

        static Outcome allowed(String subresource) {
            return new Outcome(Kind.ALLOWED, subresource, "");
        }

        static Outcome denied() {
            return new Outcome(Kind.DENIED, "", "");
        }

        /** {@code reason}: why the review could not be answered, for the audit line and the log (never for the client). */
        static Outcome failed(String subresource, String reason) {
            return new Outcome(Kind.FAILED, subresource, reason);
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
                        .map(decision -> decision.allowed() ? Outcome.allowed(review.subresource()) : Outcome.denied())
                        .onErrorResume(e -> Mono.just(Outcome.failed(review.subresource(), Causes.describe(e)))))
                .takeUntil(outcome -> outcome.kind() != Outcome.Kind.DENIED)
                .last();
    }
}
