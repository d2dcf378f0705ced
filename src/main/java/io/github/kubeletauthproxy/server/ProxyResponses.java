package io.github.kubeletauthproxy.server;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.github.kubeletauthproxy.audit.AuditRecord;
import io.github.kubeletauthproxy.authn.UserInfo;
import io.github.kubeletauthproxy.status.StatusTexts;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Writes the answers the proxy gives itself, and is the one place the audit record learns a request's decision: from
 * the {@link RequestDecision} that decided it, never from an exception or a text written earlier.
 */
public final class ProxyResponses {

    /** Exchange attribute holding the refusal authorization decided, until Spring Security's refusal handlers write it. */
    private static final String REFUSAL = ProxyResponses.class.getName() + ".refusal";

    /** Exchange attribute holding the user whose pod-scoped {@code GET /pods} answer is filtered. */
    private static final String POD_LIST_USER = ProxyResponses.class.getName() + ".podListUser";

    /** One log line per refusal status every 10 s at most: a flood of bad tokens must not flood the log. */
    private static final RefusalLog REFUSALS = new RefusalLog(Duration.ofSeconds(10));

    private ProxyResponses() {
    }

    /** Notes authorization's decision: an allow in the audit record, a refusal for {@link #refuseAsDecided}. */
    static void decided(ServerWebExchange exchange, RequestDecision decision) {
        if (decision instanceof RequestDecision.Refusal refusal) {
            exchange.getAttributes().put(REFUSAL, refusal);
        } else if (decision instanceof RequestDecision.Allowed allowed) {
            AuditRecord audit = AuditRecord.of(exchange);
            audit.decision(AuditRecord.DecisionKind.ALLOW);
            audit.allowedSubresource(allowed.allowedBy());
            if (allowed.servedFromLastAllow() != null) {
                audit.servedFromLastAllow(AuditRecord.AUTHORIZATION, allowed.servedFromLastAllow());
            }
        } else if (decision instanceof RequestDecision.AllowedPodList list) {
            exchange.getAttributes().put(POD_LIST_USER, list.user());
            AuditRecord audit = AuditRecord.of(exchange);
            audit.decision(AuditRecord.DecisionKind.ALLOW);
            audit.allowedSubresource(RequestDecision.AllowedPodList.ALLOWED_BY);
        }
    }

    /** The user whose pod-scoped {@code GET /pods} answer must be filtered before it is written; null for every other. */
    public static UserInfo podListFilteredFor(ServerWebExchange exchange) {
        return exchange.getAttribute(POD_LIST_USER);
    }

    /**
     * Writes the refusal authorization decided for this exchange: Spring Security's refusal handlers are told only that
     * access was refused, not why. Without a decision no authentication reached authorization at all: a 401.
     */
    static Mono<Void> refuseAsDecided(ServerWebExchange exchange) {
        return refuse(exchange, exchange.getAttributeOrDefault(REFUSAL,
                new RequestDecision.Unauthenticated(RequestDecision.Unauthenticated.NO_CREDENTIALS)));
    }

    /** Writes a refusal's answer and records it in the audit record. */
    static Mono<Void> refuse(ServerWebExchange exchange, RequestDecision.Refusal refusal) {
        return refuse(exchange, exchange.getResponse(), refusal);
    }

    /**
     * The same, written to {@code response}: a filter that replaces the kubelet's answer writes to the response it
     * decorates. The audit decision becomes the refusal's.
     */
    public static Mono<Void> refuse(ServerWebExchange exchange, ServerHttpResponse response, RequestDecision.Refusal refusal) {
        RequestDecision.Answer answer = refusal.answer();
        AuditRecord audit = AuditRecord.of(exchange);
        audit.decision(answer.decision());
        // a pod list allowed for filtering can still be refused when a namespace's review fails: nothing allowed it
        audit.allowedSubresource("");
        audit.refusal(answer.refusal());
        audit.reason(refusal.reason());
        REFUSALS.note(answer.status(), refusal.reason());
        return write(response, answer.status(), answer.plainText(), answer.body());
    }

    /**
     * A Kubernetes {@code Status} answer for the upstream's own failures (400, 429, 502, 503): they come after the
     * decision, so the audit record keeps it and only notes the refusal.
     */
    public static Mono<Void> status(ServerWebExchange exchange, int status, String reason, String message) {
        return status(exchange, exchange.getResponse(), status, reason, message);
    }

    /** The same, written to {@code response} (see {@link #refuse(ServerWebExchange, ServerHttpResponse, RequestDecision.Refusal)}). */
    public static Mono<Void> status(ServerWebExchange exchange, ServerHttpResponse response, int status, String reason,
            String message) {
        AuditRecord.of(exchange).refusal(message);
        return write(response, status, false, StatusTexts.statusJson(status, reason, message));
    }

    private static Mono<Void> write(ServerHttpResponse response, int status, boolean plainText, String body) {
        response.setStatusCode(HttpStatusCode.valueOf(status));
        if (plainText) {
            response.getHeaders().setContentType(new MediaType("text", "plain", StandardCharsets.UTF_8));
            response.getHeaders().set("X-Content-Type-Options", "nosniff");
        } else {
            response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.getHeaders().setContentLength(bytes.length);
        DataBuffer buffer = response.bufferFactory().wrap(bytes);
        return response.writeWith(Mono.just(buffer));
    }
}
