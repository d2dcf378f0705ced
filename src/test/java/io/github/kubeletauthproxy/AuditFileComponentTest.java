package io.github.kubeletauthproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.github.kubeletauthproxy.support.FakeApiServer;
import io.github.kubeletauthproxy.support.FakeKubelet;
import io.github.kubeletauthproxy.support.RunningProxy;
import io.github.kubeletauthproxy.support.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The audit records as a log shipper reads them with {@code audit.output: file}: after allowed, denied,
 * unauthenticated, screened-out and failed requests, every line of the file is one JSON object with the schema's
 * fields, one per request, and nothing else is in the file.
 */
class AuditFileComponentTest {

    static final TestPki CLUSTER = new TestPki("cluster");
    static final FakeKubelet KUBELET = new FakeKubelet(CLUSTER);
    static final Path AUDIT_FILE = auditFile();

    @RegisterExtension
    static final RunningProxy PROXY = new RunningProxy("node-a", CLUSTER, KUBELET.url())
            .with("kubelet-auth-proxy.audit.output", "file")
            .with("kubelet-auth-proxy.audit.file", AUDIT_FILE)
            .with("kubelet-auth-proxy.api-server.retries", 0);

    static final FakeApiServer API = PROXY.api();

    static Path auditFile() {
        try {
            return Files.createTempDirectory("kap-audit").resolve("audit.jsonl");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void stop() {
        KUBELET.close();
    }

    static List<String> lines() throws IOException {
        return Files.exists(AUDIT_FILE) ? Files.readAllLines(AUDIT_FILE, StandardCharsets.UTF_8) : List.of();
    }

    @Test
    void everyLineOfTheAuditFileIsOneRecordOfTheSchema() throws IOException {
        API.addToken("alice-token", "alice", List.of("devs"), List.of());
        API.addToken("bob-token", "bob", List.of(), List.of());
        API.addToken("carol-token", "carol", List.of(), List.of());
        API.grant("alice", "get", "pods");
        API.grant("alice", "create", "proxy");

        Map<String, Integer> sent = new LinkedHashMap<>();
        sent.put("allowed", PROXY.client().get("/pods", "Authorization", "Bearer alice-token").statusCode());
        sent.put("allowed with a command", PROXY.client().send("POST", "/run/default/web/app?cmd=id",
                "Authorization", "Bearer alice-token").statusCode());
        sent.put("denied", PROXY.client().get("/pods", "Authorization", "Bearer bob-token").statusCode());
        sent.put("unauthenticated", PROXY.client().get("/pods", "Authorization", "Bearer nobody's-token").statusCode());
        sent.put("screened out", PROXY.client().get("/%2e%2e/exec", "Authorization", "Bearer alice-token").statusCode());
        sent.put("denied, token now cached", PROXY.client().get("/pods", "Authorization", "Bearer carol-token").statusCode());
        API.failWith(500);
        sent.put("access review failed", PROXY.client().get("/stats/summary", "Authorization", "Bearer carol-token")
                .statusCode());
        sent.put("token review failed", PROXY.client().get("/pods", "Authorization", "Bearer dave-token").statusCode());
        API.failWith(0);

        assertThat(sent).containsExactly(Map.entry("allowed", 200), Map.entry("allowed with a command", 200),
                Map.entry("denied", 403), Map.entry("unauthenticated", 401), Map.entry("screened out", 400),
                Map.entry("denied, token now cached", 403), Map.entry("access review failed", 500),
                Map.entry("token review failed", 503));
        // the writer is a thread of its own: the records arrive shortly after the answers
        await().atMost(Duration.ofSeconds(20)).until(() -> lines().size() >= sent.size());

        List<JsonNode> records = new ArrayList<>();
        for (String line : lines()) {
            records.add(JsonMapper.shared().readTree(line)); // throws on a line that is not one JSON object
        }
        assertThat(records).hasSize(sent.size());
        for (JsonNode record : records) {
            assertThat(record.get("schemaVersion").asInt()).isEqualTo(1);
            for (String field : List.of("time", "user", "verb", "method", "path", "decision", "remote", "end")) {
                assertThat(record.get(field).isString()).as(field + " in " + record).isTrue();
            }
            for (String field : List.of("groups", "subresources")) {
                assertThat(record.get(field).isArray()).as(field + " in " + record).isTrue();
            }
            assertThat(record.get("commandParameters").isObject()).as(record.toString()).isTrue();
            assertThat(record.get("status").isIntegralNumber()).as(record.toString()).isTrue();
            assertThat(record.get("durationMs").isIntegralNumber()).as(record.toString()).isTrue();
        }
        assertThat(records.stream().map(record -> record.get("decision").asString() + " " + record.get("status").asInt())
                .collect(Collectors.toList()))
                .containsExactlyInAnyOrder("allow 200", "allow 200", "deny 403", "unauthenticated 401", "refused 400",
                        "deny 403", "error 500", "unauthenticated 503");
        JsonNode run = records.stream().filter(record -> record.get("path").asString().startsWith("/run/")).findFirst()
                .orElseThrow();
        assertThat(run.get("commandParameters").get("cmd").get(0).asString()).isEqualTo("id");
        assertThat(run.get("user").asString()).isEqualTo("alice");
        assertThat(String.join("\n", lines())).doesNotContain("alice-token", "bob-token", "carol-token", "dave-token",
                "nobody's-token");
    }
}
