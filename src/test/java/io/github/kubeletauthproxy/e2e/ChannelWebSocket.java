package io.github.kubeletauthproxy.e2e;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

/**
 * A minimal client of the Kubernetes channel WebSocket protocols ({@code v5.channel.k8s.io},
 * {@code v4.channel.k8s.io}): binary messages whose first byte names the channel (exec: 0 stdin, 1 stdout,
 * 2 stderr, 3 error/status; port-forward: 2n data and 2n+1 error of the n-th port). The bearer token may ride in
 * the subprotocol list, as kubectl does.
 */
public final class ChannelWebSocket implements WebSocket.Listener, AutoCloseable {

    /** One message: its channel and payload. */
    public record Message(int channel, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private final LinkedBlockingQueue<Message> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final Map<Integer, ByteArrayOutputStream> byChannel = new ConcurrentHashMap<>();
    private WebSocket socket;

    public static ChannelWebSocket connect(SSLContext ssl, String url, String protocol, String token) throws Exception {
        ChannelWebSocket listener = new ChannelWebSocket();
        WebSocket.Builder builder = HttpClient.newBuilder().sslContext(ssl).build().newWebSocketBuilder()
                .connectTimeout(Duration.ofSeconds(10));
        if (token == null) {
            builder.subprotocols(protocol);
        } else {
            builder.subprotocols(protocol, "base64url.bearer.authorization.k8s.io."
                    + Base64.getUrlEncoder().withoutPadding().encodeToString(token.getBytes(StandardCharsets.UTF_8)));
        }
        listener.socket = builder.buildAsync(URI.create(url), listener).get(30, TimeUnit.SECONDS);
        return listener;
    }

    public String subprotocol() {
        return socket.getSubprotocol();
    }

    public void send(int channel, byte[] payload) throws Exception {
        ByteBuffer frame = ByteBuffer.allocate(payload.length + 1).put((byte) channel).put(payload).flip();
        socket.sendBinary(frame, true).get(30, TimeUnit.SECONDS);
    }

    /** The next message, or null after {@code timeout}. */
    public Message next(Duration timeout) throws InterruptedException {
        return messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Everything received on {@code channel} until the server closed (bounded by {@code timeout}). */
    public String drain(int channel, Duration timeout) throws Exception {
        closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        ByteArrayOutputStream out = byChannel.get(channel);
        return out == null ? "" : out.toString(StandardCharsets.UTF_8);
    }

    public List<Message> pending() {
        return List.copyOf(messages);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        partial.writeBytes(bytes);
        if (last) {
            byte[] whole = partial.toByteArray();
            partial.reset();
            if (whole.length > 0) {
                int channel = whole[0] & 0xff;
                byte[] payload = java.util.Arrays.copyOfRange(whole, 1, whole.length);
                messages.add(new Message(channel, payload));
                byChannel.computeIfAbsent(channel, c -> new ByteArrayOutputStream()).writeBytes(payload);
            }
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.completeExceptionally(error);
    }

    @Override
    public void close() {
        if (socket != null && !socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "");
        }
        socket.abort();
    }
}
