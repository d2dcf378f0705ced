package io.github.kubeletauthproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code explain} against every row of the kubelet's table (shared/kubelet-api.md §4) and the secure stream default. */
class ExplainCommandTest {

    static final ObjectMapper JSON = new ObjectMapper();

    record Run(int exit, List<JsonNode> lines) {
    }

    static Run explain(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = ExplainCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()));
        List<JsonNode> lines = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                try {
                    lines.add(JSON.readTree(line));
                } catch (Exception e) {
                    throw new AssertionError("not JSON: " + line, e);
                }
            }
        }
        return new Run(exit, lines);
    }

    static Stream<Arguments> table() {
        return Stream.of(
                // method, path, fine-grained, expected verb, expected subresources in order
                Arguments.of("GET", "/pods", true, "get", "pods proxy"),
                Arguments.of("GET", "/pods", false, "get", "proxy"),
                Arguments.of("GET", "/runningpods/", true, "get", "pods proxy"),
                Arguments.of("GET", "/runningpods/", false, "get", "proxy"),
                Arguments.of("GET", "/healthz", true, "get", "healthz proxy"),
                Arguments.of("GET", "/healthz", false, "get", "proxy"),
                Arguments.of("GET", "/configz", true, "get", "configz proxy"),
                Arguments.of("GET", "/configz", false, "get", "proxy"),
                Arguments.of("GET", "/statusz", true, "get", "statusz"),
                Arguments.of("GET", "/statusz", false, "get", "statusz"),
                Arguments.of("GET", "/flagz", true, "get", "configz"),
                Arguments.of("GET", "/stats/summary?only_cpu_and_memory=true", true, "get", "stats"),
                Arguments.of("POST", "/stats/summary", false, "create", "stats"),
                Arguments.of("GET", "/metrics/cadvisor", true, "get", "metrics"),
                Arguments.of("GET", "/metrics", false, "get", "metrics"),
                Arguments.of("GET", "/logs/kubelet.log", true, "get", "log"),
                Arguments.of("GET", "/logs/", false, "get", "log"),
                Arguments.of("POST", "/checkpoint/default/pod/c", true, "create", "checkpoint"),
                Arguments.of("POST", "/checkpoint/default/pod/c", false, "create", "checkpoint"),
                Arguments.of("GET", "/containerLogs/default/pod/c?follow=true", true, "get", "proxy"),
                Arguments.of("GET", "/metricsfoo", true, "get", "proxy"),
                Arguments.of("PUT", "/debug/flags/v", true, "update", "proxy"),
                Arguments.of("DELETE", "/pods", true, "delete", "pods proxy"),
                Arguments.of("PATCH", "/configz", true, "patch", "configz proxy"),
                // secure default: streams are create whatever the method
                Arguments.of("GET", "/exec/default/pod/c?command=id", true, "create", "proxy"),
                Arguments.of("POST", "/exec/default/pod/c?command=id", true, "create", "proxy"),
                Arguments.of("GET", "/attach/default/pod/c", false, "create", "proxy"),
                Arguments.of("GET", "/portForward/default/pod?ports=80", true, "create", "proxy"),
                Arguments.of("POST", "/run/default/pod/c?cmd=id", true, "create", "proxy"));
    }

    @ParameterizedTest(name = "{0} {1} fine-grained={2}")
    @MethodSource("table")
    void printsOneFullSubjectAccessReviewPerRecordInOrder(String method, String path, boolean fineGrained, String verb,
            String subresources) {
        Run run = explain("--node", "node-1", "--user", "jane", "--group", "devs", "--fine-grained=" + fineGrained, method, path);

        assertThat(run.exit()).isZero();
        assertThat(run.lines()).extracting(line -> line.path("spec").path("resourceAttributes").path("subresource").asText())
                .containsExactly(subresources.split(" "));
        assertThat(run.lines()).allSatisfy(line -> {
            assertThat(line.path("apiVersion").asText()).isEqualTo("authorization.k8s.io/v1");
            assertThat(line.path("kind").asText()).isEqualTo("SubjectAccessReview");
            assertThat(line.path("spec").path("user").asText()).isEqualTo("jane");
            assertThat(line.path("spec").path("groups")).extracting(JsonNode::asText)
                    .containsExactly("devs", "system:authenticated");
            JsonNode attributes = line.path("spec").path("resourceAttributes");
            assertThat(attributes.path("verb").asText()).isEqualTo(verb);
            assertThat(attributes.path("group").isTextual()).isTrue();
            assertThat(attributes.path("group").asText()).isEmpty();
            assertThat(attributes.path("version").asText()).isEqualTo("v1");
            assertThat(attributes.path("resource").asText()).isEqualTo("nodes");
            assertThat(attributes.path("name").asText()).isEqualTo("node-1");
            assertThat(attributes.path("namespace").isTextual()).isTrue();
            assertThat(attributes.path("namespace").asText()).isEmpty();
        });
    }

    @Test
    void theKubeletsOwnBehaviourForStreamsCanBeRestored() {
        Run run = explain("--streams-require-create=false", "GET", "/exec/default/pod/c");
        assertThat(run.lines()).singleElement()
                .satisfies(line -> assertThat(line.path("spec").path("resourceAttributes").path("verb").asText()).isEqualTo("get"));
    }

    @Test
    void withPodScopedAccessTheNamespacedReviewComesAfterTheNodeLevelOnes() {
        Run run = explain("--pod-scoped=true", "--node", "node-1", "--user", "jane", "POST", "/exec/team-a/web-0/app");

        assertThat(run.exit()).isZero();
        assertThat(run.lines()).extracting(line -> line.path("spec").path("resourceAttributes"))
                .extracting(a -> String.join(" ", a.path("verb").asText(), a.path("resource").asText(),
                        a.path("subresource").asText(), a.path("namespace").asText(), a.path("name").asText()))
                .containsExactly("create nodes proxy  node-1", "create pods exec team-a web-0");
    }

    @Test
    void withPodScopedAccessThePodListShowsTheListReviewSentPerNamespace() {
        Run run = explain("--pod-scoped=true", "--user", "jane", "GET", "/pods");

        assertThat(run.lines()).extracting(line -> line.path("spec").path("resourceAttributes"))
                .extracting(a -> String.join(" ", a.path("verb").asText(), a.path("resource").asText(),
                        a.path("subresource").asText(), a.path("namespace").asText()))
                .containsExactly("get nodes pods ", "get nodes proxy ", "list pods  " + ExplainCommand.EACH_NAMESPACE);
    }

    @Test
    void withoutPodScopedAccessOnlyTheKubeletsReviewsArePrinted() {
        assertThat(explain("--user", "jane", "POST", "/exec/team-a/web-0/app").lines()).hasSize(1);
        assertThat(explain("--pod-scoped=false", "--user", "jane", "GET", "/pods").lines()).hasSize(2);
        assertThat(explain("--pod-scoped=true", "GET", "/exec/Team/web-0/app").exit()).isEqualTo(ExplainCommand.REFUSED);
    }

    @Test
    void withoutAUserTheCallerIsAnonymous() {
        Run run = explain("GET", "/healthz");
        assertThat(run.lines()).first().satisfies(line -> {
            assertThat(line.path("spec").path("user").asText()).isEqualTo("system:anonymous");
            assertThat(line.path("spec").path("groups")).extracting(JsonNode::asText).containsExactly("system:unauthenticated");
        });
    }

    @Test
    void refusedRequestsPrintTheStatusAndExitWith3() {
        Run head = explain("HEAD", "/pods");
        Run dotted = explain("GET", "/stats/../exec/default/pod/c");
        Run upgrade = explain("--header", "Upgrade: websocket", "GET", "/pods");

        assertThat(List.of(head, dotted, upgrade)).allSatisfy(run -> assertThat(run.exit()).isEqualTo(3));
        assertThat(head.lines()).singleElement().satisfies(line -> assertThat(line.path("status").asInt()).isEqualTo(405));
        assertThat(dotted.lines()).singleElement().satisfies(line -> assertThat(line.path("status").asInt()).isEqualTo(400));
        assertThat(upgrade.lines()).singleElement().satisfies(line -> {
            assertThat(line.path("status").asInt()).isEqualTo(400);
            assertThat(line.path("message").asText()).contains("Upgrade");
        });
    }

    @Test
    void targetsTheServerRefusesAreRefusedHereToo() {
        for (String target : List.of("http://127.0.0.1:10250/stats/summary", "stats/summary", "a:b@c/stats/summary", "/pods#x")) {
            Run run = explain("GET", target);
            assertThat(run.exit()).as(target).isEqualTo(3);
            assertThat(run.lines()).as(target).singleElement()
                    .satisfies(line -> assertThat(line.path("status").asInt()).isEqualTo(400));
        }
    }

    @Test
    void badUsageExitsWith2() {
        assertThat(explain("GET").exit()).isEqualTo(2);
        assertThat(explain("--fine-grained=maybe", "GET", "/pods").exit()).isEqualTo(2);
        assertThat(explain("--bogus", "x", "GET", "/pods").exit()).isEqualTo(2);
    }
}
