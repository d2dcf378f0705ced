package io.github.kubeletauthproxy.authz;

import java.util.List;
import java.util.Set;

/**
 * What the outage mode may answer from a last allow: the scrapers' reads, {@code get nodes/<subresource>} of this
 * node for the listed subresources, nothing else. A request is in scope when every record it would be reviewed on is,
 * and no pod-scoped review could decide it: streams, {@code proxy} and writes always wait for the API server.
 */
public record LastAllowScope(Set<String> subresources) {

    public static final LastAllowScope NONE = new LastAllowScope(Set.of());

    private static final String GET = "get";

    public LastAllowScope {
        subresources = Set.copyOf(subresources);
    }

    public static LastAllowScope of(List<String> subresources) {
        return new LastAllowScope(Set.copyOf(subresources));
    }

    public boolean covers(AccessReview review) {
        return review.isNodeReview() && review.verb().equals(GET) && subresources.contains(review.subresource());
    }

    public boolean covers(KubeletRequestAttributes.Attributes attributes) {
        return attributes.verb().equals(GET) && attributes.podAccess() instanceof PodScope.None
                && !attributes.subresources().isEmpty() && subresources.containsAll(attributes.subresources());
    }
}
