package io.github.kubeletauthproxy;

import static io.github.kubeletauthproxy.support.RunningProxy.readUntilClosed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

import io.github.kubeletauthproxy.cli.VersionCommand;
import io.github.kubeletauthproxy.support.FakeApiServer;
import io.github.kubeletauthproxy.support.FakeKubelet;
import io.github.kubeletauthproxy.support.RunningProxy;
import io.github.kubeletauthproxy.support.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.json.JsonMapper;

/**
 * The two listeners, both bound to port 0: the proxy's speaks TLS only and carries kubelet traffic only, even at the
 * actuator's paths; the management server's speaks plain HTTP only and tells the build's version.
 */
class ListenersComponentTest {

    static final TestPki CLUSTER = new TestPki("listeners-cluster");
    static final FakeKubelet KUBELET = new FakeKubelet(CLUSTER);

    @RegisterExtension
    static final RunningProxy PROXY = new RunningProxy("n", CLUSTER, KUBELET.url());

    static final FakeApiServer API = PROXY.api();

    @AfterAll
    static void stop() {
        KUBELET.close();
    }

    @Test
    void theManagementServerSpeaksPlainHttpNotTls() throws Exception {
        assertThat(PROXY.managementPort()).isNotEqualTo(PROXY.port());
        assertThat(PROXY.management("/actuator/health/liveness").statusCode()).isEqualTo(200);
        try (SSLSocket socket = (SSLSocket) PROXY.clientTls().getSocketFactory().createSocket("127.0.0.1", PROXY.managementPort())) {
            socket.setSoTimeout(10_000);
            assertThatThrownBy(socket::startHandshake).isInstanceOf(SSLException.class);
        }
    }

    @Test
    void theProxysListenerAnswersNoPlainHttp() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", PROXY.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(readUntilClosed(socket.getInputStream())).doesNotContain("HTTP/");
        }
    }

    @Test
    void theActuatorsPathsOnTheProxysListenerAreKubeletRequests() {
        API.addToken("u-token", "u", List.of(), List.of());
        API.addToken("v-token", "v", List.of(), List.of());
        API.grant("v", "get", "proxy");

        for (String path : List.of("/actuator/health", "/actuator/prometheus", "/actuator/info")) {
            var anonymous = PROXY.client().get(path);
            var denied = PROXY.client().get(path, "Authorization", "Bearer u-token");
            var allowed = PROXY.client().get(path, "Authorization", "Bearer v-token");

            assertThat(anonymous.statusCode()).as(path).isEqualTo(401);
            assertThat(anonymous.body()).isEqualTo("Unauthorized");
            assertThat(denied.statusCode()).as(path).isEqualTo(403);
            assertThat(denied.body()).isEqualTo("Forbidden (user=u, verb=get, resource=nodes, subresource(s)=[proxy])\n");
            assertThat(allowed.statusCode()).as(path).isEqualTo(200);
            assertThat(allowed.body()).isEqualTo("kubelet saw GET " + path);
        }
        assertThat(KUBELET.received()).extracting(FakeKubelet.Received::rawPath)
                .containsExactly("/actuator/health", "/actuator/prometheus", "/actuator/info");
    }

    @Test
    void theManagementServerTellsTheBuildsVersion() throws Exception {
        var info = PROXY.management("/actuator/info");

        assertThat(info.statusCode()).isEqualTo(200);
        // what --version prints, from the same record of the build
        assertThat(VersionCommand.describe(getClass().getClassLoader()))
                .isEqualTo("kubelet-auth-proxy " + JsonMapper.shared().readTree(info.body()).path("build").path("version").asString());
    }

}
