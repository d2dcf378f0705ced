package io.github.kubeletauthproxy.authn;

import java.util.Locale;

import reactor.core.publisher.Mono;

/**
 * {@code Authorization: Bearer <token>} (scheme case-insensitive). Stricter than the kubelet on purpose: an
 * {@code Authorization} header that is not a usable bearer token is rejected instead of being ignored.
 */
public final class BearerTokenAuthenticator implements Authenticator {

    private final TokenAuthenticator tokens;

    public BearerTokenAuthenticator(TokenAuthenticator tokens) {
        this.tokens = tokens;
    }

    @Override
    public Mono<AuthenticationResult> authenticate(RequestCredentials credentials) {
        if (credentials.authorizationHeader().isEmpty()) {
            return Mono.just(AuthenticationResult.notApplicable());
        }
        String header = credentials.authorizationHeader().get().trim();
        int space = header.indexOf(' ');
        if (space < 0 || !header.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
            return Mono.just(new AuthenticationResult.Rejected("Authorization header is not a bearer token"));
        }
        String token = header.substring(space + 1).trim();
        if (token.isEmpty() || token.indexOf(' ') >= 0) {
            return Mono.just(new AuthenticationResult.Rejected("malformed bearer token"));
        }
        return tokens.authenticateToken(token);
    }
}
