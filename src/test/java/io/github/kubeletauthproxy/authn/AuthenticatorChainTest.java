package io.github.kubeletauthproxy.authn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.github.kubeletauthproxy.support.TestPki;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** The chain as the proxy builds it: [system:authenticated adder over x509, bearer, websocket], then anonymous. */
class AuthenticatorChainTest {

    static final TestPki PKI = new TestPki("authn");

    final List<String> reviewedTokens = new ArrayList<>();
    final TokenAuthenticator tokens = token -> {
        reviewedTokens.add(token);
        return Mono.just(token.equals("good")
                ? new AuthenticationResult.Authenticated(new UserInfo("alice", "", List.of("devs"), Map.of()))
                : new AuthenticationResult.Rejected("invalid"));
    };

    Authenticator chain(boolean anonymous) {
        List<Authenticator> credentials = List.of(new X509Authenticator(), new BearerTokenAuthenticator(tokens),
                new WebSocketTokenAuthenticator(tokens));
        List<Authenticator> all = new ArrayList<>();
        all.add(new AuthenticatedGroupAdder(new UnionAuthenticator(credentials)));
        if (anonymous) {
            all.add(new AnonymousAuthenticator());
        }
        return new UnionAuthenticator(all);
    }

    static RequestCredentials bearer(String header) {
        return new RequestCredentials(List.of(), Optional.of(header), Optional.empty(), false);
    }

    @Test
    void aValidBearerTokenAuthenticatesAndAddsSystemAuthenticated() {
        var result = chain(false).authenticate(bearer("Bearer good")).block();
        assertThat(result).isEqualTo(new AuthenticationResult.Authenticated(
                new UserInfo("alice", "", List.of("devs", "system:authenticated"), Map.of())));
    }

    @Test
    void theBearerSchemeIsCaseInsensitive() {
        assertThat(chain(false).authenticate(bearer("bEaReR good")).block())
                .isInstanceOf(AuthenticationResult.Authenticated.class);
    }

    @Test
    void anInvalidCredentialIsRejectedEvenWithAnonymousOn() {
        for (String header : List.of("Bearer bad", "Basic YTpi", "Bearer", "Bearer a b", "Token good")) {
            assertThat(chain(true).authenticate(bearer(header)).block()).as(header)
                    .isInstanceOf(AuthenticationResult.Rejected.class);
        }
    }

    @Test
    void anonymousOnlyWhenEnabledAndNoCredentialWasPresented() {
        assertThat(chain(true).authenticate(RequestCredentials.none()).block())
                .isEqualTo(new AuthenticationResult.Authenticated(UserInfo.anonymous()));
        assertThat(UserInfo.anonymous().groups()).containsExactly("system:unauthenticated");
        assertThat(chain(false).authenticate(RequestCredentials.none()).block())
                .isInstanceOf(AuthenticationResult.NotApplicable.class);
    }

    @Test
    void aClientCertificateGivesCnAndOAndWinsBeforeTheToken() {
        var cert = PKI.client("erin", List.of("ops", "admins")).certificate();
        var credentials = new RequestCredentials(List.of(cert), Optional.of("Bearer good"), Optional.empty(), false);

        assertThat(chain(false).authenticate(credentials).block()).isEqualTo(new AuthenticationResult.Authenticated(
                new UserInfo("erin", "", List.of("ops", "admins", "system:authenticated"), Map.of())));
        assertThat(reviewedTokens).isEmpty();
    }

    @Test
    void aClientCertificateWithoutClientAuthUsageIsRejected() {
        var cert = PKI.clientWithoutEku("mallory").certificate();
        var result = chain(true).authenticate(new RequestCredentials(List.of(cert), Optional.empty(), Optional.empty(), false)).block();
        assertThat(result).isInstanceOf(AuthenticationResult.Rejected.class);
    }

    @Test
    void aCertificateWithAnEmptyCnFallsThroughToTheToken() {
        var cert = PKI.client("", List.of("ops")).certificate();
        var result = chain(false).authenticate(new RequestCredentials(List.of(cert), Optional.of("Bearer good"), Optional.empty(), false)).block();
        assertThat(result).isInstanceOfSatisfying(AuthenticationResult.Authenticated.class,
                ok -> assertThat(ok.user().name()).isEqualTo("alice"));
    }

    @Test
    void theWebSocketSubprotocolTokenIsReviewedLikeABearerToken() {
        var good = new RequestCredentials(List.of(), Optional.empty(), Optional.of("good"), false);
        var malformed = new RequestCredentials(List.of(), Optional.empty(), Optional.empty(), true);

        assertThat(chain(false).authenticate(good).block()).isInstanceOf(AuthenticationResult.Authenticated.class);
        assertThat(chain(true).authenticate(malformed).block()).isInstanceOf(AuthenticationResult.Rejected.class);
    }
}
