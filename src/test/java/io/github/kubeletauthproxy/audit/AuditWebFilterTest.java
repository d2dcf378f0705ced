package io.github.kubeletauthproxy.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.github.kubeletauthproxy.authn.UserInfo;
import io.github.kubeletauthproxy.cache.LastAllowServed;
import org.junit.jupiter.api.Test;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

class AuditWebFilterTest {

    @Test
    void theLineCarriesTheDecisionAndCommandParametersButNoCredential() {
        var exchange = MockServerWebExchange.from(MockServerHttpRequest
                .get("/exec/default/pod/c?command=rm&command=-rf&stdin=true&access_token=secret")
                .header("Authorization", "Bearer very-secret"));
        AuditRecord record = AuditRecord.of(exchange);
        record.attributes("create", List.of("proxy"));
        record.user(new UserInfo("jane", "", List.of("devs", "system:authenticated"), Map.of()));
        record.decision(AuditRecord.DecisionKind.ALLOW);
        record.allowedSubresource("proxy");

        String line = AuditWebFilter.line(exchange, record, Instant.parse("2026-01-01T00:00:00Z"), 101, 42, "ON_COMPLETE");

        assertThat(line).contains("\"user\":\"jane\"", "\"groups\":[\"devs\",\"system:authenticated\"]",
                "\"verb\":\"create\"", "\"subresources\":[\"proxy\"]", "\"path\":\"/exec/default/pod/c\"",
                "\"commandParameters\":{\"command\":[\"rm\",\"-rf\"]}", "\"decision\":\"allow\"", "\"status\":101",
                "\"durationMs\":42");
        assertThat(line).doesNotContain("secret");
    }

    @Test
    void aRefusalsLineSaysWhyAndAnAllowsLineHasNoReason() {
        var exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/pods"));
        AuditRecord record = AuditRecord.of(exchange);
        record.attributes("get", List.of("pods"));
        record.decision(AuditRecord.DecisionKind.UNAUTHENTICATED);
        record.refusal("Unauthorized");
        record.reason("[invalid bearer token, token has expired]");

        String refused = AuditWebFilter.line(exchange, record, Instant.parse("2026-01-01T00:00:00Z"), 401, 3, "ON_COMPLETE");
        assertThat(refused).contains("\"decision\":\"unauthenticated\"", "\"refusal\":\"Unauthorized\"",
                "\"reason\":\"[invalid bearer token, token has expired]\"");

        var allowedExchange = MockServerWebExchange.from(MockServerHttpRequest.get("/pods"));
        AuditRecord allowed = AuditRecord.of(allowedExchange);
        allowed.decision(AuditRecord.DecisionKind.ALLOW);
        assertThat(AuditWebFilter.line(allowedExchange, allowed, Instant.parse("2026-01-01T00:00:00Z"), 200, 3, "ON_COMPLETE"))
                .doesNotContain("\"reason\"");
    }

    @Test
    void anAllowServedFromTheLastAllowSaysWhichLayersHowOldAndWhy() {
        var exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/metrics"));
        AuditRecord record = AuditRecord.of(exchange);
        record.decision(AuditRecord.DecisionKind.ALLOW);
        record.allowedSubresource("metrics");
        record.servedFromLastAllow(AuditRecord.AUTHENTICATION, new LastAllowServed(Duration.ofSeconds(75), "down"));
        record.servedFromLastAllow(AuditRecord.AUTHORIZATION, new LastAllowServed(Duration.ofSeconds(200), "down"));

        assertThat(AuditWebFilter.line(exchange, record, Instant.parse("2026-01-01T00:00:00Z"), 200, 3, "ON_COMPLETE"))
                .contains("\"allowedBy\":\"metrics\",\"servedFromLastAllow\":{\"authentication\":{\"ageSeconds\":75,"
                        + "\"failure\":\"down\"},\"authorization\":{\"ageSeconds\":200,\"failure\":\"down\"}},\"status\":200");
    }

    @Test
    void aFilteredPodListSaysWhatAllowedItAndWhatItShowed() {
        var exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/pods"));
        AuditRecord record = AuditRecord.of(exchange);
        record.attributes("get", List.of("pods", "proxy"));
        record.decision(AuditRecord.DecisionKind.ALLOW);
        record.allowedSubresource("pods/list");
        record.podList(List.of("a", "c"), 3, 7);

        String line = AuditWebFilter.line(exchange, record, Instant.parse("2026-01-01T00:00:00Z"), 200, 3, "ON_COMPLETE");

        assertThat(line).contains("\"allowedBy\":\"pods/list\"",
                "\"podList\":{\"namespaces\":[\"a\",\"c\"],\"podsShown\":3,\"podsOnNode\":7}");
    }
}
