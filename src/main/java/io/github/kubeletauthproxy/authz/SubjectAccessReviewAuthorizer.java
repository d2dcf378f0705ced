package io.github.kubeletauthproxy.authz;

import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.github.kubeletauthproxy.apiserver.ApiServerCalls;
import reactor.core.publisher.Mono;

/** Asks the API server, one SubjectAccessReview per access review. No caching here: see {@link CachingAuthorizer}. */
public final class SubjectAccessReviewAuthorizer implements Authorizer {

    private final KubernetesClient client;
    private final ApiServerCalls calls;

    public SubjectAccessReviewAuthorizer(KubernetesClient client, ApiServerCalls calls) {
        this.client = client;
        this.calls = calls;
    }

    @Override
    public Mono<Decision> authorize(AccessReview review) {
        SubjectAccessReview request = SubjectAccessReviews.toResource(review);
        return calls.call(() -> client.authorization().v1().subjectAccessReview().create(request))
                .map(SubjectAccessReviewAuthorizer::decisionOf);
    }

    static Decision decisionOf(SubjectAccessReview answer) {
        SubjectAccessReviewStatus status = answer.getStatus();
        if (status == null) {
            return new Decision(Decision.Kind.NO_OPINION, "empty status");
        }
        String reason = status.getReason() == null ? "" : status.getReason();
        if (Boolean.TRUE.equals(status.getAllowed())) {
            return new Decision(Decision.Kind.ALLOW, reason);
        }
        if (Boolean.TRUE.equals(status.getDenied())) {
            return new Decision(Decision.Kind.DENY, reason);
        }
        return new Decision(Decision.Kind.NO_OPINION, reason);
    }
}
