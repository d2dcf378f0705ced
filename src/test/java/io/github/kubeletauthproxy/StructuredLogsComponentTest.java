package io.github.kubeletauthproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.github.kubeletauthproxy.support.FakeKubelet;
import io.github.kubeletauthproxy.support.RunningProxy;
import io.github.kubeletauthproxy.support.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code logging.structured.format.console=ecs} with the audit records on standard output (the default): from the
 * start on, standard output is JSON lines only, the application's in ECS and the audit records with their
 * schemaVersion, so one JSON parser reads the whole stream.
 */
@ExtendWith(OutputCaptureExtension.class) // before the proxy starts: its start lines are captured too
class StructuredLogsComponentTest {

    static final TestPki CLUSTER = new TestPki("cluster");
    static final FakeKubelet KUBELET = new FakeKubelet(CLUSTER);

    @RegisterExtension
    static final RunningProxy PROXY = new RunningProxy("node-a", CLUSTER, KUBELET.url())
            .with("logging.structured.format.console", "ecs");

    @AfterAll
    static void stop() {
        KUBELET.close();
    }

    static List<JsonNode> jsonLines(String output) {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : output.split("\n")) {
            lines.add(JsonMapper.shared().readTree(line)); // throws on a line that is not one JSON object
        }
        return lines;
    }

    @Test
    void standardOutputIsApplicationLinesInEcsAndAuditRecordsEachOneJsonObjectPerLine(CapturedOutput output) {
        // no credential: a 401, which the refusal log also reports as an application line
        assertThat(PROXY.client().get("/pods").statusCode()).isEqualTo(401);

        await().atMost(Duration.ofSeconds(20)).until(() -> output.getOut().contains("\"schemaVersion\""));
        List<JsonNode> lines = jsonLines(output.getOut());
        List<JsonNode> audit = lines.stream().filter(line -> line.has("schemaVersion")).toList();
        List<JsonNode> application = lines.stream().filter(line -> !line.has("schemaVersion")).toList();

        assertThat(audit).singleElement().satisfies(record -> {
            assertThat(record.get("decision").asString()).isEqualTo("unauthenticated");
            assertThat(record.get("status").asInt()).isEqualTo(401);
        });
        assertThat(application).as("the start and the refusal, logged in ECS").isNotEmpty()
                .allSatisfy(line -> assertThat(line.has("@timestamp") && line.path("log").has("level"))
                        .as(line.toString()).isTrue());
    }
}
