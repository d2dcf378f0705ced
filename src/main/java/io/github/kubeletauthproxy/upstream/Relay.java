package io.github.kubeletauthproxy.upstream;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * One direction of a tunnel: bytes read on this channel are written to the peer. Reading stops while the peer
 * cannot take more (its outbound buffer is above the high-water mark) and resumes when it drains, so a slow
 * reader on either side never makes the proxy buffer without bound. A close on either side closes both.
 */
final class Relay extends ChannelInboundHandlerAdapter {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Relay.class);

    private final Channel peer;
    private final Counter bytes;
    private final StreamTunnel tunnel;
    private final StreamTunnel.Ending ownClose;

    Relay(Channel peer, Counter bytes, StreamTunnel tunnel, StreamTunnel.Ending ownClose) {
        this.peer = peer;
        this.bytes = bytes;
        this.tunnel = tunnel;
        this.ownClose = ownClose;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buffer)) {
            // the HTTP decoder's end-of-message marker for the 101 head, read before it left the pipeline
            ReferenceCountUtil.release(msg);
            return;
        }
        int size = buffer.readableBytes();
        bytes.increment(size);
        tunnel.count(this, size);
        peer.writeAndFlush(msg).addListener((ChannelFutureListener) written -> {
            if (!written.isSuccess()) {
                log.debug("stream ends: cannot write to {}: {}", peer, String.valueOf(written.cause()));
                tunnel.close(StreamTunnel.Ending.ERROR);
            }
        });
        if (!peer.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // this channel drained: the peer, which writes into it, may read again
        if (ctx.channel().isWritable()) {
            peer.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        tunnel.close(ownClose);
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent) {
            tunnel.close(StreamTunnel.Ending.IDLE_TIMEOUT);
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("stream ends on {}: {}", ctx.channel(), cause.toString());
        tunnel.close(StreamTunnel.Ending.ERROR);
    }
}
