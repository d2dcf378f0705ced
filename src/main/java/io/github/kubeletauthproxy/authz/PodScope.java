package io.github.kubeletauthproxy.authz;

import java.util.List;
import java.util.regex.Pattern;

import io.github.kubeletauthproxy.authn.UserInfo;

/**
 * The pod-scoped table (setting {@code authorization.pod-scoped}): for the requests that name one pod, the permission
 * the API server itself requires for the same action on that pod, asked when the kubelet's node-level reviews deny.
 * It grants nothing the API server would not grant through {@code kubectl logs}, {@code exec}, {@code attach} or
 * {@code port-forward}. {@code GET /pods} is answered with the pods of the namespaces where the caller may
 * {@code list pods}. Every other path keeps the node-level rule only.
 *
 * <p>Pure, like {@link KubeletRequestAttributes}: given the method and the canonical path it returns what else may
 * allow the request. The shapes are the kubelet's routes; a path of another shape gets no second review (the kubelet
 * would not route it to a pod either).
 */
public final class PodScope {

    /** A namespace is a DNS-1123 label, as the API server validates it. */
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

    /** A pod name is a DNS-1123 subdomain: labels joined by dots. */
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    /**
     * One row: the kubelet route's prefix, how many segments follow it (the pod's namespace and name first; then the
     * container, or the pod UID and the container), which methods it covers (empty: all), and the review.
     */
    private record Route(String prefix, int minSegments, int maxSegments, String method, String verb, String subresource) {
    }

    private static final List<Route> ROUTES = List.of(
            new Route("/containerLogs", 3, 3, "GET", "get", "log"),
            new Route("/exec", 3, 4, "", "create", "exec"),
            new Route("/attach", 3, 4, "", "create", "attach"),
            new Route("/portForward", 2, 3, "", "create", "portforward"),
            new Route("/run", 3, 4, "", "create", "exec"));

    private PodScope() {
    }

    /** What, besides the node-level reviews, may allow a request. */
    public sealed interface Access permits None, OnePod, PodList, InvalidName {
    }

    /** Node-level reviews only. */
    public record None() implements Access {
    }

    /** {@code verb pods/subresource} on the pod {@code namespace/pod}. */
    public record OnePod(String verb, String subresource, String namespace, String pod) implements Access {

        public AccessReview review(UserInfo user) {
            return AccessReview.namespaced(user, verb, namespace, "pods", subresource, pod);
        }
    }

    /** {@code GET /pods}: the kubelet's list, filtered to the namespaces where the caller may {@code list pods}. */
    public record PodList() implements Access {

        public static AccessReview review(UserInfo user, String namespace) {
            return AccessReview.namespaced(user, "list", namespace, "pods", "", "");
        }
    }

    /** The path names a pod by a namespace or name the API server would never accept: refused with 400. */
    public record InvalidName(String message) implements Access {
    }

    public static final Access NONE = new None();

    public static Access of(String method, String path) {
        if (method.equals("GET") && path.equals("/pods")) {
            return new PodList();
        }
        for (Route route : ROUTES) {
            if (!path.startsWith(route.prefix() + "/") || !(route.method().isEmpty() || route.method().equals(method))) {
                continue;
            }
            String[] segments = path.substring(route.prefix().length() + 1).split("/", -1);
            if (segments.length < route.minSegments() || segments.length > route.maxSegments()) {
                return NONE;
            }
            String namespace = segments[0];
            String pod = segments[1];
            if (namespace.length() > 63 || !DNS_LABEL.matcher(namespace).matches()) {
                return new InvalidName("'" + namespace + "' is not a valid namespace name (a DNS-1123 label)");
            }
            if (pod.length() > 253 || !DNS_SUBDOMAIN.matcher(pod).matches()) {
                return new InvalidName("'" + pod + "' is not a valid pod name (a DNS-1123 subdomain)");
            }
            return new OnePod(route.verb(), route.subresource(), namespace, pod);
        }
        return NONE;
    }
}
