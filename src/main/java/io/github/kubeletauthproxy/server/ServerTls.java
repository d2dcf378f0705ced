package io.github.kubeletauthproxy.server;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.function.Supplier;

import io.github.kubeletauthproxy.settings.ProxyProperties;
import io.github.kubeletauthproxy.tls.ReloadingKeyManager;
import io.github.kubeletauthproxy.tls.ReloadingTrustManager;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContextBuilder;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.Http2SslContextSpec;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.server.HttpServer;

/**
 * TLS on the proxy's listener: the serving certificate comes from a reloading key manager, so a rotated
 * certificate is served on the next handshake; with a client CA configured, client certificates are
 * requested (not required) and verified against that reloading bundle. HTTP/2 is offered through ALPN
 * unless turned off. The management server (a different port) is left as it is.
 */
public final class ServerTls implements NettyServerCustomizer {

    private final ProxyProperties.Listen listen;
    private final ProxyProperties.Tls tls;
    private final int managementPort;
    // looked up when the listener is built, not when the customizer is: ahead-of-time processing builds the web
    // server factory (and so this customizer) without any certificate on disk
    private final Supplier<ReloadingKeyManager> servingCertificate;
    private final Supplier<ReloadingTrustManager> clientCa;

    public ServerTls(ProxyProperties properties, int managementPort, Supplier<ReloadingKeyManager> servingCertificate,
            Supplier<ReloadingTrustManager> clientCa) {
        this.listen = properties.listen();
        this.tls = properties.tls();
        this.managementPort = managementPort;
        this.servingCertificate = servingCertificate;
        this.clientCa = clientCa;
    }

    @Override
    public HttpServer apply(HttpServer server) {
        SocketAddress bind = server.configuration().bindAddress().get();
        if (managementPort > 0 && bind instanceof InetSocketAddress inet && inet.getPort() == managementPort) {
            return server;
        }
        if (listen.http2()) {
            return server.protocol(HttpProtocol.H2, HttpProtocol.HTTP11)
                    .secure(spec -> spec.sslContext(Http2SslContextSpec.forServer(servingCertificate.get()).configure(this::configure)));
        }
        return server.protocol(HttpProtocol.HTTP11)
                .secure(spec -> spec.sslContext(Http11SslContextSpec.forServer(servingCertificate.get()).configure(this::configure)));
    }

    private void configure(SslContextBuilder builder) {
        builder.protocols(tls.minVersion().equals("TLSv1.3") ? List.of("TLSv1.3") : List.of("TLSv1.3", "TLSv1.2"));
        if (!tls.cipherSuites().isEmpty()) {
            builder.ciphers(tls.cipherSuites());
        }
        ReloadingTrustManager clientCa = this.clientCa.get();
        if (clientCa != null) {
            builder.trustManager(clientCa).clientAuth(ClientAuth.OPTIONAL);
        } else {
            builder.clientAuth(ClientAuth.NONE);
        }
    }
}
