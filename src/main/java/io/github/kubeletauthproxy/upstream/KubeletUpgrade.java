package io.github.kubeletauthproxy.upstream;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.springframework.http.HttpHeaders;

/**
 * Sends one upgrade request to the kubelet over a new HTTP/1.1 TLS connection (on the client connection's
 * event loop) and reports the kubelet's answer: {@link Switched} for a 101, with the connection ready to become
 * a tunnel, or {@link Refused} with the whole (bounded) answer for anything else, after which the connection is
 * closed and never reused. Redirects are answers like any other: never followed.
 */
final class KubeletUpgrade {

    private KubeletUpgrade() {
    }

    /** The kubelet's answer to an upgrade request. */
    sealed interface Answer permits Switched, Refused, Oversized {
    }

    /** 101: the connection (reads paused) and the handler holding any bytes that came right after the head. */
    record Switched(Channel kubelet, HttpResponse response, AnswerHandler answerHandler) implements Answer {
    }

    /** Any other status, with its body; the kubelet connection is already closed. */
    record Refused(HttpResponse response, byte[] body) implements Answer {
    }

    /** Any other status with a body larger than the proxy passes back; the kubelet connection is closed. */
    record Oversized(int status, int maxBodyBytes) implements Answer {
    }

    static CompletableFuture<Answer> open(Channel client, URI kubelet, String method, String pathAndQuery, HttpHeaders headers,
            UpstreamTls tls, Duration connectTimeout, int maxBodyBytes) {
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        String host = kubelet.getHost();
        int port = kubelet.getPort() < 0 ? 443 : kubelet.getPort();
        Bootstrap bootstrap = new Bootstrap()
                .group(client.eventLoop())
                // the accepted channel's own class (epoll or NIO) matches the event loop it runs on
                .channel(client.getClass())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast("tls", tls.newHandler(channel.alloc(), host, port));
                        channel.pipeline().addLast("http", new HttpResponseDecoder());
                        channel.pipeline().addLast("answer", new AnswerHandler(answer, maxBodyBytes));
                    }
                });
        bootstrap.connect(host, port).addListener((ChannelFutureListener) connected -> {
            if (!connected.isSuccess()) {
                answer.completeExceptionally(connected.cause());
                return;
            }
            Channel channel = connected.channel();
            // whoever gives up on the answer (the client went away, a deadline) gives up the kubelet connection too
            answer.whenComplete((result, failure) -> {
                if (failure != null) {
                    channel.close();
                }
            });
            channel.writeAndFlush(channel.alloc().buffer().writeBytes(requestHead(method, pathAndQuery, host, port, headers)))
                    .addListener((ChannelFutureListener) written -> {
                        if (!written.isSuccess()) {
                            answer.completeExceptionally(written.cause());
                            channel.close();
                        }
                    });
        });
        return answer;
    }

    /** Closes the kubelet connection of a 101 answer that no tunnel took over; anything else is closed already. */
    static void closeIfSwitched(CompletableFuture<Answer> answer) {
        if (answer != null && answer.isDone() && !answer.isCompletedExceptionally()
                && answer.join() instanceof Switched switched) {
            switched.kubelet().close();
        }
    }

    static byte[] requestHead(String method, String pathAndQuery, String host, int port, HttpHeaders headers) {
        StringBuilder head = new StringBuilder(512).append(method).append(' ').append(pathAndQuery).append(" HTTP/1.1\r\n")
                .append("Host: ").append(host).append(':').append(port).append("\r\n");
        for (Map.Entry<String, List<String>> header : headers.headerSet()) {
            if (header.getKey().equalsIgnoreCase("host") || header.getKey().equalsIgnoreCase("content-length")) {
                continue;
            }
            for (String value : header.getValue()) {
                head.append(header.getKey()).append(": ").append(value).append("\r\n");
            }
        }
        // upgrade requests carry no body
        return head.append("Content-Length: 0\r\n\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Reads the kubelet's answer; after a 101 it holds early bytes until the tunnel takes the connection over. */
    static final class AnswerHandler extends ChannelInboundHandlerAdapter {

        private final CompletableFuture<Answer> answer;
        private final int maxBodyBytes;
        private final List<ByteBuf> early = new ArrayList<>();
        private HttpResponse response;
        private ByteBuf body;
        private boolean switched;

        AnswerHandler(CompletableFuture<Answer> answer, int maxBodyBytes) {
            this.answer = answer;
            this.maxBodyBytes = maxBodyBytes;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpResponse head) {
                response = head;
                if (head.status().code() == 101) {
                    switched = true;
                    ctx.channel().config().setAutoRead(false);
                    if (!answer.complete(new Switched(ctx.channel(), head, this))) {
                        // nobody waits for this stream any more
                        ctx.close();
                    }
                } else {
                    body = ctx.alloc().buffer();
                }
            }
            if (msg instanceof HttpContent content) {
                if (!switched && body != null) {
                    if (body.readableBytes() + content.content().readableBytes() > maxBodyBytes) {
                        answer.complete(new Oversized(response.status().code(), maxBodyBytes));
                        ctx.close();
                    } else {
                        body.writeBytes(content.content());
                        if (content instanceof LastHttpContent) {
                            byte[] bytes = new byte[body.readableBytes()];
                            body.readBytes(bytes);
                            answer.complete(new Refused(response, bytes));
                            ctx.close();
                        }
                    }
                }
                ReferenceCountUtil.release(msg);
                return;
            }
            if (switched && msg instanceof ByteBuf bytes) {
                early.add(bytes);
                return;
            }
            if (!(msg instanceof HttpResponse)) {
                ReferenceCountUtil.release(msg);
            }
        }

        /** Gives the connection to the tunnel: early bytes first, then the relay in this handler's place. */
        void handOver(Channel client, Relay toClient, StreamTunnel tunnel) {
            for (ByteBuf bytes : early) {
                client.write(bytes);
            }
            early.clear();
            client.flush();
            Channel kubelet = answer.join() instanceof Switched s ? s.kubelet() : null;
            if (kubelet == null) {
                tunnel.close(StreamTunnel.Ending.ERROR);
                return;
            }
            kubelet.pipeline().replace(this, "kap.tunnel", toClient);
            // bytes the decoder already read past the 101 reach the relay when it leaves
            kubelet.pipeline().remove("http");
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            answer.completeExceptionally(new IOException("the kubelet closed the connection before answering"));
            release();
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            answer.completeExceptionally(cause);
            release();
            ctx.close();
        }

        private void release() {
            releaseBody();
            StreamTunnel.release(early);
        }

        private void releaseBody() {
            if (body != null && body.refCnt() > 0) {
                body.release();
            }
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            releaseBody();
        }
    }
}
