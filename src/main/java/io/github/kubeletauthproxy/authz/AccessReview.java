package io.github.kubeletauthproxy.authz;

import io.github.kubeletauthproxy.authn.UserInfo;

/**
 * One SubjectAccessReview spec: {@code <verb> nodes/<subresource>} on this node, for a user. Always
 * resource {@code nodes}, API group {@code ""}, version {@code v1}, namespace {@code ""}; equal specs are
 * equal records, which makes this the decision cache's key.
 */
public record AccessReview(UserInfo user, String verb, String subresource, String nodeName) {

    public static final String RESOURCE = "nodes";
    public static final String VERSION = "v1";
}
