package io.github.kubeletauthproxy.authn;

import reactor.core.publisher.Mono;

/** The WebSocket form: {@code Sec-WebSocket-Protocol: base64url.bearer.authorization.k8s.io.<token>}. */
public final class WebSocketTokenAuthenticator implements Authenticator {

    private final TokenAuthenticator tokens;

    public WebSocketTokenAuthenticator(TokenAuthenticator tokens) {
        this.tokens = tokens;
    }

    @Override
    public Mono<AuthenticationResult> authenticate(RequestCredentials credentials) {
        if (credentials.malformedWebSocketToken()) {
            return Mono.just(new AuthenticationResult.Rejected("malformed WebSocket bearer token"));
        }
        return credentials.webSocketToken()
                .map(tokens::authenticateToken)
                .orElseGet(() -> Mono.just(AuthenticationResult.notApplicable()));
    }
}
