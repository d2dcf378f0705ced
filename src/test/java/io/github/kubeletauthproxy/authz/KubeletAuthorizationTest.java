package io.github.kubeletauthproxy.authz;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.github.kubeletauthproxy.authn.UserInfo;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

class KubeletAuthorizationTest {

    final UserInfo user = new UserInfo("u", "", List.of(), Map.of());
    final List<String> asked = new ArrayList<>();

    KubeletAuthorization with(String allowed, String failing) {
        return new KubeletAuthorization(review -> {
            asked.add(review.subresource());
            if (review.subresource().equals(failing)) {
                return Mono.error(new IllegalStateException("down"));
            }
            return Mono.just(new Decision(review.subresource().equals(allowed) ? Decision.Kind.ALLOW : Decision.Kind.DENY, ""));
        }, "node");
    }

    @Test
    void firstAllowWinsAndLaterRecordsAreNotAsked() {
        var outcome = with("pods", null).authorize(user, new KubeletRequestAttributes.Attributes("get", List.of("pods", "proxy"))).block();
        assertThat(outcome).isEqualTo(new KubeletAuthorization.Outcome(KubeletAuthorization.Outcome.Kind.ALLOWED, "pods", ""));
        assertThat(asked).containsExactly("pods");
    }

    @Test
    void deniedRecordsFallThroughToTheNext() {
        var outcome = with("proxy", null).authorize(user, new KubeletRequestAttributes.Attributes("get", List.of("pods", "proxy"))).block();
        assertThat(outcome).isEqualTo(new KubeletAuthorization.Outcome(KubeletAuthorization.Outcome.Kind.ALLOWED, "proxy", ""));
        assertThat(asked).containsExactly("pods", "proxy");
    }

    @Test
    void allDeniedIsDenied() {
        var outcome = with("none", null).authorize(user, new KubeletRequestAttributes.Attributes("get", List.of("pods", "proxy"))).block();
        assertThat(outcome.kind()).isEqualTo(KubeletAuthorization.Outcome.Kind.DENIED);
        assertThat(asked).containsExactly("pods", "proxy");
    }

    @Test
    void anErrorEndsTheEvaluationWithoutFallbackAndSaysWhy() {
        var outcome = with("proxy", "pods").authorize(user, new KubeletRequestAttributes.Attributes("get", List.of("pods", "proxy"))).block();
        assertThat(outcome).isEqualTo(new KubeletAuthorization.Outcome(KubeletAuthorization.Outcome.Kind.FAILED, "pods",
                "IllegalStateException: down"));
        assertThat(asked).containsExactly("pods");
    }
}
