package io.github.kubeletauthproxy.server;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.github.kubeletauthproxy.audit.AuditRecord;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * The answers the proxy writes itself. Refusals the kubelet also gives (401, 403, 500 on authorization
 * errors) use the kubelet's plain-text wording so existing clients read them unchanged; refusals of the
 * proxy's own (400, 405, 429, 502, 503) are Kubernetes {@code Status} objects, which kubectl prints.
 */
public final class ProxyResponses {

    private ProxyResponses() {
    }

    public static String unauthorizedText() {
        return "Unauthorized";
    }

    /** Kubelet 1.32+ lists every subresource tried; the legacy form names only the first. */
    public static String forbiddenText(String user, String verb, List<String> subresources, boolean legacy) {
        if (legacy) {
            return "Forbidden (user=" + user + ", verb=" + verb + ", resource=nodes, subresource=" + subresources.get(0) + ")";
        }
        return "Forbidden (user=" + user + ", verb=" + verb + ", resource=nodes, subresource(s)=["
                + String.join(" ", subresources) + "])\n";
    }

    public static String authorizationErrorText(String user, String verb, String subresource) {
        return "Authorization error (user=" + user + ", verb=" + verb + ", resource=nodes, subresource=" + subresource + ")";
    }

    /** A kubelet-style plain-text answer. */
    public static Mono<Void> text(ServerWebExchange exchange, int status, String body) {
        ServerHttpResponse response = exchange.getResponse();
        response.setStatusCode(HttpStatusCode.valueOf(status));
        response.getHeaders().setContentType(new MediaType("text", "plain", StandardCharsets.UTF_8));
        response.getHeaders().set("X-Content-Type-Options", "nosniff");
        AuditRecord.of(exchange).refusal(body.strip());
        return write(response, body);
    }

    /** A Kubernetes {@code Status} answer for refusals that are the proxy's own. */
    public static Mono<Void> status(ServerWebExchange exchange, int status, String reason, String message) {
        ServerHttpResponse response = exchange.getResponse();
        response.setStatusCode(HttpStatusCode.valueOf(status));
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        AuditRecord.of(exchange).refusal(message);
        return write(response, statusJson(status, reason, message));
    }

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

    private static Mono<Void> write(ServerHttpResponse response, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.getHeaders().setContentLength(bytes.length);
        DataBuffer buffer = response.bufferFactory().wrap(bytes);
        return response.writeWith(Mono.just(buffer));
    }
}
