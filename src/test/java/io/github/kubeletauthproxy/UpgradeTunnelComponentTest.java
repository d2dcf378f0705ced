package io.github.kubeletauthproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import javax.net.ssl.SSLSocket;

import io.github.kubeletauthproxy.support.FakeApiServer;
import io.github.kubeletauthproxy.support.FakeUpgradingKubelet;
import io.github.kubeletauthproxy.support.RunningProxy;
import io.github.kubeletauthproxy.support.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The upgrade path against a stand-in kubelet that switches protocols and echoes: tunnel, limits, refusals. */
class UpgradeTunnelComponentTest {

    static final TestPki CLUSTER = new TestPki("tunnel-cluster");
    static final FakeUpgradingKubelet KUBELET = new FakeUpgradingKubelet(CLUSTER);

    @RegisterExtension
    static final RunningProxy PROXY = new RunningProxy("n", CLUSTER, KUBELET.url())
            .with("kubelet-auth-proxy.streams.max-concurrent", 2)
            .with("kubelet-auth-proxy.streams.idle-timeout", "2s");

    static final FakeApiServer API = PROXY.api();

    @BeforeAll
    static void streamer() {
        API.addToken("streamer", "streamer", List.of(), List.of());
        API.grant("streamer", "create", "proxy");
    }

    @AfterAll
    static void stop() throws IOException {
        KUBELET.close();
    }

    /** An open client connection to the proxy that sent one upgrade request and read the answer's head. */
    record Stream(SSLSocket socket, String head) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    Stream upgrade(String path, String... extraHeaders) throws IOException {
        SSLSocket socket = PROXY.openTls();
        socket.setSoTimeout(15_000);
        StringBuilder request = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
                + "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\nX-Stream-Protocol-Version: channel.k8s.io\r\n"
                + "Content-Length: 0\r\n");
        for (String header : extraHeaders) {
            request.append(header).append("\r\n");
        }
        socket.getOutputStream().write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return new Stream(socket, readHead(socket.getInputStream()));
    }

    static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int matched = 0;
        int b;
        while (matched < 4 && (b = in.read()) >= 0) {
            head.append((char) b);
            matched = (b == '\r' || b == '\n') && "\r\n\r\n".charAt(matched) == b ? matched + 1 : 0;
        }
        return head.toString();
    }

    @Test
    void aSwitchedStreamCarriesBytesBothWaysAndTheKubeletSeesNoClientCredential() throws Exception {
        String wsToken = "base64url.bearer.authorization.k8s.io."
                + Base64.getUrlEncoder().withoutPadding().encodeToString("streamer".getBytes(StandardCharsets.UTF_8));
        try (Stream stream = upgrade("/exec/ns/pod/c?command=cat&input=1&output=1", "Authorization: Bearer streamer",
                "Impersonate-User: admin", "Sec-WebSocket-Protocol: v4.channel.k8s.io, " + wsToken)) {
            assertThat(stream.head()).startsWith("HTTP/1.1 101 ").contains("Upgrade: SPDY/3.1");
            byte[] payload = new byte[256 * 1024];
            new Random(7).nextBytes(payload);
            CompletableFuture.runAsync(() -> {
                try {
                    stream.socket().getOutputStream().write(payload);
                    stream.socket().getOutputStream().flush();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            byte[] echoed = stream.socket().getInputStream().readNBytes(payload.length);
            assertThat(echoed).isEqualTo(payload);
        }
        String head = KUBELET.heads().get(KUBELET.heads().size() - 1);
        assertThat(head).startsWith("POST /exec/ns/pod/c?command=cat&input=1&output=1 HTTP/1.1\r\n")
                .contains("Upgrade: SPDY/3.1", "Connection: Upgrade", "X-Stream-Protocol-Version: v4.channel.k8s.io",
                        "X-Stream-Protocol-Version: channel.k8s.io", "Sec-WebSocket-Protocol: v4.channel.k8s.io")
                .doesNotContainIgnoringCase("authorization").doesNotContainIgnoringCase("impersonate")
                .doesNotContain("base64url.bearer");
    }

    @Test
    void theLastBytesTheKubeletSentBeforeClosingAllReachTheClient() throws Exception {
        try (Stream stream = upgrade("/exec/ns/pod/burst?command=yes&output=1", "Authorization: Bearer streamer")) {
            assertThat(stream.head()).startsWith("HTTP/1.1 101 ");
            // read slowly at first, so the proxy holds the end of the burst when the kubelet's side closes
            Thread.sleep(500);
            byte[] all = stream.socket().getInputStream().readNBytes(FakeUpgradingKubelet.BURST_BYTES);
            assertThat(all).hasSize(FakeUpgradingKubelet.BURST_BYTES);
            assertThat(closedByPeer(stream.socket())).isTrue();
        }
    }

    @Test
    void aRefusedUpgradeIsAnsweredAsIsAndTheConnectionIsClosed() throws Exception {
        try (Stream stream = upgrade("/exec/ns/pod/refuse?command=id", "Authorization: Bearer streamer")) {
            assertThat(stream.head()).startsWith("HTTP/1.1 400 ").containsIgnoringCase("connection: close");
            BufferedReader body = new BufferedReader(new InputStreamReader(stream.socket().getInputStream(), StandardCharsets.UTF_8));
            assertThat(body.readLine()).isEqualTo("upgrade refused by the kubelet");
            try {
                stream.socket().getOutputStream().write("smuggled bytes".getBytes(StandardCharsets.US_ASCII));
                stream.socket().getOutputStream().flush();
            } catch (IOException closed) {
                // closed already: fine
            }
            assertThat(closedByPeer(stream.socket())).isTrue();
        }
        Thread.sleep(3500);
        assertThat(KUBELET.afterRefusal()).isEmpty();
    }

    @Test
    void aRefusalLargerThanTheProxyPassesBackIsA502ThatSaysSoNotACannotReach() throws Exception {
        try (Stream stream = upgrade("/exec/ns/pod/oversize?command=id", "Authorization: Bearer streamer")) {
            assertThat(stream.head()).startsWith("HTTP/1.1 502 ");
            int length = Integer.parseInt(stream.head().lines()
                    .filter(line -> line.toLowerCase().startsWith("content-length:"))
                    .findFirst().orElseThrow().substring("content-length:".length()).trim());
            String body = new String(stream.socket().getInputStream().readNBytes(length), StandardCharsets.UTF_8);
            assertThat(body).contains("the kubelet answered the upgrade with 500 and a body larger than 1048576 bytes")
                    .doesNotContain("cannot reach");
        }
    }

    @Test
    void aClientThatLeavesBeforeTheKubeletAnswersLeavesNoKubeletConnectionBehind() throws Exception {
        await().atMost(Duration.ofSeconds(20)).until(() -> KUBELET.openConnections() == 0);
        for (int attempt = 0; attempt < 5; attempt++) {
            CompletableFuture<Void> answerLater = KUBELET.holdAnswers();
            int heads = KUBELET.heads().size();
            SSLSocket client = PROXY.openTls();
            client.getOutputStream().write(("POST /exec/ns/pod/held?command=id HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n"
                    + "Authorization: Bearer streamer\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            client.getOutputStream().flush();
            await().atMost(Duration.ofSeconds(20)).until(() -> KUBELET.heads().size() > heads);
            client.close();
            // the kubelet switches protocols only after the client has gone: nobody will ever read that stream
            answerLater.complete(null);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> KUBELET.openConnections() == 0);
        // and no place among the two allowed streams stayed taken
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            try (Stream first = upgrade("/exec/ns/pod/c?command=id", "Authorization: Bearer streamer");
                    Stream second = upgrade("/exec/ns/pod/c?command=id", "Authorization: Bearer streamer")) {
                assertThat(first.head()).startsWith("HTTP/1.1 101 ");
                assertThat(second.head()).startsWith("HTTP/1.1 101 ");
            }
        });
    }

    @Test
    void anUnauthorizedUpgradeNeverReachesTheKubelet() throws Exception {
        int before = KUBELET.heads().size();
        try (Stream stream = upgrade("/exec/ns/pod/c?command=id", "Authorization: Bearer nobody-knows-me")) {
            assertThat(stream.head()).startsWith("HTTP/1.1 401 ");
        }
        assertThat(KUBELET.heads()).hasSize(before);
    }

    @Test
    void streamsBeyondTheLimitGet429AndIdleStreamsAreClosed() throws Exception {
        try (Stream first = upgrade("/attach/ns/pod/c?output=1", "Authorization: Bearer streamer");
                Stream second = upgrade("/portForward/ns/pod", "Authorization: Bearer streamer");
                Stream third = upgrade("/exec/ns/pod/c?command=id", "Authorization: Bearer streamer")) {
            assertThat(first.head()).startsWith("HTTP/1.1 101 ");
            assertThat(second.head()).startsWith("HTTP/1.1 101 ");
            assertThat(third.head()).startsWith("HTTP/1.1 429 ");
            assertThat(metrics()).contains("kubelet_auth_proxy_streams_open{kind=\"attach\"} 1.0")
                    .contains("kubelet_auth_proxy_streams_open{kind=\"portforward\"} 1.0");
            // nothing moves for longer than the 2 s idle timeout: the proxy closes the stream
            assertThat(first.socket().getInputStream().read()).isEqualTo(-1);
        }
        // the gauge drops when the proxy has finished closing both sides
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(metrics()).contains("kubelet_auth_proxy_streams_open{kind=\"attach\"} 0.0"));
    }

    static boolean closedByPeer(SSLSocket socket) {
        try {
            return socket.getInputStream().read() == -1;
        } catch (IOException e) {
            // the TLS layer saw the proxy's close_notify and already shut input down
            return socket.isInputShutdown() || e instanceof SocketException;
        }
    }

    String metrics() throws Exception {
        return PROXY.management("/actuator/prometheus").body();
    }
}
