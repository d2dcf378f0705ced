package io.github.kubeletauthproxy.authz;

import java.util.List;

import io.github.kubeletauthproxy.apiserver.ApiServerBusyException;
import io.github.kubeletauthproxy.authn.UserInfo;
import io.github.kubeletauthproxy.cache.LastAllowServed;
import io.github.kubeletauthproxy.status.Causes;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The kubelet's evaluation of a request's records: one review per subresource, in order, until one allows.
 * An error on any review ends the evaluation as failed on that record: no fallback to the next record. When every
 * node-level review denies and the request names a pod ({@link PodScope}, only with pod-scoped access on), the pod's
 * own review decides; {@code GET /pods} is then forwarded to be filtered by {@link #mayListPods}.
 */
public final class KubeletAuthorization {

    private final Authorizer authorizer;
    private final String nodeName;

    public KubeletAuthorization(Authorizer authorizer, String nodeName) {
        this.authorizer = authorizer;
        this.nodeName = nodeName;
    }

    /**
     * The outcome for one request: allowed by {@code review}, denied by every review, failed because {@code review}
     * could not be answered, or (pod-scoped {@code GET /pods}) allowed with the answer filtered by namespace. A value,
     * so that the caller maps each kind to its answer without reading exceptions. {@code servedFromLastAllow}: set when
     * the allow is the API server's last one, answered because it did not answer now.
     */
    public record Outcome(Kind kind, AccessReview review, String reason, LastAllowServed servedFromLastAllow) {

        /** UNAVAILABLE: not asked, because too many calls already wait for the API server. */
        public enum Kind { ALLOWED, DENIED, FAILED, UNAVAILABLE, POD_LIST_FILTERED }

        /** Not served from a last allow. */
        public Outcome(Kind kind, AccessReview review, String reason) {
            this(kind, review, reason, null);
        }

        static Outcome allowed(AccessReview review, LastAllowServed servedFromLastAllow) {
            return new Outcome(Kind.ALLOWED, review, "", servedFromLastAllow);
        }

        static Outcome denied() {
            return new Outcome(Kind.DENIED, null, "");
        }

        /** {@code reason}: why the review could not be answered, for the audit line and the log (never for the client). */
        static Outcome failed(AccessReview review, String reason) {
            return new Outcome(Kind.FAILED, review, reason);
        }

        static Outcome unavailable(AccessReview review, String reason) {
            return new Outcome(Kind.UNAVAILABLE, review, reason);
        }

        /** Neither allowed nor denied: the review has no answer. */
        public boolean unanswered() {
            return kind == Kind.FAILED || kind == Kind.UNAVAILABLE;
        }

        static Outcome podListFiltered() {
            return new Outcome(Kind.POD_LIST_FILTERED, null, "");
        }
    }

    /** The kubelet's node-level reviews for a request, in order. */
    public static List<AccessReview> reviews(UserInfo user, KubeletRequestAttributes.Attributes attributes,
            String nodeName) {
        return attributes.subresources().stream()
                .map(subresource -> AccessReview.node(user, attributes.verb(), subresource, nodeName))
                .toList();
    }

    public Mono<Outcome> authorize(UserInfo user, KubeletRequestAttributes.Attributes attributes) {
        return Flux.fromIterable(reviews(user, attributes, nodeName))
                .concatMap(this::decide)
                .takeUntil(outcome -> outcome.kind() != Outcome.Kind.DENIED)
                .last()
                .flatMap(outcome -> outcome.kind() == Outcome.Kind.DENIED ? podScoped(user, attributes.podAccess())
                        : Mono.just(outcome));
    }

    /** The second chance pod-scoped access gives a request the node-level reviews denied. */
    private Mono<Outcome> podScoped(UserInfo user, PodScope.Access access) {
        if (access instanceof PodScope.OnePod pod) {
            return decide(pod.review(user));
        }
        if (access instanceof PodScope.PodList) {
            return Mono.just(Outcome.podListFiltered());
        }
        return Mono.just(Outcome.denied());
    }

    /** Whether {@code user} may list the pods of {@code namespace}: the filter of a pod-scoped {@code GET /pods}. */
    public Mono<Outcome> mayListPods(UserInfo user, String namespace) {
        return decide(PodScope.PodList.review(user, namespace));
    }

    private Mono<Outcome> decide(AccessReview review) {
        return authorizer.authorize(review)
                .map(decision -> decision.allowed() ? Outcome.allowed(review, decision.servedFromLastAllow()) : Outcome.denied())
                .onErrorResume(e -> Mono.just(e instanceof ApiServerBusyException
                        ? Outcome.unavailable(review, Causes.describe(e)) : Outcome.failed(review, Causes.describe(e))));
    }
}
