package io.github.kubeletauthproxy.status;

import java.util.List;

/**
 * The texts of the answers the proxy writes itself, pure functions every package may use. Refusals the kubelet also
 * gives (401, 403, 500 on authorization errors) use the kubelet's plain-text wording so that existing clients read
 * them unchanged; refusals of the proxy's own (400, 405, 429, 502, 503) are Kubernetes {@code Status} objects,
 * which kubectl prints.
 */
public final class StatusTexts {

    private StatusTexts() {
    }

    public static String unauthorized() {
        return "Unauthorized";
    }

    /** Kubelet 1.32+ lists every subresource tried; the legacy form names only the first. */
    public static String forbidden(String user, String verb, List<String> subresources, boolean legacy) {
        return forbidden(user, verb, subresources, legacy, "");
    }

    /**
     * The same, and when pod-scoped access also denied ({@code podScoped}: that review's attributes, e.g.
     * {@code verb=create, resource=pods, subresource=exec, namespace=a, name=p}), that review after the kubelet's.
     */
    public static String forbidden(String user, String verb, List<String> subresources, boolean legacy, String podScoped) {
        String also = podScoped.isEmpty() ? "" : "; pod-scoped (" + podScoped + ")";
        if (legacy) {
            String first = subresources.isEmpty() ? "" : subresources.get(0);
            return "Forbidden (user=" + user + ", verb=" + verb + ", resource=nodes, subresource=" + first + ")" + also;
        }
        return "Forbidden (user=" + user + ", verb=" + verb + ", resource=nodes, subresource(s)=["
                + String.join(" ", subresources) + "])" + also + "\n";
    }

    /** {@code attributes}: the review's, as {@code verb=get, resource=nodes, subresource=stats}. */
    public static String authorizationError(String user, String attributes) {
        return "Authorization error (user=" + user + ", " + attributes + ")";
    }

    /** A Kubernetes {@code Status} object with status Failure. */
    public static String statusJson(int status, String reason, String message) {
        return "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
                + jsonString(message) + ",\"reason\":" + jsonString(reason) + ",\"code\":" + status + "}\n";
    }

    public static String jsonString(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
