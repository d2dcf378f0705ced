package io.github.kubeletauthproxy.authz;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns an {@link AccessReview} into the {@code authorization.k8s.io/v1} object sent to the API server. */
public final class SubjectAccessReviews {

    private SubjectAccessReviews() {
    }

    public static SubjectAccessReview toResource(AccessReview review) {
        Map<String, List<String>> extra = new LinkedHashMap<>(review.user().extra());
        SubjectAccessReview.ResourceAttributes attributes = new SubjectAccessReview.ResourceAttributes(review.namespace(), review.verb(), "",
                AccessReview.VERSION, review.resource(), review.subresource(), review.name());
        return new SubjectAccessReview("authorization.k8s.io/v1", "SubjectAccessReview",
                new SubjectAccessReview.Spec(attributes, review.user().name(), review.user().groups(),
                        extra.isEmpty() ? null : extra, review.user().uid().isEmpty() ? null : review.user().uid()),
                null);
    }
}
