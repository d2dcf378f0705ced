package io.github.kubeletauthproxy.authz;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kubelet's path table (shared/kubelet-api.md §4; {@code /statusz}, {@code /flagz} and {@code /allocatedPods} from the
 * kubelet's own pkg/kubelet/server/auth.go of 1.33.13-1.37.2), row by row, with fine-grained authorization on and off.
 */
class KubeletRequestAttributesTest {

    static Stream<Arguments> pathTable() {
        return Stream.of(
                // path, fine-grained on, fine-grained off
                Arguments.of("/pods", "pods proxy", "proxy"),
                Arguments.of("/pods/", "pods proxy", "proxy"),
                Arguments.of("/runningpods/", "pods proxy", "proxy"),
                Arguments.of("/runningpods", "pods proxy", "proxy"),
                Arguments.of("/RunningPods/", "proxy", "proxy"),
                Arguments.of("/podsx", "proxy", "proxy"),
                Arguments.of("/healthz", "healthz proxy", "proxy"),
                Arguments.of("/healthz/ping", "healthz proxy", "proxy"),
                Arguments.of("/healthz/syncloop", "healthz proxy", "proxy"),
                Arguments.of("/healthzfoo", "proxy", "proxy"),
                Arguments.of("/configz", "configz proxy", "proxy"),
                Arguments.of("/statusz", "statusz", "statusz"),
                Arguments.of("/statusz/", "statusz", "statusz"),
                Arguments.of("/statuszfoo", "proxy", "proxy"),
                Arguments.of("/stats", "stats", "stats"),
                Arguments.of("/stats/", "stats", "stats"),
                Arguments.of("/stats/summary", "stats", "stats"),
                Arguments.of("/statsfoo", "proxy", "proxy"),
                Arguments.of("/metrics", "metrics", "metrics"),
                Arguments.of("/metrics/cadvisor", "metrics", "metrics"),
                Arguments.of("/metrics/resource", "metrics", "metrics"),
                Arguments.of("/metrics/probes", "metrics", "metrics"),
                Arguments.of("/metrics/slis", "metrics", "metrics"),
                Arguments.of("/metricsfoo", "proxy", "proxy"),
                Arguments.of("/logs", "log", "log"),
                Arguments.of("/logs/", "log", "log"),
                Arguments.of("/logs/kubelet.log", "log", "log"),
                Arguments.of("/logsfoo", "proxy", "proxy"),
                Arguments.of("/checkpoint/default/pod/c", "checkpoint", "checkpoint"),
                Arguments.of("/checkpointx", "proxy", "proxy"),
                Arguments.of("/exec/default/pod/c", "proxy", "proxy"),
                Arguments.of("/attach/default/pod/c", "proxy", "proxy"),
                Arguments.of("/portForward/default/pod", "proxy", "proxy"),
                Arguments.of("/run/default/pod/c", "proxy", "proxy"),
                Arguments.of("/containerLogs/default/pod/c", "proxy", "proxy"),
                Arguments.of("/debug/pprof/profile", "proxy", "proxy"),
                Arguments.of("/flagz", "configz", "configz"),
                Arguments.of("/flagzfoo", "proxy", "proxy"),
                Arguments.of("/allocatedPods", "pods proxy", "proxy"),
                Arguments.of("/allocatedPods/default/pod", "pods proxy", "proxy"),
                Arguments.of("/allocatedpods", "proxy", "proxy"),
                Arguments.of("/spec", "proxy", "proxy"),
                Arguments.of("/", "proxy", "proxy"));
    }

    @ParameterizedTest(name = "{0} → fine-grained [{1}], coarse [{2}]")
    @MethodSource("pathTable")
    void subresourcesFollowTheKubeletsTable(String path, String fineGrained, String coarse) {
        assertThat(KubeletRequestAttributes.subresourcesFor(path, true)).containsExactlyElementsOf(List.of(fineGrained.split(" ")));
        assertThat(KubeletRequestAttributes.subresourcesFor(path, false)).containsExactlyElementsOf(List.of(coarse.split(" ")));
    }

    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource({"GET,get", "POST,create", "PUT,update", "PATCH,patch", "DELETE,delete"})
    void methodsMapToTheKubeletsVerbs(String method, String verb) {
        assertThat(KubeletRequestAttributes.verbFor(method)).hasValue(verb);
    }

    @ParameterizedTest
    @CsvSource({"HEAD", "OPTIONS", "TRACE", "CONNECT", "get", "PROPFIND"})
    void otherMethodsHaveNoVerb(String method) {
        assertThat(KubeletRequestAttributes.verbFor(method)).isEmpty();
        assertThat(KubeletRequestAttributes.of(method, "/pods", KubeletRequestAttributes.Options.DEFAULTS)).isEmpty();
    }

    static Stream<Arguments> everyFamilyTimesEveryMethod() {
        return pathTable().flatMap(row -> Stream.of("GET", "POST", "PUT", "PATCH", "DELETE")
                .map(method -> Arguments.of(method, row.get()[0])));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("everyFamilyTimesEveryMethod")
    void streamsNeedCreateByDefaultAndTheMethodsVerbWhenTheKubeletsBehaviourIsRestored(String method, String path) {
        String methodVerb = KubeletRequestAttributes.verbFor(method).orElseThrow();
        boolean streaming = path.startsWith("/exec/") || path.startsWith("/attach/") || path.startsWith("/portForward/")
                || path.startsWith("/run/");

        var secure = KubeletRequestAttributes.of(method, path, new KubeletRequestAttributes.Options(true, true, false)).orElseThrow();
        var kubelet = KubeletRequestAttributes.of(method, path, new KubeletRequestAttributes.Options(true, false, false)).orElseThrow();

        assertThat(secure.verb()).isEqualTo(streaming ? "create" : methodVerb);
        assertThat(kubelet.verb()).isEqualTo(methodVerb);
        assertThat(secure.subresources()).isEqualTo(kubelet.subresources());
    }

    @ParameterizedTest
    @CsvSource({"/exec,true", "/exec/a/b/c,true", "/execx,false", "/attach/a/b/c,true", "/portForward/a/b,true",
            "/portforward/a/b,false", "/run/a/b/c,false", "/pods,false"})
    void onlyExecAttachAndPortForwardAcceptUpgrades(String path, boolean accepts) {
        assertThat(KubeletRequestAttributes.acceptsUpgrade(path)).isEqualTo(accepts);
    }
}
