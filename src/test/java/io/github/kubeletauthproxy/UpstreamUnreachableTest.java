package io.github.kubeletauthproxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.List;

import io.github.kubeletauthproxy.support.FakeApiServer;
import io.github.kubeletauthproxy.support.RunningProxy;
import io.github.kubeletauthproxy.support.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A kubelet that does not answer: allowed requests get a 502 naming it; denied ones are still 403. */
class UpstreamUnreachableTest {

    static final String DEAD_KUBELET = "https://127.0.0.1:" + closedPort();

    @RegisterExtension
    static final RunningProxy PROXY = new RunningProxy("n", new TestPki("unreachable"), DEAD_KUBELET);

    static final FakeApiServer API = PROXY.api();

    /** A port that was free a moment ago and that nothing here listens on. */
    static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void anAllowedRequestToAnUnreachableKubeletIs502() {
        API.addToken("t", "u", List.of(), List.of());
        API.grant("u", "get", "pods");

        var allowed = PROXY.client().get("/pods", "Authorization", "Bearer t");
        var denied = PROXY.client().get("/stats/summary", "Authorization", "Bearer t");

        assertThat(allowed.statusCode()).isEqualTo(502);
        assertThat(allowed.body()).contains("\"kind\":\"Status\"").contains("cannot reach the kubelet at " + DEAD_KUBELET);
        assertThat(denied.statusCode()).isEqualTo(403);
    }
}
