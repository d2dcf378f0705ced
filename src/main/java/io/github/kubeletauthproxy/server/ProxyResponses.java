package io.github.kubeletauthproxy.server;

import java.nio.charset.StandardCharsets;

import io.github.kubeletauthproxy.audit.AuditRecord;
import io.github.kubeletauthproxy.status.StatusTexts;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Writes the answers the proxy gives itself (texts from {@link StatusTexts}) and notes the refusal in the
 * request's audit record.
 */
public final class ProxyResponses {

    private ProxyResponses() {
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
        return write(response, StatusTexts.statusJson(status, reason, message));
    }

    private static Mono<Void> write(ServerHttpResponse response, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.getHeaders().setContentLength(bytes.length);
        DataBuffer buffer = response.bufferFactory().wrap(bytes);
        return response.writeWith(Mono.just(buffer));
    }
}
