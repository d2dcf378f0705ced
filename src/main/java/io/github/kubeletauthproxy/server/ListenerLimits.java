package io.github.kubeletauthproxy.server;

import java.util.concurrent.atomic.AtomicInteger;

import io.github.kubeletauthproxy.settings.ProxyProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import reactor.netty.http.server.HttpServer;

/**
 * What one client may hold of the proxy's listener, so that slow or greedy clients cannot use up its connections:
 * a deadline for each request to arrive, an idle timeout for keep-alive connections, a cap on open connections
 * (more are closed as they are accepted, counted, never queued) and HTTP/2 limits (concurrent streams, header
 * list size, and a cut-off for clients that reset streams in a loop). Like {@link ServerTls}, a customizer of the
 * main context only: the management server is not limited here.
 */
public final class ListenerLimits implements WebServerFactoryCustomizer<NettyReactiveWebServerFactory> {

    /** An HTTP/2 client resetting more streams than this per window is disconnected (Netty's own defaults). */
    static final int MAX_RESETS = 200;
    static final int RESET_WINDOW_SECONDS = 30;

    private final ProxyProperties.Listen listen;
    private final int maxHeaderBytes;
    private final AtomicInteger open = new AtomicInteger();
    private final Counter refused;

    public ListenerLimits(ProxyProperties.Listen listen, int maxHeaderBytes, MeterRegistry registry) {
        this.listen = listen;
        this.maxHeaderBytes = maxHeaderBytes;
        Gauge.builder("kubelet_auth_proxy_connections_open", open, AtomicInteger::get)
                .description("Client connections open on the proxy's listener")
                .register(registry);
        this.refused = Counter.builder("kubelet_auth_proxy_connections_refused")
                .description("Client connections closed as they were accepted because max-connections were open")
                .register(registry);
    }

    @Override
    public void customize(NettyReactiveWebServerFactory factory) {
        factory.addServerCustomizers(this::limit);
    }

    private HttpServer limit(HttpServer server) {
        return server.requestTimeout(listen.requestTimeout())
                .idleTimeout(listen.idleTimeout())
                .http2Settings(settings -> settings
                        .maxConcurrentStreams(listen.maxConcurrentStreams())
                        .maxHeaderListSize(maxHeaderBytes)
                        .maxDecodedRstFramesPerWindow(MAX_RESETS, RESET_WINDOW_SECONDS))
                .doOnChannelInit((observer, channel, remote) -> admit(channel));
    }

    private void admit(Channel channel) {
        if (open.incrementAndGet() > listen.maxConnections()) {
            open.decrementAndGet();
            refused.increment();
            channel.close();
            return;
        }
        channel.closeFuture().addListener(closed -> open.decrementAndGet());
    }
}
