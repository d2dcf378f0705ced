package io.github.kubeletauthproxy.authn;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/**
 * The credentials a request presented: a verified client certificate chain, the value of an
 * {@code Authorization} header, and a WebSocket subprotocol token. Extracted once, then handed to the chain.
 */
public record RequestCredentials(
        List<X509Certificate> clientCertificates,
        Optional<String> authorizationHeader,
        Optional<String> webSocketToken,
        boolean malformedWebSocketToken) {

    /** The WebSocket subprotocol entry that carries a bearer token (read by authentication, removed upstream). */
    public static final String WEBSOCKET_TOKEN_PREFIX = "base64url.bearer.authorization.k8s.io.";

    public RequestCredentials {
        clientCertificates = List.copyOf(clientCertificates);
    }

    public static RequestCredentials none() {
        return new RequestCredentials(List.of(), Optional.empty(), Optional.empty(), false);
    }

    /** True when the request carried no credential of any kind: the only case anonymous may apply. */
    public boolean isEmpty() {
        return clientCertificates.isEmpty() && authorizationHeader.isEmpty() && webSocketToken.isEmpty()
                && !malformedWebSocketToken;
    }
}
