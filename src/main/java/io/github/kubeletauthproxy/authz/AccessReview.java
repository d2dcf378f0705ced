package io.github.kubeletauthproxy.authz;

import io.github.kubeletauthproxy.authn.UserInfo;

/**
 * One SubjectAccessReview spec. The kubelet's reviews are {@code <verb> nodes/<subresource>} named after this node,
 * cluster-scoped; the pod-scoped reviews ({@link PodScope}) are {@code <verb> pods/<subresource>} in a namespace.
 * API group {@code ""}, version {@code v1}. Equal specs are equal records, which makes this the decision cache's key.
 */
public record AccessReview(UserInfo user, String verb, String namespace, String resource, String subresource, String name) {

    public static final String NODES = "nodes";
    public static final String VERSION = "v1";

    /** The kubelet's review: {@code verb nodes/subresource} on {@code nodeName}. */
    public static AccessReview node(UserInfo user, String verb, String subresource, String nodeName) {
        return new AccessReview(user, verb, "", NODES, subresource, nodeName);
    }

    /** A namespaced review; {@code name} empty for a collection (list). */
    public static AccessReview namespaced(UserInfo user, String verb, String namespace, String resource, String subresource,
            String name) {
        return new AccessReview(user, verb, namespace, resource, subresource, name);
    }

    public boolean isNodeReview() {
        return resource.equals(NODES) && namespace.isEmpty();
    }

    /**
     * A short, bounded name for metrics and the audit line's {@code allowedBy}: the subresource for the kubelet's own
     * reviews (as before pod-scoped access existed), {@code pods/<subresource>} or {@code pods/<verb>} for a namespaced
     * review of the resource itself. Never the namespace or the name, which are unbounded.
     */
    public String label() {
        if (isNodeReview()) {
            return subresource;
        }
        return resource + "/" + (subresource.isEmpty() ? verb : subresource);
    }

    /** The attributes as the 403 and 500 texts name them. */
    public String describe() {
        if (isNodeReview()) {
            return "verb=" + verb + ", resource=nodes, subresource=" + subresource;
        }
        return "verb=" + verb + ", resource=" + resource + (subresource.isEmpty() ? "" : ", subresource=" + subresource)
                + ", namespace=" + namespace + (name.isEmpty() ? "" : ", name=" + name);
    }
}
