package io.github.kubeletauthproxy.authz;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The kubelet's mapping from an HTTP request to authorization attributes: the one place a reader looks.
 *
 * <p>Pure: no I/O, no Spring. Given the method and the decoded, already canonical path it returns the verb
 * and the ordered list of {@code nodes/<subresource>} records the kubelet would check (first allow wins).
 * Prefix matching follows the kubelet's {@code isSubpath}: a pattern matches when the path equals it or
 * continues with {@code /}; it is case-sensitive and never looks at the query.
 */
public final class KubeletRequestAttributes {

    /** Endpoints whose handshake opens a stream of commands or a port tunnel. */
    private static final List<String> STREAMING_PREFIXES = List.of("/exec", "/attach", "/portForward", "/run");

    /** Endpoints that may be upgraded to SPDY/WebSocket streams. */
    private static final List<String> UPGRADE_PREFIXES = List.of("/exec", "/attach", "/portForward");

    private KubeletRequestAttributes() {
    }

    /** How the proxy maps requests; the switches are settings. {@code podScoped}: see {@link PodScope}. */
    public record Options(boolean fineGrained, boolean streamsRequireCreate, boolean podScoped) {
        public static final Options DEFAULTS = new Options(true, true, false);
    }

    /**
     * The verb and the ordered subresources to try for one request, and what may allow it when they all deny
     * ({@link PodScope#NONE} unless pod-scoped access is on).
     */
    public record Attributes(String verb, List<String> subresources, PodScope.Access podAccess) {
        public Attributes {
            subresources = List.copyOf(subresources);
        }

        /** The kubelet's attributes alone. */
        public Attributes(String verb, List<String> subresources) {
            this(verb, subresources, PodScope.NONE);
        }
    }

    /**
     * The kubelet's method→verb table. Any other method has no verb here: the kubelet would send an empty
     * verb (which RBAC never grants, but a permissive webhook might), so the proxy refuses it with 405.
     */
    public static Optional<String> verbFor(String method) {
        return switch (method) {
            case "GET" -> Optional.of("get");
            case "POST" -> Optional.of("create");
            case "PUT" -> Optional.of("update");
            case "PATCH" -> Optional.of("patch");
            case "DELETE" -> Optional.of("delete");
            default -> Optional.empty();
        };
    }

    /**
     * The subresources to try, in order, for a decoded path: the kubelet's {@code GetRequestAttributes} as of
     * 1.33-1.37 (one table for all of them: a path a version does not serve is answered 404 by that kubelet,
     * whichever records the proxy asked for first). {@code /statusz} and {@code /flagz} (gates ComponentStatusz and
     * ComponentFlagz, beta and on from 1.36) are checked as {@code statusz} and {@code configz} alone, with
     * fine-grained authorization on or off; {@code /allocatedPods} (1.37, gate KubeletAllocatedPodsEndpoint) is
     * fine-grained like {@code /pods}.
     */
    public static List<String> subresourcesFor(String path, boolean fineGrained) {
        List<String> subresources = new ArrayList<>(2);
        if (fineGrained) {
            if (isSubpath(path, "/pods") || isSubpath(path, "/runningpods/") || isSubpath(path, "/allocatedPods")) {
                subresources.add("pods");
            } else if (isSubpath(path, "/healthz")) {
                subresources.add("healthz");
            } else if (isSubpath(path, "/configz")) {
                subresources.add("configz");
            }
        }
        if (isSubpath(path, "/stats/")) {
            subresources.add("stats");
        } else if (isSubpath(path, "/metrics")) {
            subresources.add("metrics");
        } else if (isSubpath(path, "/logs/")) {
            subresources.add("log");
        } else if (isSubpath(path, "/checkpoint/")) {
            subresources.add("checkpoint");
        } else if (isSubpath(path, "/statusz")) {
            // kubelet 1.33+: statusz and flagz are in the second switch, not the fine-grained one: no proxy record
            subresources.add("statusz");
        } else if (isSubpath(path, "/flagz")) {
            subresources.add("configz");
        } else {
            subresources.add("proxy");
        }
        return subresources;
    }

    /**
     * The attributes for a request, or empty when the method has no verb. With {@code streamsRequireCreate}
     * the stream-opening endpoints are checked as {@code create} whatever the method: a WebSocket exec
     * handshake is a GET, and {@code get nodes/proxy} must not be enough to run commands.
     */
    public static Optional<Attributes> of(String method, String path, Options options) {
        return verbFor(method).map(verb -> {
            String effectiveVerb = options.streamsRequireCreate() && isStreaming(path) ? "create" : verb;
            return new Attributes(effectiveVerb, subresourcesFor(path, options.fineGrained()),
                    options.podScoped() ? PodScope.of(method, path) : PodScope.NONE);
        });
    }

    /** Whether the path opens a command or tunnel stream (exec, attach, port-forward, run). */
    public static boolean isStreaming(String path) {
        return STREAMING_PREFIXES.stream().anyMatch(prefix -> isSubpath(path, prefix));
    }

    /** Whether the path may carry an {@code Upgrade} (exec, attach, port-forward). */
    public static boolean acceptsUpgrade(String path) {
        return UPGRADE_PREFIXES.stream().anyMatch(prefix -> isSubpath(path, prefix));
    }

    /** The kubelet's isSubpath: equal to the pattern, or the pattern followed by '/'. */
    static boolean isSubpath(String path, String pattern) {
        String trimmed = pattern.endsWith("/") ? pattern.substring(0, pattern.length() - 1) : pattern;
        return path.equals(trimmed) || path.startsWith(trimmed + "/");
    }
}
