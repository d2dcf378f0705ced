package io.github.kubeletauthproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.github.kubeletauthproxy.e2e.Identities.Grant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The audit file a log shipper would read, written by a proxy in front of the real kubelet: after allowed, denied
 * and unauthenticated requests and a WebSocket exec, every line parses as one JSON object of schema version 1, and
 * the exec's record says how its stream went.
 */
@ExtendWith(LocalNode.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuditStreamE2eTest {

    static final String EXEC = "/exec/default/logger/logger?command=echo&command=audited-exec&output=1";

    Path auditFile;
    ProxyUnderTest proxy;
    String reader;
    String execer;
    String nobody;

    @BeforeAll
    void setUp(LocalNode.Node node) throws Exception {
        reader = node.identities().serviceAccountToken("audit-reader", List.of(), Grant.of("pods", "get"));
        execer = node.identities().serviceAccountToken("audit-exec", List.of(), Grant.of("proxy", "get", "create"));
        nobody = node.identities().serviceAccountToken("audit-nobody", List.of());
        node.identities().awaitGrants();
        auditFile = Files.createTempDirectory("kap-e2e-audit").resolve("audit.jsonl");
        proxy = ProxyUnderTest.start(node, Map.of("kubelet-auth-proxy.audit.output", "file",
                "kubelet-auth-proxy.audit.file", auditFile.toString()));
    }

    @AfterAll
    void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
    }

    int get(String path, String token) throws Exception {
        HttpClient client = proxy.client();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(proxy.url() + path)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    List<String> lines() throws IOException {
        return Files.exists(auditFile) ? Files.readAllLines(auditFile, StandardCharsets.UTF_8) : List.of();
    }

    @Test
    void everyLineOfTheAuditFileIsOneJsonRecordAndTheExecStreamIsInIt() throws Exception {
        assertThat(get("/pods", reader)).isEqualTo(200);
        assertThat(get("/pods", nobody)).isEqualTo(403);
        assertThat(get("/pods", null)).isEqualTo(401);
        try (var socket = ChannelWebSocket.connect(Identities.sslContext(null, proxy.servingCa()),
                proxy.url().replace("https://", "wss://") + EXEC, "v4.channel.k8s.io", execer)) {
            assertThat(socket.drain(1, Duration.ofSeconds(30))).isEqualTo("audited-exec\n");
        }

        // a stream's record is written once the stream has closed
        await().atMost(Duration.ofSeconds(30)).until(() -> lines().stream().anyMatch(line -> line.contains("\"stream\":")));
        List<JsonNode> records = new ArrayList<>();
        for (String line : lines()) {
            records.add(JsonMapper.shared().readTree(line)); // throws on a line that is not one JSON object
        }

        assertThat(records).hasSize(4).allSatisfy(record -> {
            assertThat(record.get("schemaVersion").asInt()).isEqualTo(1);
            assertThat(record.get("time").isString()).isTrue();
            assertThat(record.get("status").isIntegralNumber()).isTrue();
            assertThat(record.get("durationMs").isIntegralNumber()).isTrue();
        });
        assertThat(records).extracting(record -> record.get("decision").asString() + " " + record.get("status").asInt())
                .containsExactlyInAnyOrder("allow 200", "deny 403", "unauthenticated 401", "allow 101");
        JsonNode exec = records.stream().filter(record -> record.has("stream")).findFirst().orElseThrow();
        assertThat(exec.get("user").asString()).isEqualTo(Identities.serviceAccountUser("audit-exec"));
        assertThat(exec.get("commandParameters").get("command")).extracting(JsonNode::asString)
                .containsExactly("echo", "audited-exec");
        JsonNode stream = exec.get("stream");
        assertThat(stream.get("kind").asString()).isEqualTo("exec");
        assertThat(stream.get("namespace").asString()).isEqualTo("default");
        assertThat(stream.get("pod").asString()).isEqualTo("logger");
        assertThat(stream.get("container").asString()).isEqualTo("logger");
        assertThat(stream.get("bytesOut").asLong()).isPositive();
        assertThat(stream.get("end").isString()).isTrue();
        assertThat(String.join("\n", lines())).doesNotContain(reader, execer, nobody);
    }
}
