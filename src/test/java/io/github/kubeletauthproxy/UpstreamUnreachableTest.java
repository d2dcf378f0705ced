package io.github.kubeletauthproxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.github.kubeletauthproxy.support.FakeApiServer;
import io.github.kubeletauthproxy.support.ProxyClient;
import io.github.kubeletauthproxy.support.ProxyTestSettings;
import io.github.kubeletauthproxy.support.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** A kubelet that does not answer: allowed requests get a 502 naming it; denied ones are still 403. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class UpstreamUnreachableTest {

    static final TestPki PKI = new TestPki("unreachable");
    static final FakeApiServer API;
    static final Path DIR;
    static final int DEAD_PORT;

    static {
        try {
            DIR = Files.createTempDirectory("kap-unreachable");
            API = new FakeApiServer();
            TestPki.write(PKI.server("proxy", List.of("127.0.0.1"), List.of()), DIR.resolve("tls.crt"), DIR.resolve("tls.key"));
            PKI.writeCa(DIR.resolve("ca.crt"));
            try (ServerSocket socket = new ServerSocket(0)) {
                DEAD_PORT = socket.getLocalPort();
            }
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws Exception {
        String kubeconfig = API.writeKubeconfig(DIR).toString();
        ProxyTestSettings.register(registry, "n", DIR.resolve("tls.crt"), DIR.resolve("tls.key"),
                () -> "https://127.0.0.1:" + DEAD_PORT, DIR.resolve("ca.crt"), kubeconfig);
        registry.add("management.server.port", () -> "0");
    }

    @LocalServerPort
    int port;

    @AfterAll
    static void stop() {
        API.close();
    }

    @Test
    void anAllowedRequestToAnUnreachableKubeletIs502() {
        API.addToken("t", "u", List.of(), List.of());
        API.grant("u", "get", "pods");
        ProxyClient client = new ProxyClient(PKI.sslContext(null), "https://127.0.0.1:" + port, HttpClient.Version.HTTP_1_1);

        var allowed = client.get("/pods", "Authorization", "Bearer t");
        var denied = client.get("/stats/summary", "Authorization", "Bearer t");

        assertThat(allowed.statusCode()).isEqualTo(502);
        assertThat(allowed.body()).contains("\"kind\":\"Status\"").contains("cannot reach the kubelet at https://127.0.0.1:" + DEAD_PORT);
        assertThat(denied.statusCode()).isEqualTo(403);
    }
}
