package io.github.kubeletauthproxy.authn;

import java.util.List;
import java.util.Map;

/** {@code authentication.k8s.io/v1} TokenReview, the fields the proxy sends and reads. */
public record TokenReview(String apiVersion, String kind, Spec spec, Status status) {

    public static final String PATH = "/apis/authentication.k8s.io/v1/tokenreviews";

    public record Spec(String token, List<String> audiences) {
    }

    public record Status(Boolean authenticated, User user, List<String> audiences, String error) {
    }

    public record User(String username, String uid, List<String> groups, Map<String, List<String>> extra) {
    }

    /** A review of {@code token}; no audiences means the API server's own. */
    public static TokenReview of(String token, List<String> audiences) {
        return new TokenReview("authentication.k8s.io/v1", "TokenReview",
                new Spec(token, audiences.isEmpty() ? null : audiences), null);
    }
}
