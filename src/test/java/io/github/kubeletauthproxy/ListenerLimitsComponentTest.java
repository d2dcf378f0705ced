package io.github.kubeletauthproxy;

import static io.github.kubeletauthproxy.support.RunningProxy.readUntilClosed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

import io.github.kubeletauthproxy.support.FakeKubelet;
import io.github.kubeletauthproxy.support.RawHttp2;
import io.github.kubeletauthproxy.support.RunningProxy;
import io.github.kubeletauthproxy.support.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What one client may hold of the listener: half a request, an idle keep-alive connection or more than the
 * allowed number of connections is cut off, and the proxy keeps answering everyone else. The limits are set low
 * here so that the facts arrive quickly; the tests wait for them (bounded), they do not time them.
 */
class ListenerLimitsComponentTest {

    static final int MAX_CONNECTIONS = 4;
    static final TestPki CLUSTER = new TestPki("limits-cluster");
    static final FakeKubelet KUBELET = new FakeKubelet(CLUSTER);

    @RegisterExtension
    static final RunningProxy PROXY = new RunningProxy("n", CLUSTER, KUBELET.url())
            .with("kubelet-auth-proxy.listen.request-timeout", "1s")
            .with("kubelet-auth-proxy.listen.idle-timeout", "1s")
            .with("kubelet-auth-proxy.listen.max-connections", MAX_CONNECTIONS);

    @AfterAll
    static void stop() {
        KUBELET.close();
    }

    @BeforeEach
    void noConnectionLeftFromAnotherTest() {
        await().atMost(Duration.ofSeconds(20)).until(() -> openConnections() == 0);
    }

    @Test
    void aClientThatSendsHalfARequestIsCutOffAndNothingReachesTheKubelet() throws Exception {
        try (SSLSocket socket = PROXY.openTls()) {
            socket.setSoTimeout(20_000);
            write(socket, "GET /pods HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ");
            String answer = readUntilClosed(socket.getInputStream());
            assertThat(answer).satisfiesAnyOf(
                    nothing -> assertThat(nothing).isEmpty(),
                    timedOut -> assertThat(timedOut).startsWith("HTTP/1.1 408"));
        }
        assertThat(KUBELET.received()).isEmpty();
    }

    @Test
    void aClientThatTricklesItsHeadersIsCutOffBeforeItFinishes() throws Exception {
        // a header line every 300 ms keeps the connection from ever being idle; 40 lines would take 12 s
        try (SSLSocket socket = PROXY.openTls()) {
            socket.setSoTimeout(20_000);
            write(socket, "GET /pods HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            boolean cutOff = false;
            for (int line = 0; line < 40 && !cutOff; line++) {
                try {
                    write(socket, "X-Slow-" + line + ": a\r\n");
                    Thread.sleep(300);
                } catch (SocketException closed) {
                    cutOff = true;
                }
            }
            assertThat(cutOff).as("closed while the headers were still coming").isTrue();
        }
        assertThat(KUBELET.received()).isEmpty();
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedAfterItsAnswer() throws Exception {
        try (SSLSocket socket = PROXY.openTls()) {
            socket.setSoTimeout(20_000);
            write(socket, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            String answer = readUntilClosed(socket.getInputStream());
            // the 401 arrives on a kept-alive connection, which the proxy then closes for idling
            assertThat(answer).startsWith("HTTP/1.1 401").endsWith("Unauthorized");
        }
    }

    @Test
    void connectionsBeyondTheCapAreClosedAsTheyAreAcceptedAndTheCapFreesUpAgain() throws Exception {
        double refusedBefore = refusedConnections();
        List<SSLSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_CONNECTIONS; i++) {
                SSLSocket socket = PROXY.openTls();
                socket.startHandshake();
                held.add(socket);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> openConnections() == MAX_CONNECTIONS);

            try (SSLSocket oneTooMany = PROXY.openTls()) {
                oneTooMany.setSoTimeout(20_000);
                assertThat(handshakeAndRead(oneTooMany)).isFalse();
            }
            assertThat(refusedConnections()).isEqualTo(refusedBefore + 1);
            assertThat(PROXY.management("/actuator/health/liveness").statusCode()).isEqualTo(200);
        } finally {
            for (SSLSocket socket : held) {
                socket.close();
            }
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> openConnections() == 0);
        assertThat(PROXY.client().get("/healthz").statusCode()).isEqualTo(401);
    }

    @Test
    void aLongRequestLineTheKubeletWouldAcceptIsNotRefusedForItsLength() throws Exception {
        // kubectl exec sends each argument as a query parameter, so a script makes a long line (the kubelet allows
        // 1 MiB); a long query on a read path stands in for it
        String query = "command=" + "x".repeat(16 * 1024);
        try (SSLSocket socket = PROXY.openTls()) {
            socket.setSoTimeout(20_000);
            write(socket, "GET /pods?" + query + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            assertThat(readUntilClosed(socket.getInputStream())).startsWith("HTTP/1.1 401");
        }
    }

    /** True when the connection carried an HTTP answer to a request; false when the proxy closed it first. */
    static boolean handshakeAndRead(SSLSocket socket) throws IOException {
        try {
            socket.startHandshake();
            write(socket, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            return readUntilClosed(socket.getInputStream()).startsWith("HTTP/");
        } catch (SocketException | SSLException closed) {
            return false;
        }
    }

    static void write(SSLSocket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    static double openConnections() throws Exception {
        return metric("kubelet_auth_proxy_connections_open ");
    }

    static double refusedConnections() throws Exception {
        return metric("kubelet_auth_proxy_connections_refused_total ");
    }

    static double metric(String prefix) throws Exception {
        return PROXY.management("/actuator/prometheus").body().lines()
                .filter(line -> line.startsWith(prefix))
                .mapToDouble(line -> Double.parseDouble(line.substring(prefix.length()).trim()))
                .findFirst().orElseThrow(() -> new AssertionError("no metric " + prefix));
    }

    @Test
    void anHttp2ClientThatResetsStreamsInALoopIsCutOffAndTheProxyKeepsAnswering() throws Exception {
        List<RawHttp2.Field> request = List.of(new RawHttp2.Field(":method", "GET"), new RawHttp2.Field(":scheme", "https"),
                new RawHttp2.Field(":authority", "127.0.0.1"), new RawHttp2.Field(":path", "/pods"));
        RawHttp2.Answer answer;
        try (SSLSocket socket = PROXY.openTls()) {
            socket.setSoTimeout(20_000);
            answer = RawHttp2.rapidReset(socket, request, 5_000);
        }

        // cut off with a GOAWAY (or the connection closed under the writes) long before 5000 resets were taken
        assertThat(answer.ending()).isIn("goaway", "closed");
        assertThat(KUBELET.received()).isEmpty();
        // and everyone else is still answered
        assertThat(PROXY.client(java.net.http.HttpClient.Version.HTTP_2).get("/pods").statusCode()).isEqualTo(401);
    }
}
