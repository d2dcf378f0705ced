package io.github.kubeletauthproxy.authn;

import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.github.kubeletauthproxy.apiserver.ApiServerCalls;
import reactor.core.publisher.Mono;

/**
 * Asks the API server who a token belongs to (TokenReview with the configured audiences). When audiences
 * were requested, the answer must name at least one of them. No caching here: see {@link CachingTokenAuthenticator}.
 */
public final class TokenReviewAuthenticator implements TokenAuthenticator {

    private final KubernetesClient client;
    private final ApiServerCalls calls;
    private final List<String> audiences;

    public TokenReviewAuthenticator(KubernetesClient client, ApiServerCalls calls, List<String> audiences) {
        this.client = client;
        this.calls = calls;
        this.audiences = List.copyOf(audiences);
    }

    @Override
    public Mono<AuthenticationResult> authenticateToken(String token) {
        TokenReview request = new TokenReviewBuilder()
                .withApiVersion("authentication.k8s.io/v1")
                .withKind("TokenReview")
                .withNewSpec()
                .withToken(token)
                .withAudiences(audiences.isEmpty() ? null : audiences)
                .endSpec()
                .build();
        return calls.call(() -> client.authentication().v1().tokenReviews().create(request)).map(this::resultOf);
    }

    AuthenticationResult resultOf(TokenReview answer) {
        TokenReviewStatus status = answer.getStatus();
        if (status == null || !Boolean.TRUE.equals(status.getAuthenticated()) || status.getUser() == null) {
            String error = status == null || status.getError() == null ? "token not authenticated" : status.getError();
            return new AuthenticationResult.Rejected(error);
        }
        if (!audiences.isEmpty()) {
            List<String> granted = status.getAudiences() == null ? List.of() : status.getAudiences();
            if (granted.stream().noneMatch(audiences::contains)) {
                return new AuthenticationResult.Rejected("token audiences " + granted + " do not match " + audiences);
            }
        }
        var user = status.getUser();
        Map<String, List<String>> extra = user.getExtra() == null ? Map.of() : user.getExtra();
        return new AuthenticationResult.Authenticated(new UserInfo(user.getUsername(), user.getUid(), user.getGroups(), extra));
    }
}
