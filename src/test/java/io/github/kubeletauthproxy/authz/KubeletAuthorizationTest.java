package io.github.kubeletauthproxy.authz;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.github.kubeletauthproxy.authz.KubeletAuthorization.Outcome;
import io.github.kubeletauthproxy.authn.UserInfo;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

class KubeletAuthorizationTest {

    final UserInfo user = new UserInfo("u", "", List.of(), Map.of());
    final List<AccessReview> asked = new ArrayList<>();

    /** Allows the reviews labelled {@code allowed} (see {@link AccessReview#label()}); fails the one labelled {@code failing}. */
    KubeletAuthorization with(String allowed, String failing) {
        return new KubeletAuthorization(review -> {
            asked.add(review);
            if (review.label().equals(failing)) {
                return Mono.error(new IllegalStateException("down"));
            }
            return Mono.just(new Decision(review.label().equals(allowed) ? Decision.Kind.ALLOW : Decision.Kind.DENY, ""));
        }, "node");
    }

    static KubeletRequestAttributes.Attributes getPodsOrProxy(PodScope.Access podAccess) {
        return new KubeletRequestAttributes.Attributes("get", List.of("pods", "proxy"), podAccess);
    }

    List<String> askedLabels() {
        return asked.stream().map(AccessReview::label).toList();
    }

    AccessReview node(String subresource) {
        return AccessReview.node(user, "get", subresource, "node");
    }

    @Test
    void firstAllowWinsAndLaterRecordsAreNotAsked() {
        var outcome = with("pods", null).authorize(user, getPodsOrProxy(PodScope.NONE)).block();
        assertThat(outcome).isEqualTo(new Outcome(Outcome.Kind.ALLOWED, node("pods"), ""));
        assertThat(askedLabels()).containsExactly("pods");
    }

    @Test
    void deniedRecordsFallThroughToTheNext() {
        var outcome = with("proxy", null).authorize(user, getPodsOrProxy(PodScope.NONE)).block();
        assertThat(outcome).isEqualTo(new Outcome(Outcome.Kind.ALLOWED, node("proxy"), ""));
        assertThat(askedLabels()).containsExactly("pods", "proxy");
    }

    @Test
    void allDeniedIsDenied() {
        var outcome = with("none", null).authorize(user, getPodsOrProxy(PodScope.NONE)).block();
        assertThat(outcome.kind()).isEqualTo(Outcome.Kind.DENIED);
        assertThat(askedLabels()).containsExactly("pods", "proxy");
    }

    @Test
    void anErrorEndsTheEvaluationWithoutFallbackAndSaysWhy() {
        var outcome = with("proxy", "pods").authorize(user, getPodsOrProxy(PodScope.NONE)).block();
        assertThat(outcome).isEqualTo(new Outcome(Outcome.Kind.FAILED, node("pods"), "IllegalStateException: down"));
        assertThat(askedLabels()).containsExactly("pods");
    }

    // pod-scoped access: the pod's own review comes only after every node-level review denied

    static final PodScope.OnePod EXEC_IN_A = new PodScope.OnePod("create", "exec", "a", "web-0");

    @Test
    void aPodsOwnReviewIsAskedLastAndCanAllow() {
        var outcome = with("pods/exec", null).authorize(user, getPodsOrProxy(EXEC_IN_A)).block();
        AccessReview podReview = AccessReview.namespaced(user, "create", "a", "pods", "exec", "web-0");
        assertThat(outcome).isEqualTo(new Outcome(Outcome.Kind.ALLOWED, podReview, ""));
        assertThat(asked).containsExactly(node("pods"), node("proxy"), podReview);
    }

    @Test
    void aPodsOwnReviewIsNotAskedWhenTheNodeLevelAllows() {
        var outcome = with("proxy", null).authorize(user, getPodsOrProxy(EXEC_IN_A)).block();
        assertThat(outcome.kind()).isEqualTo(Outcome.Kind.ALLOWED);
        assertThat(askedLabels()).containsExactly("pods", "proxy");
    }

    @Test
    void aPodsOwnReviewThatDeniesLeavesTheRequestDenied() {
        var outcome = with("pods/log", null).authorize(user, getPodsOrProxy(EXEC_IN_A)).block();
        assertThat(outcome.kind()).isEqualTo(Outcome.Kind.DENIED);
        assertThat(askedLabels()).containsExactly("pods", "proxy", "pods/exec");
    }

    @Test
    void aPodsOwnReviewThatFailsFailsTheRequest() {
        var outcome = with(null, "pods/exec").authorize(user, getPodsOrProxy(EXEC_IN_A)).block();
        assertThat(outcome.kind()).isEqualTo(Outcome.Kind.FAILED);
        assertThat(outcome.review().label()).isEqualTo("pods/exec");
    }

    @Test
    void aNodeLevelErrorIsNotFollowedByThePodsOwnReview() {
        var outcome = with("pods/exec", "pods").authorize(user, getPodsOrProxy(EXEC_IN_A)).block();
        assertThat(outcome.kind()).isEqualTo(Outcome.Kind.FAILED);
        assertThat(askedLabels()).containsExactly("pods");
    }

    @Test
    void thePodListIsFilteredOnlyWhenTheNodeLevelDenies() {
        assertThat(with("none", null).authorize(user, getPodsOrProxy(new PodScope.PodList())).block().kind())
                .isEqualTo(Outcome.Kind.POD_LIST_FILTERED);
        assertThat(with("pods", null).authorize(user, getPodsOrProxy(new PodScope.PodList())).block().kind())
                .isEqualTo(Outcome.Kind.ALLOWED);
    }

    @Test
    void mayListPodsAsksForListPodsInTheNamespace() {
        var outcome = with("pods/list", null).mayListPods(user, "a").block();
        assertThat(outcome).isEqualTo(new Outcome(Outcome.Kind.ALLOWED,
                AccessReview.namespaced(user, "list", "a", "pods", "", ""), ""));
    }
}
