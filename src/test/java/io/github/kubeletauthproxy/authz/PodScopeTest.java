package io.github.kubeletauthproxy.authz;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import io.github.kubeletauthproxy.authn.UserInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The pod-scoped table: which kubelet routes name one pod, and the API server's permission for the same action. */
class PodScopeTest {

    @ParameterizedTest(name = "{0} {1} → {2} pods/{3} in {4}/{5}")
    @CsvSource({
            // method, canonical path, verb, subresource, namespace, pod
            "GET,    /containerLogs/a/web-0/app,            get,    log,         a,       web-0",
            "GET,    /exec/a/web-0/app,                     create, exec,        a,       web-0",
            "POST,   /exec/a/web-0/app,                     create, exec,        a,       web-0",
            "POST,   /exec/a/web-0/0f3c-uid/app,            create, exec,        a,       web-0",
            "GET,    /attach/a/web-0/app,                   create, attach,      a,       web-0",
            "POST,   /attach/a/web-0/0f3c-uid/app,          create, attach,      a,       web-0",
            "GET,    /portForward/a/web-0,                  create, portforward, a,       web-0",
            "POST,   /portForward/a/web-0/0f3c-uid,         create, portforward, a,       web-0",
            "POST,   /run/a/web-0/app,                      create, exec,        a,       web-0",
            "POST,   /run/a/web-0/0f3c-uid/app,             create, exec,        a,       web-0",
            // names as the API server accepts them: digits, dashes inside, dotted pod names, the longest namespace
            "GET,    /containerLogs/kube-system/coredns-7db6d8ff4d-x2v9k/coredns, get, log, kube-system, coredns-7db6d8ff4d-x2v9k",
            "GET,    /containerLogs/0/a.b.c/app,            get,    log,         0,       a.b.c",
            "GET,    /containerLogs/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/p/c, get, log, aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, p"})
    void aRouteThatNamesOnePodIsReviewedOnThatPod(String method, String path, String verb, String subresource,
            String namespace, String pod) {
        assertThat(PodScope.of(method, path)).isEqualTo(new PodScope.OnePod(verb, subresource, namespace, pod));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            // every other endpoint keeps the node-level rule only
            "GET,    /stats/summary", "GET, /metrics", "GET, /metrics/cadvisor", "GET, /runningpods/", "GET, /healthz",
            "GET,    /logs/", "GET, /logs/syslog", "POST, /checkpoint/a/web-0/app", "GET, /configz", "GET, /debug/pprof/",
            "GET,    /pods/a", "POST, /pods", "PUT, /pods",
            // logs are read with GET only
            "POST,   /containerLogs/a/web-0/app", "DELETE, /containerLogs/a/web-0/app",
            // shapes the kubelet does not route to a pod: too few or too many segments
            "GET,    /containerLogs/a/web-0", "GET, /containerLogs/a/web-0/app/more", "GET, /containerLogs",
            "GET,    /exec/a/web-0", "POST, /exec/a/web-0/uid/app/more", "GET, /portForward/a",
            "GET,    /portForward/a/web-0/uid/more", "POST, /run/a", "GET, /exec",
            // a prefix that only looks like one
            "GET,    /execute/a/web-0/app", "GET, /containerLogsX/a/web-0/app", "GET, /Exec/a/web-0/app"})
    void everythingElseHasNoSecondReview(String method, String path) {
        assertThat(PodScope.of(method, path)).isEqualTo(PodScope.NONE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/containerLogs/A/web-0/app", "/exec/a_b/web-0/app", "/exec/-a/web-0/app", "/exec/a-/web-0/app",
            "/exec/a.b/web-0/app", "/attach/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/web-0/app",
            "/exec/a/Web-0/app", "/exec/a/web_0/app", "/exec/a/web..0/app", "/exec/a/.web/app", "/exec/a/web./app",
            "/portForward/a/web 0", "/portForward/a/wéb", "/portForward/a/*", "/containerLogs/a/%/c", "/exec/a/-/c"})
    void aNamespaceOrPodNameTheApiServerWouldRefuseIsRefused(String path) {
        assertThat(PodScope.of("GET", path)).isInstanceOf(PodScope.InvalidName.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/containerLogs/a/web-0/", "/exec/a/web-0/uid/"})
    void aTrailingEmptySegmentStillNamesThePodOfTheFirstTwo(String path) {
        // the kubelet resolves the pod from namespace and name alone; what follows cannot point at another pod
        assertThat(PodScope.of("GET", path)).isInstanceOfSatisfying(PodScope.OnePod.class, pod -> {
            assertThat(pod.namespace()).isEqualTo("a");
            assertThat(pod.pod()).isEqualTo("web-0");
        });
    }

    @Test
    void theKubeletsPodListIsFilteredByNamespace() {
        assertThat(PodScope.of("GET", "/pods")).isEqualTo(new PodScope.PodList());
    }

    @Test
    void thePodsReviewIsNamespacedOnTheResourcePods() {
        var user = new UserInfo("jane", "", List.of(), Map.of());
        AccessReview review = new PodScope.OnePod("create", "exec", "a", "web-0").review(user);
        assertThat(review).isEqualTo(new AccessReview(user, "create", "a", "pods", "exec", "web-0"));
        assertThat(review.label()).isEqualTo("pods/exec");
        assertThat(PodScope.PodList.review(user, "a")).isEqualTo(new AccessReview(user, "list", "a", "pods", "", ""));
        assertThat(PodScope.PodList.review(user, "a").label()).isEqualTo("pods/list");
    }
}
