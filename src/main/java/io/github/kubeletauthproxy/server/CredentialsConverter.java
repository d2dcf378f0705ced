package io.github.kubeletauthproxy.server;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import io.github.kubeletauthproxy.authn.RequestCredentials;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.SslInfo;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.server.authentication.ServerAuthenticationConverter;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Pulls every credential out of a request, once: the verified client certificate chain, the
 * {@code Authorization} header, and (on WebSocket upgrades only) the subprotocol token. Always yields an
 * authentication request, even an empty one, so that the authenticator chain decides (anonymous or 401).
 */
public final class CredentialsConverter implements ServerAuthenticationConverter {

    @Override
    public Mono<Authentication> convert(ServerWebExchange exchange) {
        return Mono.just(KubeletAuthentication.unauthenticated(credentialsOf(exchange.getRequest())));
    }

    static RequestCredentials credentialsOf(ServerHttpRequest request) {
        SslInfo ssl = request.getSslInfo();
        X509Certificate[] chain = ssl == null ? null : ssl.getPeerCertificates();
        List<X509Certificate> certificates = chain == null ? List.of() : Arrays.asList(chain);
        HttpHeaders headers = request.getHeaders();
        List<String> authorization = headers.getOrEmpty(HttpHeaders.AUTHORIZATION);
        Optional<String> authorizationHeader = authorization.isEmpty() ? Optional.empty()
                : Optional.of(authorization.size() == 1 ? authorization.get(0) : "multiple Authorization headers");
        Optional<String> webSocketToken = Optional.empty();
        boolean malformed = false;
        if ("websocket".equalsIgnoreCase(headers.getFirst(HttpHeaders.UPGRADE))) {
            List<String> tokens = headers.getOrEmpty("Sec-WebSocket-Protocol").stream()
                    .flatMap(value -> Arrays.stream(value.split(",")))
                    .map(String::trim)
                    .filter(protocol -> protocol.startsWith(RequestCredentials.WEBSOCKET_TOKEN_PREFIX))
                    .toList();
            if (tokens.size() > 1) {
                malformed = true;
            } else if (tokens.size() == 1) {
                try {
                    String encoded = tokens.get(0).substring(RequestCredentials.WEBSOCKET_TOKEN_PREFIX.length());
                    String token = new String(Base64.getUrlDecoder().decode(encoded), StandardCharsets.UTF_8);
                    if (token.isBlank()) {
                        malformed = true;
                    } else {
                        webSocketToken = Optional.of(token);
                    }
                } catch (IllegalArgumentException e) {
                    malformed = true;
                }
            }
        }
        return new RequestCredentials(certificates, authorizationHeader, webSocketToken, malformed);
    }
}
