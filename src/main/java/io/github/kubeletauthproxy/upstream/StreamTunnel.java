package io.github.kubeletauthproxy.upstream;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;
import reactor.netty.NettyPipeline;

/**
 * A switched stream: the client's connection and the kubelet's, both turned into raw byte pipes once the
 * kubelet answered 101. Owns both channels from then on; ends when either side closes, on idle timeout, at
 * the maximum lifetime, or when the proxy shuts down, and reports how it ended and how many bytes moved.
 */
final class StreamTunnel {

    /** How a stream ended. */
    enum Ending { CLIENT_CLOSED, KUBELET_CLOSED, IDLE_TIMEOUT, MAX_LIFETIME, SHUTDOWN, ERROR }

    /** What the audit line and the caller learn when the stream is over. */
    record Summary(Ending ending, long bytesIn, long bytesOut, Duration duration) {
    }

    /** Reactor Netty's HTTP/1.1 handlers on the client side; gone once the connection carries raw bytes. */
    private static final List<String> CLIENT_HTTP_HANDLERS = List.of(NettyPipeline.HttpCodec, NettyPipeline.HttpTrafficHandler,
            NettyPipeline.CompressionHandler, NettyPipeline.AccessLogHandler, NettyPipeline.HttpMetricsHandler,
            NettyPipeline.IdleTimeoutHandler, NettyPipeline.ReadTimeoutHandler, NettyPipeline.HttpAggregator,
            NettyPipeline.HttpDecompressor, NettyPipeline.ChunkedWriter, NettyPipeline.ErrorLogHandler);

    /** How long a closing stream may take to hand over the last bytes before both connections are dropped. */
    private static final Duration ORDERLY_CLOSE_GRACE = Duration.ofSeconds(10);

    private final Channel client;
    private final Channel kubelet;
    private final long started = System.nanoTime();
    private final AtomicReference<Ending> ending = new AtomicReference<>();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private final CompletableFuture<Summary> done = new CompletableFuture<>();
    private Relay clientToKubelet;
    /** The max-lifetime timer: cancelled when the stream ends, or it would hold the whole tunnel for hours. */
    private volatile ScheduledFuture<?> lifetime;

    private StreamTunnel(Channel client, Channel kubelet) {
        this.client = client;
        this.kubelet = kubelet;
    }

    /**
     * Switches both connections to raw bytes and starts relaying. Runs on the client's event loop, which the
     * kubelet connection shares. {@code switched} is the kubelet's 101 answer, sent on to the client as it came.
     */
    static StreamTunnel open(Channel client, KubeletUpgrade.Switched switched, Counter in, Counter out, Duration idleTimeout,
            Duration maxLifetime) {
        Channel kubelet = switched.kubelet();
        StreamTunnel tunnel = new StreamTunnel(client, kubelet);
        ChannelPipeline clientPipeline = client.pipeline();
        for (String name : CLIENT_HTTP_HANDLERS) {
            if (clientPipeline.get(name) != null) {
                clientPipeline.remove(name);
            }
        }
        tunnel.clientToKubelet = new Relay(kubelet, in, tunnel, Ending.CLIENT_CLOSED);
        clientPipeline.replace(NettyPipeline.ReactiveBridge, "kap.tunnel", tunnel.clientToKubelet);
        clientPipeline.addBefore("kap.tunnel", "kap.idle",
                new IdleStateHandler(0, 0, idleTimeout.toMillis(), TimeUnit.MILLISECONDS));
        client.writeAndFlush(client.alloc().buffer().writeBytes(head(switched.response())));

        switched.answerHandler().handOver(client, new Relay(client, out, tunnel, Ending.KUBELET_CLOSED), tunnel);
        tunnel.lifetime = client.eventLoop().schedule(() -> tunnel.close(Ending.MAX_LIFETIME), maxLifetime.toMillis(),
                TimeUnit.MILLISECONDS);
        client.closeFuture().addListener(closed -> tunnel.close(Ending.CLIENT_CLOSED));
        kubelet.closeFuture().addListener(closed -> tunnel.close(Ending.KUBELET_CLOSED));
        client.config().setAutoRead(true);
        kubelet.config().setAutoRead(true);
        client.read();
        kubelet.read();
        return tunnel;
    }

    void count(Relay direction, int size) {
        (direction == clientToKubelet ? bytesIn : bytesOut).addAndGet(size);
    }

    /** Ends the stream (first reason wins) and closes both connections. */
    void close(Ending why) {
        if (ending.compareAndSet(null, why)) {
            ScheduledFuture<?> timer = lifetime;
            if (timer != null) {
                timer.cancel(false);
            }
            boolean orderly = why == Ending.CLIENT_CLOSED || why == Ending.KUBELET_CLOSED;
            if (orderly) {
                // the side still open may hold bytes the other sent last (an exit status, a final chunk): deliver them
                // first, but never wait for a peer that stopped reading for longer than the grace below
                closeAfterFlush(client);
                closeAfterFlush(kubelet);
                ScheduledFuture<?> grace = client.eventLoop().schedule(() -> {
                    client.close();
                    kubelet.close();
                }, ORDERLY_CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
                // once both are closed the grace has nothing left to do: let go of the tunnel now, not 10 s later
                client.closeFuture().addListener(c -> kubelet.closeFuture().addListener(k -> grace.cancel(false)));
            } else {
                client.close();
                kubelet.close();
            }
            Duration duration = Duration.ofNanos(System.nanoTime() - started);
            // both channels share one event loop: completing after their close keeps the byte counts final
            client.closeFuture().addListener(c -> kubelet.closeFuture().addListener(
                    k -> done.complete(new Summary(why, bytesIn.get(), bytesOut.get(), duration))));
        }
    }

    private static void closeAfterFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
    }

    CompletableFuture<Summary> done() {
        return done;
    }

    /** The kubelet's response head in HTTP/1.1 wire form. */
    static byte[] head(HttpResponse response) {
        StringBuilder head = new StringBuilder(256).append("HTTP/1.1 ").append(response.status().code()).append(' ')
                .append(response.status().reasonPhrase()).append("\r\n");
        for (Map.Entry<String, String> header : response.headers()) {
            head.append(header.getKey()).append(": ").append(header.getValue()).append("\r\n");
        }
        return head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    static void release(List<ByteBuf> buffers) {
        buffers.forEach(ByteBuf::release);
        buffers.clear();
    }
}
