package io.github.kubeletauthproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLSocket;

import io.github.kubeletauthproxy.e2e.Identities.Grant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** Upgraded streams straight to the proxy's port: WebSocket exec and port-forward, and the refusals around them. */
@ExtendWith(LocalNode.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamsE2eTest {

    static final String EXEC = "/exec/default/logger/logger?command=sh&command=-c&command="
            + java.net.URLEncoder.encode("echo hello-from-the-pod; echo oops 1>&2", StandardCharsets.UTF_8) + "&output=1&error=1";

    LocalNode.Node node;
    ProxyUnderTest proxy;
    String execer;
    String getter;

    @BeforeAll
    void setUp(LocalNode.Node node) throws Exception {
        this.node = node;
        execer = node.identities().serviceAccountToken("streams-exec", List.of(), Grant.of("proxy", "get", "create"));
        getter = node.identities().serviceAccountToken("streams-get", List.of(), Grant.of("proxy", "get"));
        node.identities().awaitGrants();
        proxy = ProxyUnderTest.start(node, Map.of("logging.level.io.github.kubeletauthproxy.upstream", "DEBUG"));
    }

    @AfterAll
    void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
    }

    String wss(String base) {
        return base.replace("https://", "wss://");
    }

    @Test
    void execOverWebSocketWithTheTokenInTheSubprotocolRunsTheCommand() throws Exception {
        try (var socket = ChannelWebSocket.connect(Identities.sslContext(null, proxy.servingCa()), wss(proxy.url()) + EXEC,
                "v4.channel.k8s.io", execer)) {
            assertThat(socket.subprotocol()).isEqualTo("v4.channel.k8s.io");
            assertThat(socket.drain(1, Duration.ofSeconds(30))).isEqualTo("hello-from-the-pod\n");
            assertThat(socket.drain(2, Duration.ofSeconds(1))).isEqualTo("oops\n");
            assertThat(socket.drain(3, Duration.ofSeconds(1))).contains("\"status\":\"Success\"");
        }
    }

    @Test
    void getNodesProxyIsEnoughForTheKubeletButNotForTheProxy() throws Exception {
        // the kubelet itself lets a get-only identity run commands over WebSocket
        try (var direct = ChannelWebSocket.connect(Identities.sslContext(null, node.file("KUBELET_CA_FILE")),
                wss(node.kubeletUrl()) + EXEC, "v4.channel.k8s.io", getter)) {
            assertThat(direct.drain(1, Duration.ofSeconds(30))).isEqualTo("hello-from-the-pod\n");
        }
        // the proxy asks for create
        assertThatThrownBy(() -> ChannelWebSocket.connect(Identities.sslContext(null, proxy.servingCa()), wss(proxy.url()) + EXEC,
                "v4.channel.k8s.io", getter))
                .cause().isInstanceOfSatisfying(WebSocketHandshakeException.class,
                        refused -> assertThat(refused.getResponse().statusCode()).isEqualTo(403));
        assertThat(rawUpgrade(EXEC, getter).text()).startsWith("HTTP/1.1 403 ")
                .endsWith("Forbidden (user=" + Identities.serviceAccountUser("streams-get")
                        + ", verb=create, resource=nodes, subresource(s)=[proxy])\n");
    }

    /** What the proxy answers to a WebSocket upgrade sent by hand; the connection must then be closed. */
    record RawAnswer(String text, boolean closedAfter) {
    }

    RawAnswer rawUpgrade(String pathAndQuery, String token) throws Exception {
        try (SSLSocket socket = (SSLSocket) Identities.sslContext(null, proxy.servingCa()).getSocketFactory()
                .createSocket("127.0.0.1", proxy.port())) {
            socket.setSoTimeout(30_000);
            String upgrade = "GET " + pathAndQuery + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n"
                    + "Authorization: Bearer " + token + "\r\n\r\n";
            socket.getOutputStream().write(upgrade.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            BufferedReader reader = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            StringBuilder text = new StringBuilder();
            String line;
            int length = 0;
            boolean closeHeader = false;
            while ((line = reader.readLine()) != null && !line.isEmpty()) {
                text.append(line).append("\n");
                closeHeader |= line.equalsIgnoreCase("connection: close");
                if (line.toLowerCase().startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            text.append("\n");
            for (int i = 0; i < length; i++) {
                text.append((char) reader.read());
            }
            // whatever the client sends next is not forwarded anywhere: the proxy has closed the connection
            boolean closed;
            try {
                socket.getOutputStream().write("\u0081\u0005hello".getBytes(StandardCharsets.ISO_8859_1));
                closed = reader.read() == -1;
            } catch (java.io.IOException e) {
                closed = true;
            }
            return new RawAnswer(text.toString(), closeHeader && closed);
        }
    }

    @Test
    void portForwardOverWebSocketReachesThePodsPort() throws Exception {
        try (var socket = ChannelWebSocket.connect(Identities.sslContext(null, proxy.servingCa()),
                wss(proxy.url()) + "/portForward/default/logger?port=18080", "v4.channel.k8s.io", execer)) {
            // each channel first carries the port number, little-endian
            var data = socket.next(Duration.ofSeconds(20));
            var error = socket.next(Duration.ofSeconds(20));
            assertThat(List.of(data.channel(), error.channel())).containsExactlyInAnyOrder(0, 1);
            assertThat((data.payload()[0] & 0xff) | (data.payload()[1] & 0xff) << 8).isEqualTo(18080);
            socket.send(0, "GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            var answer = socket.next(Duration.ofSeconds(20));
            assertThat(answer.channel()).isZero();
            assertThat(answer.text()).startsWith("HTTP/1.");
        }
    }

    @Test
    void aNon101AnswerIsPassedBackAndTheConnectionIsClosedNotReused() throws Exception {
        RawAnswer answer = rawUpgrade("/exec/default/logger/no-such-container?command=id&output=1", execer);

        assertThat(answer.text()).doesNotStartWith("HTTP/1.1 101").contains("container");
        assertThat(answer.closedAfter()).isTrue();
    }
}
