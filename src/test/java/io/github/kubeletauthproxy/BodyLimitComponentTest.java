package io.github.kubeletauthproxy;

import static io.github.kubeletauthproxy.support.RunningProxy.readUntilClosed;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import javax.net.ssl.SSLSocket;

import io.github.kubeletauthproxy.support.FakeApiServer;
import io.github.kubeletauthproxy.support.FakeKubelet;
import io.github.kubeletauthproxy.support.RawHttp2;
import io.github.kubeletauthproxy.support.RawHttp2.Field;
import io.github.kubeletauthproxy.support.RunningProxy;
import io.github.kubeletauthproxy.support.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The body limit of requests that are not streams: a declared length above it is refused before any review, a chunked
 * or HTTP/2 body that passes it is cut off on its way and the kubelet never receives a whole request; a body at the
 * limit goes through. The limit is set to 1 KiB here. (Upgraded streams are not limited: the filter lets every request
 * with an accepted {@code Upgrade} through untouched.)
 */
class BodyLimitComponentTest {

    static final int LIMIT = 1024;
    static final TestPki CLUSTER = new TestPki("body-cluster");
    static final FakeKubelet KUBELET = new FakeKubelet(CLUSTER);

    @RegisterExtension
    static final RunningProxy PROXY = new RunningProxy("n", CLUSTER, KUBELET.url())
            .with("kubelet-auth-proxy.listen.max-body-bytes", LIMIT)
            // every request is reviewed, so that a refusal before the review shows as none
            .with("kubelet-auth-proxy.authorization.allow-ttl", "0s");

    static final FakeApiServer API = PROXY.api();

    @BeforeAll
    static void aUserAllowedToRun() {
        API.addToken("runner-token", "runner", List.of(), List.of());
        API.grant("runner", "create", "proxy");
    }

    @AfterAll
    static void stop() {
        KUBELET.close();
    }

    @BeforeEach
    void reset() {
        API.resetCounts();
        KUBELET.clear();
    }

    /** An HTTP/1.1 POST to /run with {@code framing} headers and {@code body} as written. */
    static String post(String framing, String body) {
        return post("runner-token", framing, body);
    }

    static String post(String token, String framing, String body) {
        return "POST /run/ns/pod/c?cmd=id HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n" + framing
                + "Connection: close\r\n\r\n" + body;
    }

    /** Writes {@code request} as it is on a new TLS connection and reads the answer until the proxy closes it. */
    static String exchange(String request) throws Exception {
        try (SSLSocket socket = PROXY.openTls()) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return readUntilClosed(socket.getInputStream());
        }
    }

    static String chunked(int... sizes) {
        StringBuilder body = new StringBuilder();
        for (int size : sizes) {
            body.append(Integer.toHexString(size)).append("\r\n").append("b".repeat(size)).append("\r\n");
        }
        return body.append("0\r\n\r\n").toString();
    }

    static Stream<Arguments> http1() {
        return Stream.of(
                // name, request, status, reviews made, reaches the kubelet (null: either)
                Arguments.of("Content-Length at the limit", post("Content-Length: " + LIMIT + "\r\n", "b".repeat(LIMIT)), 200, 1, true),
                Arguments.of("Content-Length over the limit", post("Content-Length: " + (LIMIT + 1) + "\r\n", "b".repeat(LIMIT + 1)),
                        413, 0, false),
                Arguments.of("Content-Length over the limit, body never sent", post("Content-Length: 1000000000\r\n", ""), 413, 0, false),
                Arguments.of("chunked at the limit", post("Transfer-Encoding: chunked\r\n", chunked(512, 512)), 200, 1, true),
                Arguments.of("chunked over the limit", post("Transfer-Encoding: chunked\r\n", chunked(512, 512, 1)), 413, 1, false),
                Arguments.of("chunked far over the limit", post("Transfer-Encoding: chunked\r\n", chunked(4096, 4096, 4096)), 413, 1, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("http1")
    void http1BodiesAreLimited(String name, String request, int status, int reviews, boolean forwarded) throws Exception {
        String answer = exchange(request);

        assertThat(answer).startsWith("HTTP/1.1 " + status + " ");
        if (status == 413) {
            assertThat(answer).contains("Content-Type: application/json").endsWith("{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                    + "\"metadata\":{},\"status\":\"Failure\",\"message\":\"the request body is larger than the proxy's limit of "
                    + LIMIT + " bytes\",\"reason\":\"RequestEntityTooLarge\",\"code\":413}\n");
        }
        assertThat(API.sarCount()).isEqualTo(reviews);
        assertThat(KUBELET.received()).hasSize(forwarded ? 1 : 0);
    }

    /**
     * A chunked body framed wrongly is a 400 whenever it is found: before the review is answered (then none may be
     * made) or after the first chunk went on (then the kubelet has the request's head and a cut body, since a body is
     * streamed, not held back for a check). Never a second request read out of the rest of the body.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"zz\r\nbb\r\n0\r\n\r\n", "2\r\nbbbbbbbb\r\n0\r\n\r\n", "2\r\nbbGET /pods HTTP/1.1\r\n\r\n"})
    void http1MalformedChunkedBodiesAre400(String body) throws Exception {
        // a user of its own: a review of an earlier case's request may still be under way
        String user = "malformed-" + Integer.toHexString(body.hashCode());
        API.addToken(user + "-token", user, List.of(), List.of());
        API.grant(user, "create", "proxy");
        String answer = exchange(post(user + "-token", "Transfer-Encoding: chunked\r\n", body));

        assertThat(answer).startsWith("HTTP/1.1 400 ").containsOnlyOnce("HTTP/1.1 ");
        assertThat(API.reviews()).filteredOn(review -> review.user().equals(user)).hasSizeLessThanOrEqualTo(1);
        assertThat(KUBELET.received()).hasSizeLessThanOrEqualTo(1)
                .allSatisfy(received -> assertThat(received.rawPath()).isEqualTo("/run/ns/pod/c"));
    }

    static Stream<Arguments> http2() {
        return Stream.of(
                Arguments.of("no content-length, at the limit", LIMIT, null, 200, true),
                Arguments.of("no content-length, over the limit", LIMIT + 1, null, 413, false),
                Arguments.of("content-length over the limit", LIMIT + 1, String.valueOf(LIMIT + 1), 413, false),
                // a malformed HTTP/2 request is a stream error (RFC 9113, 8.1.1): reset, no answer (status 0)
                Arguments.of("content-length larger than the body", 5, "10", 0, false),
                Arguments.of("content-length smaller than the body", 10, "5", 0, false));
    }

    @ParameterizedTest(name = "HTTP/2 {0}")
    @MethodSource("http2")
    void http2BodiesAreLimited(String name, int bytes, String contentLength, int status, boolean forwarded) throws Exception {
        List<Field> fields = new ArrayList<>(List.of(new Field(":method", "POST"), new Field(":scheme", "https"),
                new Field(":authority", "x"), new Field(":path", "/run/ns/pod/c?cmd=id"),
                new Field("authorization", "Bearer runner-token")));
        if (contentLength != null) {
            fields.add(new Field("content-length", contentLength));
        }
        RawHttp2.Answer answer;
        try (SSLSocket socket = PROXY.openTls()) {
            socket.setSoTimeout(20_000);
            answer = RawHttp2.exchange(socket, fields, "b".repeat(bytes).getBytes(StandardCharsets.US_ASCII));
        }

        assertThat(answer.status()).isEqualTo(status);
        if (status == 413) {
            assertThat(answer.body()).contains("\"reason\":\"RequestEntityTooLarge\",\"code\":413");
        }
        if (status == 0) {
            assertThat(answer.ending()).isEqualTo("reset");
        }
        assertThat(KUBELET.received()).hasSize(forwarded ? 1 : 0);
    }
}
