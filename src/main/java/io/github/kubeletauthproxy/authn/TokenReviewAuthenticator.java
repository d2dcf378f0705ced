package io.github.kubeletauthproxy.authn;

import java.util.List;
import java.util.Map;

import io.github.kubeletauthproxy.apiserver.ApiServerCalls;
import io.github.kubeletauthproxy.apiserver.ApiServerClient;
import reactor.core.publisher.Mono;

/**
 * Asks the API server who a token belongs to (TokenReview with the configured audiences). When audiences
 * were requested, the answer must name at least one of them. No caching here: see {@link CachingTokenAuthenticator}.
 */
public final class TokenReviewAuthenticator implements TokenAuthenticator {

    private final ApiServerClient client;
    private final ApiServerCalls calls;
    private final List<String> audiences;

    public TokenReviewAuthenticator(ApiServerClient client, ApiServerCalls calls, List<String> audiences) {
        this.client = client;
        this.calls = calls;
        this.audiences = List.copyOf(audiences);
    }

    @Override
    public Mono<AuthenticationResult> authenticateToken(String token) {
        TokenReview request = TokenReview.of(token, audiences);
        return calls.call(() -> client.create(TokenReview.PATH, request, TokenReview.class)).map(this::resultOf);
    }

    AuthenticationResult resultOf(TokenReview answer) {
        TokenReview.Status status = answer.status();
        if (status == null || !Boolean.TRUE.equals(status.authenticated()) || status.user() == null) {
            String error = status == null || status.error() == null ? "token not authenticated" : status.error();
            return new AuthenticationResult.Rejected(error);
        }
        if (!audiences.isEmpty()) {
            List<String> granted = status.audiences() == null ? List.of() : status.audiences();
            if (granted.stream().noneMatch(audiences::contains)) {
                return new AuthenticationResult.Rejected("token audiences " + granted + " do not match " + audiences);
            }
        }
        TokenReview.User user = status.user();
        Map<String, List<String>> extra = user.extra() == null ? Map.of() : user.extra();
        return new AuthenticationResult.Authenticated(new UserInfo(user.username(), user.uid(), user.groups(), extra));
    }
}
