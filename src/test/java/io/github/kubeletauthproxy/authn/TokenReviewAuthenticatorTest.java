package io.github.kubeletauthproxy.authn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import io.github.kubeletauthproxy.apiserver.ApiServerClient;
import org.junit.jupiter.api.Test;

class TokenReviewAuthenticatorTest {

    /** An answer as the API server writes it (fields the proxy does not read included). */
    static TokenReview answer(boolean authenticated, String audiencesJson) {
        return ApiServerClient.JSON.readValue("""
                {"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},
                 "spec":{"token":"t"},
                 "status":{"authenticated":%s,"user":{"username":"jane","uid":"u-1","groups":["devs"],
                   "extra":{"scopes":["a"]}}%s}}
                """.formatted(authenticated, audiencesJson == null ? "" : ",\"audiences\":" + audiencesJson), TokenReview.class);
    }

    @Test
    void anAuthenticatedAnswerBecomesTheUserWithUidGroupsAndExtra() {
        var result = new TokenReviewAuthenticator(null, null, List.of()).resultOf(answer(true, "[\"https://kubernetes.default.svc\"]"));
        assertThat(result).isEqualTo(new AuthenticationResult.Authenticated(
                new UserInfo("jane", "u-1", List.of("devs"), Map.of("scopes", List.of("a")))));
    }

    @Test
    void withConfiguredAudiencesTheAnswerMustNameOneOfThem() {
        var authenticator = new TokenReviewAuthenticator(null, null, List.of("kubelet-auth-proxy"));
        assertThat(authenticator.resultOf(answer(true, "[\"kubelet-auth-proxy\",\"other\"]")))
                .isInstanceOf(AuthenticationResult.Authenticated.class);
        assertThat(authenticator.resultOf(answer(true, "[\"https://kubernetes.default.svc\"]")))
                .isInstanceOf(AuthenticationResult.Rejected.class);
        assertThat(authenticator.resultOf(answer(true, null))).isInstanceOf(AuthenticationResult.Rejected.class);
    }

    @Test
    void anUnauthenticatedAnswerIsARejectionWithTheApiServersReason() {
        TokenReview denied = ApiServerClient.JSON.readValue(
                "{\"status\":{\"authenticated\":false,\"error\":\"token expired\"}}", TokenReview.class);
        assertThat(new TokenReviewAuthenticator(null, null, List.of()).resultOf(denied))
                .isEqualTo(new AuthenticationResult.Rejected("token expired"));
        assertThat(new TokenReviewAuthenticator(null, null, List.of()).resultOf(answer(false, null)))
                .isEqualTo(new AuthenticationResult.Rejected("token not authenticated"));
    }

    @Test
    void theRequestCarriesTheTokenAndAudiencesOnlyWhenConfigured() {
        assertThat(ApiServerClient.JSON.writeValueAsString(TokenReview.of("t", List.of()))).isEqualTo(
                "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"spec\":{\"token\":\"t\"}}");
        assertThat(ApiServerClient.JSON.writeValueAsString(TokenReview.of("t", List.of("a")))).isEqualTo(
                "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"spec\":{\"token\":\"t\",\"audiences\":[\"a\"]}}");
    }
}
