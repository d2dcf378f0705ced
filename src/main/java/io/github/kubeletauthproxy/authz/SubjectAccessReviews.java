package io.github.kubeletauthproxy.authz;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.authorization.v1.ResourceAttributesBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;

/** Turns an {@link AccessReview} into the {@code authorization.k8s.io/v1} object sent to the API server. */
public final class SubjectAccessReviews {

    private SubjectAccessReviews() {
    }

    public static SubjectAccessReview toResource(AccessReview review) {
        Map<String, List<String>> extra = new LinkedHashMap<>(review.user().extra());
        return new SubjectAccessReviewBuilder()
                .withApiVersion("authorization.k8s.io/v1")
                .withKind("SubjectAccessReview")
                .withNewSpec()
                .withUser(review.user().name())
                .withUid(review.user().uid().isEmpty() ? null : review.user().uid())
                .withGroups(review.user().groups())
                .withExtra(extra.isEmpty() ? null : extra)
                .withResourceAttributes(new ResourceAttributesBuilder()
                        .withVerb(review.verb())
                        .withGroup("")
                        .withVersion(AccessReview.VERSION)
                        .withResource(AccessReview.RESOURCE)
                        .withSubresource(review.subresource())
                        .withName(review.nodeName())
                        .withNamespace("")
                        .build())
                .endSpec()
                .build();
    }
}
