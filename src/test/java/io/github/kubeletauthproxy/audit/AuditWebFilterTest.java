package io.github.kubeletauthproxy.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.kubeletauthproxy.authn.UserInfo;
import io.github.kubeletauthproxy.cache.LastAllowServed;
import org.junit.jupiter.api.Test;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

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

    @Test
    void aRecordIsOneJsonObjectOnOneLineThatStartsWithTheSchemaVersion() {
        var exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/exec/ns/pod/c?command=say\"hi\""));
        AuditRecord record = AuditRecord.of(exchange);
        record.refusal("line one\nline \"two\"");

        String line = AuditWebFilter.line(exchange, record, Instant.parse("2026-01-01T00:00:00Z"), 403, 1, "ON_COMPLETE");

        assertThat(line).startsWith("{\"schemaVersion\":1,").doesNotContain("\n", "\r");
        JsonNode parsed = JsonMapper.shared().readTree(line);
        assertThat(parsed.get("refusal").asString()).isEqualTo("line one\nline \"two\"");
        assertThat(parsed.get("commandParameters").get("command").get(0).asString()).isEqualTo("say\"hi\"");
    }

    /** README's table of the audit record's fields, as written: field → type. */
    static Map<String, String> documentedFields() throws IOException {
        Pattern row = Pattern.compile("^\\| `([^`]+)` \\| ([^|]+?) \\|.*");
        Map<String, String> fields = new LinkedHashMap<>();
        boolean inSection = false;
        for (String line : Files.readAllLines(Path.of("README.md"), StandardCharsets.UTF_8)) {
            if (line.startsWith("#")) {
                inSection = line.equals("### Audit records");
            }
            Matcher matched = row.matcher(line);
            if (inSection && matched.matches()) {
                fields.put(matched.group(1), matched.group(2));
            }
        }
        return fields;
    }

    /** A record's fields as README names them (podList.podsShown ...) with their JSON types. */
    static Map<String, String> fieldsOf(JsonNode object, String prefix) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : object.properties()) {
            String name = prefix + field.getKey();
            JsonNode value = field.getValue();
            if (value.isString()) {
                fields.put(name, "string");
            } else if (value.isIntegralNumber()) {
                fields.put(name, "integer");
            } else if (value.isArray()) {
                value.forEach(element -> assertThat(element.isString()).as(name + " holds strings").isTrue());
                fields.put(name, "array of strings");
            } else if (value.isObject()) {
                fields.put(name, "object");
                if (!name.equals("commandParameters")) { // its keys are parameter names, not fields
                    fields.putAll(fieldsOf(value, name + "."));
                }
            } else {
                fields.put(name, value.getNodeType().toString());
            }
        }
        return fields;
    }

    @Test
    void aRecordWithEveryFieldHasExactlyTheFieldsAndTypesReadmeDocuments() throws IOException {
        var exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/exec/ns/pod/c?command=id")
                .remoteAddress(new InetSocketAddress("10.0.0.7", 40000)));
        AuditRecord record = AuditRecord.of(exchange);
        record.attributes("create", List.of("proxy"));
        record.user(new UserInfo("jane", "", List.of("devs"), Map.of()));
        record.decision(AuditRecord.DecisionKind.ALLOW);
        record.allowedSubresource("pods/exec");
        record.refusal("Forbidden");
        record.reason("why");
        record.podList(List.of("ns"), 1, 2);
        record.stream("exec", 10, 20, "client_closed", 30);
        record.servedFromLastAllow("authentication", new LastAllowServed(Duration.ofSeconds(360), "API server down"));
        record.servedFromLastAllow("authorization", new LastAllowServed(Duration.ofSeconds(300), "API server down"));

        JsonNode parsed = JsonMapper.shared().readTree(
                AuditWebFilter.line(exchange, record, Instant.parse("2026-01-01T00:00:00Z"), 101, 30, "ON_COMPLETE"));

        assertThat(parsed.get("schemaVersion").asInt()).isEqualTo(AuditWebFilter.SCHEMA_VERSION);
        assertThat(fieldsOf(parsed, "")).as("README's Audit records table, field → type")
                .containsExactlyInAnyOrderEntriesOf(documentedFields());
    }
}
