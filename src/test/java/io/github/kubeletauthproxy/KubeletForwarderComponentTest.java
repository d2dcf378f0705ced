package io.github.kubeletauthproxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLSocket;

import io.github.kubeletauthproxy.support.FakeApiServer;
import io.github.kubeletauthproxy.support.RawKubelet;
import io.github.kubeletauthproxy.support.RunningProxy;
import io.github.kubeletauthproxy.support.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the forwarder does that the JDK's server in {@link io.github.kubeletauthproxy.support.FakeKubelet} would hide,
 * seen byte by byte on both sides: the request target and {@code Host} the kubelet receives, the response headers that
 * stay between the proxy and the kubelet, an answer and a request body that flow while the other side is still
 * writing, and a client that goes away taking the kubelet connection with it. Every wait is for a fact, bounded by a
 * socket timeout that fails the test.
 */
class KubeletForwarderComponentTest {

    static final TestPki CLUSTER = new TestPki("cluster");
    static final RawKubelet KUBELET = new RawKubelet(CLUSTER);

    @RegisterExtension
    static final RunningProxy PROXY = new RunningProxy("node-f", CLUSTER, KUBELET.url());

    static final FakeApiServer API = PROXY.api();

    static final String TOKEN = "forwarded-token";

    @BeforeAll
    static void grants() {
        API.addToken(TOKEN, "fran", List.of(), List.of());
        for (String subresource : List.of("proxy", "pods", "metrics", "stats")) {
            API.grant("fran", "get", subresource);
        }
        API.grant("fran", "create", "proxy");
    }

    @AfterAll
    static void stop() throws IOException {
        KUBELET.close();
    }

    @BeforeEach
    void clear() {
        KUBELET.clear();
    }

    /**
     * Targets the screen accepts, written as bytes (one per character): encoded slashes and dots, double slashes,
     * semicolons and dot segments in a query, percent-encodings the screen keeps in a path, raw UTF-8 in a query, a
     * query a parser would tidy up (empty, repeated, nameless parameters), and brackets, next to which Spring Cloud Gateway
     * re-encoded a path's {@code %3A} as {@code %253A}.
     */
    @ParameterizedTest
    @ValueSource(strings = {
            "/pods",
            "/pods?a=%2F&b=%2e&c=%2E%2e&d=%252F",
            "/stats/summary?x=a//b;c&y=../../exec&z=%3B",
            "/pods?",
            "/pods?a=1&b=2&a=3&&=x&y&",
            "/metrics/x%3Ay%20z?q=%C3%A9",
            "/metrics/x%3Ay?a=[1]",
            "/pods?name=caf\u00c3\u00a9"})
    void theKubeletReceivesTheRequestTargetByteForByte(String target) throws Exception {
        String answer = exchange("GET " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                + "\r\nConnection: close\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 200 ");
        assertThat(KUBELET.heads()).singleElement().satisfies(head ->
                assertThat(head).startsWith("GET " + target + " HTTP/1.1\r\n"));
    }

    @Test
    void aQueryWhoseBytesAreNotUtf8IsRefusedRatherThanSentReEncoded() throws Exception {
        String answer = exchange("GET /pods?name=caf\u00e9 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                + "\r\nConnection: close\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 400 ").contains("not UTF-8");
        assertThat(KUBELET.heads()).isEmpty();
    }

    @Test
    void aFragmentIsNoPartOfTheTargetSent() throws Exception {
        exchange("GET /pods?a=1#b HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\nConnection: close\r\n\r\n");

        assertThat(KUBELET.heads()).singleElement().satisfies(head -> assertThat(head).startsWith("GET /pods?a=1 HTTP/1.1\r\n"));
    }

    @Test
    void dotSegmentsDoubleSlashesEncodedSlashesAndSemicolonsInThePathAreRefusedNotForwarded() throws Exception {
        for (String path : List.of("/pods/%2e%2e/exec", "/stats//summary", "/pods%2Fx", "/pods;x", "/pods/./x")) {
            String answer = exchange("GET " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                    + "\r\nConnection: close\r\n\r\n");
            assertThat(answer).as(path).startsWith("HTTP/1.1 400 ");
        }
        assertThat(KUBELET.heads()).isEmpty();
    }

    @Test
    void theKubeletSeesItsOwnAddressAsHostNotTheClients() throws Exception {
        exchange("GET /pods HTTP/1.1\r\nHost: evil.example:443\r\nAuthorization: Bearer " + TOKEN
                + "\r\nConnection: close\r\n\r\n");

        assertThat(KUBELET.heads()).singleElement().satisfies(head -> {
            assertThat(RawKubelet.header(head, "Host")).isEqualTo("127.0.0.1:" + KUBELET.port());
            assertThat(head.toLowerCase()).containsOnlyOnce("\r\nhost:");
        });
    }

    @Test
    void theKubeletGetsNoAcceptOrUserAgentTheClientDidNotSend() throws Exception {
        // some kubelet pages answer a request without Accept differently (/flagz before 1.35: 406)
        exchange("GET /pods HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\nConnection: close\r\n\r\n");
        exchange("GET /pods HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                + "\r\nAccept: text/plain\r\nUser-Agent: curl/8\r\nConnection: close\r\n\r\n");

        assertThat(KUBELET.heads()).hasSize(2);
        assertThat(KUBELET.heads().get(0).toLowerCase()).doesNotContain("\r\naccept:").doesNotContain("\r\nuser-agent:");
        assertThat(RawKubelet.header(KUBELET.heads().get(1), "Accept")).isEqualTo("text/plain");
        assertThat(RawKubelet.header(KUBELET.heads().get(1), "User-Agent")).isEqualTo("curl/8");
    }

    @Test
    void hopByHopResponseHeadersStayBetweenTheProxyAndTheKubelet() throws Exception {
        String answer = exchange("GET /pods HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                + "\r\nConnection: close\r\n\r\n");

        String head = answer.substring(0, answer.indexOf("\r\n\r\n") + 4);
        assertThat(answer).startsWith("HTTP/1.1 200 ").endsWith("\r\n\r\nok");
        assertThat(RawKubelet.header(head, "X-Kept")).isEqualTo("yes");
        assertThat(RawKubelet.header(head, "Content-Length")).isEqualTo("2");
        for (String name : RawKubelet.HOP_BY_HOP) {
            assertThat(RawKubelet.header(head, name)).as(name).isNull();
        }
    }

    @Test
    void headIsRefusedBeforeAnyReviewAndNeverForwarded() throws Exception {
        String answer = exchange("HEAD /pods HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                + "\r\nConnection: close\r\n\r\n");

        assertThat(answer).startsWith("HTTP/1.1 405 ");
        assertThat(KUBELET.heads()).isEmpty();
    }

    @Test
    void anAnswerReachesTheClientWhileTheKubeletIsStillWritingIt() throws Exception {
        try (SSLSocket socket = PROXY.openTls()) {
            socket.setSoTimeout(10_000);
            write(socket, "GET /stream/logs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                    + "\r\nConnection: close\r\n\r\n");

            // the kubelet holds its last chunk until the test lets it go: the first arrived on its own
            String first = readUntil(socket.getInputStream(), "first\n");
            assertThat(first).startsWith("HTTP/1.1 200 ");
            KUBELET.finishStream();

            assertThat(RunningProxy.readUntilClosed(socket.getInputStream())).contains("last\n").endsWith("0\r\n\r\n");
        }
    }

    @Test
    void aRequestBodyReachesTheKubeletWhileTheClientIsStillSendingIt() throws Exception {
        try (SSLSocket socket = PROXY.openTls()) {
            socket.setSoTimeout(10_000);
            write(socket, "POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                    + "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nfirst\r\n");

            // the rest of the body is sent only once the kubelet has the first part
            assertThat(KUBELET.uploadStarted().get(10, TimeUnit.SECONDS)).isEqualTo("first");
            write(socket, "4\r\nrest\r\n0\r\n\r\n");

            assertThat(RunningProxy.readUntilClosed(socket.getInputStream())).startsWith("HTTP/1.1 200 ").endsWith("uploaded");
        }
        assertThat(KUBELET.heads()).singleElement().satisfies(head -> assertThat(head).startsWith("POST /upload HTTP/1.1\r\n"));
    }

    @Test
    void aClientThatGoesAwayMidAnswerClosesTheKubeletConnection() throws Exception {
        try (SSLSocket socket = PROXY.openTls()) {
            socket.setSoTimeout(10_000);
            write(socket, "GET /hold/logs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\n\r\n");
            assertThat(readUntil(socket.getInputStream(), "first\n")).startsWith("HTTP/1.1 200 ");
        }

        // not left open, nor returned to the pool with half an answer unread
        KUBELET.closedByProxy().get(10, TimeUnit.SECONDS);
    }

    @Test
    void theManagementServerServesItsOwnPathsAndForwardsNothing() throws Exception {
        assertThat(PROXY.management("/actuator/health/liveness").statusCode()).isEqualTo(200);
        assertThat(PROXY.management("/pods").statusCode()).isEqualTo(404);
        assertThat(PROXY.management("/stats/summary?x=1").statusCode()).isEqualTo(404);

        assertThat(KUBELET.heads()).isEmpty();
    }

    /** Writes {@code request} byte for byte (one byte per character) and reads the answer until the proxy closes. */
    static String exchange(String request) throws IOException {
        try (SSLSocket socket = PROXY.openTls()) {
            socket.setSoTimeout(10_000);
            write(socket, request);
            return RunningProxy.readUntilClosed(socket.getInputStream());
        }
    }

    static void write(SSLSocket socket, String bytes) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(bytes.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Reads until what was read ends with {@code end}; a read timeout (it never came) fails the test. */
    static String readUntil(InputStream in, String end) throws IOException {
        StringBuilder read = new StringBuilder();
        try {
            int b;
            while (!read.toString().endsWith(end) && (b = in.read()) >= 0) {
                read.append((char) b);
            }
        } catch (SocketTimeoutException never) {
            throw new AssertionError("'" + end + "' did not arrive; read: " + read, never);
        }
        assertThat(read.toString()).endsWith(end);
        return read.toString();
    }
}
