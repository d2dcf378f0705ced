package io.github.kubeletauthproxy.authz;

import io.github.kubeletauthproxy.apiserver.ApiServerCalls;
import io.github.kubeletauthproxy.apiserver.ApiServerClient;
import reactor.core.publisher.Mono;

/** Asks the API server, one SubjectAccessReview per access review. No caching here: see {@link CachingAuthorizer}. */
public final class SubjectAccessReviewAuthorizer implements Authorizer {

    private final ApiServerClient client;
    private final ApiServerCalls calls;

    public SubjectAccessReviewAuthorizer(ApiServerClient client, ApiServerCalls calls) {
        this.client = client;
        this.calls = calls;
    }

    @Override
    public Mono<Decision> authorize(AccessReview review) {
        SubjectAccessReview request = SubjectAccessReviews.toResource(review);
        return calls.call(() -> client.create(SubjectAccessReview.PATH, request, SubjectAccessReview.class))
                .map(SubjectAccessReviewAuthorizer::decisionOf);
    }

    static Decision decisionOf(SubjectAccessReview answer) {
        SubjectAccessReview.Status status = answer.status();
        if (status == null) {
            return new Decision(Decision.Kind.NO_OPINION, "empty status");
        }
        String reason = status.reason() == null ? "" : status.reason();
        if (Boolean.TRUE.equals(status.allowed())) {
            return new Decision(Decision.Kind.ALLOW, reason);
        }
        if (Boolean.TRUE.equals(status.denied())) {
            return new Decision(Decision.Kind.DENY, reason);
        }
        return new Decision(Decision.Kind.NO_OPINION, reason);
    }
}
