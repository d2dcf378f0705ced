package io.github.kubeletauthproxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import io.github.kubeletauthproxy.support.FakeApiServer;
import io.github.kubeletauthproxy.support.FakeKubelet;
import io.github.kubeletauthproxy.support.RunningProxy;
import io.github.kubeletauthproxy.support.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Pod-scoped access through the whole proxy: a tenant with only namespaced pod permissions reaches its own pods and
 * nothing else, and {@code GET /pods} shows exactly the namespaces it may list.
 */
class PodScopedAccessComponentTest {

    static final String NODE = "node-a";
    static final TestPki CLUSTER = new TestPki("cluster");
    static final FakeKubelet KUBELET = new FakeKubelet(CLUSTER);
    static final JsonMapper JSON = JsonMapper.builder().build();

    @RegisterExtension
    static final RunningProxy PROXY = new RunningProxy(NODE, CLUSTER, KUBELET.url())
            .with("kubelet-auth-proxy.authorization.pod-scoped", true)
            .with("kubelet-auth-proxy.api-server.retries", 0);

    static final FakeApiServer API = PROXY.api();

    /** A ServiceAccount of namespace a with the permissions of a team that owns a, and nothing on nodes. */
    static final String TENANT = "system:serviceaccount:a:debugger";

    static final String PODS_OF_A_B_AND_KUBE_SYSTEM = "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{},\"items\":["
            + "{\"metadata\":{\"name\":\"web-0\",\"namespace\":\"a\"}},"
            + "{\"metadata\":{\"name\":\"db-0\",\"namespace\":\"b\"}},"
            + "{\"metadata\":{\"name\":\"coredns\",\"namespace\":\"kube-system\"}},"
            + "{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"a\"}}]}";

    @AfterAll
    static void stop() {
        KUBELET.close();
    }

    @BeforeEach
    void reset() {
        API.failWith(0);
        API.resetCounts();
        KUBELET.clear();
        API.addToken("tenant-token", TENANT, List.of("system:serviceaccounts", "system:serviceaccounts:a"), List.of());
        API.grantIn("a", TENANT, "get", "pods", "log");
        API.grantIn("a", TENANT, "create", "pods", "exec");
        API.grantIn("a", TENANT, "list", "pods", "");
    }

    static String[] tenant() {
        return new String[] {"Authorization", "Bearer tenant-token"};
    }

    @Test
    void theTenantRunsCommandsInItsOwnPodAfterTheNodeLevelReviewDenied() {
        var response = PROXY.client().send("POST", "/exec/a/web-0/app?command=id&output=1", tenant());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("kubelet saw POST /exec/a/web-0/app");
        assertThat(API.reviews()).extracting(r -> r.verb() + " " + r.resource() + "/" + r.subresource() + " " + r.namespace() + " " + r.name())
                .containsExactly("create nodes/proxy  " + NODE, "create pods/exec a web-0");
    }

    @Test
    void theTenantReadsItsOwnPodsLogs() {
        var response = PROXY.client().get("/containerLogs/a/web-0/app", tenant());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).startsWith("line 1\n");
        // the node-level denial may come from the cache; the pod's own review is asked after it either way
        assertThat(API.reviews()).extracting(r -> r.verb() + " " + r.resource() + "/" + r.subresource() + " " + r.namespace())
                .last().isEqualTo("get pods/log a");
    }

    @Test
    void anotherNamespacesPodIsRefusedWithBothReviewsNamedAndNeverForwarded() {
        var exec = PROXY.client().send("POST", "/exec/b/db-0/app?command=id", tenant());
        var logs = PROXY.client().get("/containerLogs/b/db-0/app", tenant());

        assertThat(exec.statusCode()).isEqualTo(403);
        assertThat(exec.body()).isEqualTo("Forbidden (user=" + TENANT + ", verb=create, resource=nodes, subresource(s)=[proxy]); "
                + "pod-scoped (verb=create, resource=pods, subresource=exec, namespace=b, name=db-0)\n");
        assertThat(logs.statusCode()).isEqualTo(403);
        assertThat(KUBELET.received()).isEmpty();
    }

    @Test
    void logsPermissionDoesNotOpenExecNorTheOtherWayRound() {
        API.addToken("reader-token", "reader", List.of(), List.of());
        API.grantIn("a", "reader", "get", "pods", "log");

        var exec = PROXY.client().send("POST", "/exec/a/web-0/app?command=id", "Authorization", "Bearer reader-token");
        var attach = PROXY.client().send("POST", "/attach/a/web-0/app", "Authorization", "Bearer reader-token");
        var portForward = PROXY.client().send("POST", "/portForward/a/web-0", "Authorization", "Bearer reader-token");
        var attachByTenant = PROXY.client().send("POST", "/attach/a/web-0/app", tenant());

        assertThat(List.of(exec, attach, portForward, attachByTenant)).extracting(r -> r.statusCode()).containsOnly(403);
        assertThat(KUBELET.received()).isEmpty();
    }

    @Test
    void nodeLevelEndpointsKeepTheNodeLevelRuleOnly() {
        for (String path : List.of("/stats/summary", "/metrics", "/metrics/cadvisor", "/runningpods/", "/logs/", "/configz",
                "/checkpoint/a/web-0/app", "/pods/a")) {
            API.resetCounts();
            var response = PROXY.client().get(path, tenant());
            assertThat(response.statusCode()).as(path).isEqualTo(403);
            assertThat(response.body()).as(path).doesNotContain("pod-scoped");
            assertThat(API.reviews()).as(path).allSatisfy(review -> assertThat(review.resource()).isEqualTo("nodes"));
        }
        assertThat(KUBELET.received()).isEmpty();
    }

    @Test
    void anInvalidNamespaceOrPodNameIsRefusedBeforeAnyReview() {
        var response = PROXY.client().send("POST", "/exec/A/web-0/app", tenant());

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("not a valid namespace name");
        assertThat(API.sarCount()).isZero();
        assertThat(KUBELET.received()).isEmpty();
    }

    @Test
    void thePodListShowsExactlyTheNamespacesTheTenantMayList() {
        KUBELET.podList(PODS_OF_A_B_AND_KUBE_SYSTEM);

        var response = PROXY.client().get("/pods", "Authorization", "Bearer tenant-token", "Accept-Encoding", "gzip",
                "Range", "bytes=0-10");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(podsIn(response.body())).containsExactly("a/web-0", "a/web-1");
        assertThat(response.headers().firstValueAsLong("Content-Length")).hasValue(response.body().length());
        // the kubelet's answer must be whole and readable to be filtered
        assertThat(KUBELET.received()).singleElement().satisfies(seen -> assertThat(seen.headers().keySet())
                .noneMatch(name -> name.equalsIgnoreCase("Accept-Encoding") || name.equalsIgnoreCase("Range")));
        List<String> reviews = API.reviews().stream()
                .map(r -> r.verb() + " " + r.resource() + "/" + r.subresource() + " " + r.namespace()).toList();
        // the node-level reviews in the kubelet's order, then one per namespace in the list, asked for together
        assertThat(reviews).hasSize(5);
        assertThat(reviews.subList(0, 2)).containsExactly("get nodes/pods ", "get nodes/proxy ");
        assertThat(reviews.subList(2, 5)).containsExactlyInAnyOrder("list pods/ a", "list pods/ b", "list pods/ kube-system");
    }

    @Test
    void aCallerWhoMayListNoNamespaceOnTheNodeGetsAnEmptyList() {
        KUBELET.podList(PODS_OF_A_B_AND_KUBE_SYSTEM);
        API.addToken("stranger-token", "stranger", List.of(), List.of());

        var response = PROXY.client().get("/pods", "Authorization", "Bearer stranger-token");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(podsIn(response.body())).isEmpty();
    }

    @Test
    void aNodeLevelPermissionStillShowsTheWholeList() {
        KUBELET.podList(PODS_OF_A_B_AND_KUBE_SYSTEM);
        API.addToken("admin-token", "admin", List.of(), List.of());
        API.grant("admin", "get", "pods");

        var response = PROXY.client().get("/pods", "Authorization", "Bearer admin-token");

        assertThat(podsIn(response.body())).containsExactly("a/web-0", "b/db-0", "kube-system/coredns", "a/web-1");
        assertThat(API.reviews()).extracting(FakeApiServer.Review::resource).containsExactly("nodes");
    }

    @Test
    void aListReviewTheApiServerCannotAnswerFailsClosedWithTheKubeletsErrorText() {
        API.addToken("other-token", "other", List.of(), List.of());
        // an empty list needs no namespaced review: the token and the node-level denials are cached from here on
        assertThat(PROXY.client().get("/pods", "Authorization", "Bearer other-token").statusCode()).isEqualTo(200);
        KUBELET.podList(PODS_OF_A_B_AND_KUBE_SYSTEM);
        API.failWith(500);

        var response = PROXY.client().get("/pods", "Authorization", "Bearer other-token");

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.body()).isEqualTo("Authorization error (user=other, verb=list, resource=pods, namespace=a)");
    }

    @Test
    void aKubeletAnswerThatIsNotAPodListIsNeverPassedOn() {
        KUBELET.podList("{\"kind\":\"Status\",\"message\":\"web-0 in a, db-0 in b\"}");

        var response = PROXY.client().get("/pods", tenant());

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.body()).contains("cannot be filtered by namespace").doesNotContain("db-0");
    }

    static List<String> podsIn(String body) {
        JsonNode list = JSON.readTree(body);
        assertThat(list.path("kind").asString()).isEqualTo("PodList");
        return list.path("items").valueStream()
                .map(item -> item.path("metadata").path("namespace").asString() + "/" + item.path("metadata").path("name").asString())
                .toList();
    }
}
