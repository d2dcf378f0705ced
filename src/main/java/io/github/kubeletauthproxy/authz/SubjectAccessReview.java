package io.github.kubeletauthproxy.authz;

import java.util.List;
import java.util.Map;

/** {@code authorization.k8s.io/v1} SubjectAccessReview, the fields the proxy sends and reads. */
public record SubjectAccessReview(String apiVersion, String kind, Spec spec, Status status) {

    public static final String PATH = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

    public record Spec(ResourceAttributes resourceAttributes, String user, List<String> groups,
            Map<String, List<String>> extra, String uid) {
    }

    /** Written with every field, empty ones too, as the kubelet's authorizer sends them. */
    public record ResourceAttributes(String namespace, String verb, String group, String version, String resource,
            String subresource, String name) {
    }

    public record Status(Boolean allowed, Boolean denied, String reason) {
    }
}
