package io.github.kubeletauthproxy.authn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import org.junit.jupiter.api.Test;

class TokenReviewAuthenticatorTest {

    static TokenReview answer(boolean authenticated, List<String> audiences) {
        return new TokenReviewBuilder().withNewStatus().withAuthenticated(authenticated).withAudiences(audiences)
                .withNewUser().withUsername("jane").withUid("u-1").withGroups("devs").withExtra(Map.of("scopes", List.of("a")))
                .endUser().endStatus().build();
    }

    @Test
    void anAuthenticatedAnswerBecomesTheUserWithUidGroupsAndExtra() {
        var result = new TokenReviewAuthenticator(null, null, List.of()).resultOf(answer(true, List.of("https://kubernetes.default.svc")));
        assertThat(result).isEqualTo(new AuthenticationResult.Authenticated(
                new UserInfo("jane", "u-1", List.of("devs"), Map.of("scopes", List.of("a")))));
    }

    @Test
    void withConfiguredAudiencesTheAnswerMustNameOneOfThem() {
        var authenticator = new TokenReviewAuthenticator(null, null, List.of("kubelet-auth-proxy"));
        assertThat(authenticator.resultOf(answer(true, List.of("kubelet-auth-proxy", "other"))))
                .isInstanceOf(AuthenticationResult.Authenticated.class);
        assertThat(authenticator.resultOf(answer(true, List.of("https://kubernetes.default.svc"))))
                .isInstanceOf(AuthenticationResult.Rejected.class);
        assertThat(authenticator.resultOf(answer(true, null))).isInstanceOf(AuthenticationResult.Rejected.class);
    }

    @Test
    void anUnauthenticatedAnswerIsARejectionWithTheApiServersReason() {
        TokenReview denied = new TokenReviewBuilder().withNewStatus().withAuthenticated(false).withError("token expired")
                .endStatus().build();
        assertThat(new TokenReviewAuthenticator(null, null, List.of()).resultOf(denied))
                .isEqualTo(new AuthenticationResult.Rejected("token expired"));
    }
}
