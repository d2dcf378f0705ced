package io.github.kubeletauthproxy.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.github.kubeletauthproxy.authn.TokenReview;
import io.github.kubeletauthproxy.support.FakeApiServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiServerClientTest {

    @TempDir
    Path dir;

    FakeApiServer apiServer;
    ApiServerClient client;

    ApiServerClient client(String token) throws Exception {
        apiServer = new FakeApiServer();
        ApiServerTarget target = Kubeconfig.read(apiServer.writeKubeconfig(dir));
        return client = new ApiServerClient(target, () -> token, Duration.ofSeconds(5), 4, 16);
    }

    @AfterEach
    void close() {
        client.close();
        if (apiServer != null) {
            apiServer.close();
        }
    }

    @Test
    void aReviewIsPostedWithTheKubeconfigsTokenAndItsAnswerRead() throws Exception {
        client(FakeApiServer.PROXY_TOKEN);
        apiServer.addToken("t", "jane", List.of("devs"), List.of());
        TokenReview answer = client.create(TokenReview.PATH, TokenReview.of("t", List.of()), TokenReview.class).block();
        assertThat(answer.status().authenticated()).isTrue();
        assertThat(answer.status().user().username()).isEqualTo("jane");
        assertThat(answer.status().user().groups()).containsExactly("devs");
    }

    @Test
    void anAnswerOtherThan2xxFailsWithItsCodeAndTheStatusMessage() throws Exception {
        client("not-the-proxy-token");
        assertThatThrownBy(() -> client.create(TokenReview.PATH, TokenReview.of("t", List.of()), TokenReview.class).block())
                .isInstanceOfSatisfying(ApiServerException.class, e -> {
                    assertThat(e.code()).isEqualTo(401);
                    assertThat(e.getMessage()).isEqualTo("API server answered 401: Unauthorized");
                    assertThat(ApiServerCalls.isTransient(e)).isFalse();
                });
    }

    @Test
    void overloadAndUnavailabilityAreTransientAndNothingElseIs() throws Exception {
        client(FakeApiServer.PROXY_TOKEN);
        for (int code : new int[] {429, 500, 503, 504, 400, 403, 404}) {
            apiServer.failWith(code);
            assertThatThrownBy(() -> client.create(TokenReview.PATH, TokenReview.of("t", List.of()), TokenReview.class).block())
                    .isInstanceOfSatisfying(ApiServerException.class, e -> {
                        assertThat(e.code()).isEqualTo(code);
                        assertThat(ApiServerCalls.isTransient(e)).as("%d transient", code)
                                .isEqualTo(List.of(429, 500, 503, 504).contains(code));
                    });
        }
    }

    @Test
    void aRefusedConnectionIsTransient() throws Exception {
        client(FakeApiServer.PROXY_TOKEN);
        apiServer.close();
        apiServer = null;
        assertThatThrownBy(() -> client.get("/version", Object.class).block())
                .satisfies(e -> assertThat(ApiServerCalls.isTransient(e)).isTrue());
    }
}
