package io.github.kubeletauthproxy.server;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Supplier;

import javax.net.ssl.X509TrustManager;

import io.github.kubeletauthproxy.settings.ProxyProperties;
import io.github.kubeletauthproxy.tls.ReloadingKeyManager;
import io.github.kubeletauthproxy.tls.ReloadingTrustManager;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContextBuilder;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import reactor.netty.http.Http11SslContextSpec;
import reactor.netty.http.Http2SslContextSpec;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.server.HttpServer;

/**
 * TLS on the proxy's listener: the serving certificate comes from a reloading key manager, so a rotated
 * certificate is served on the next handshake; with a client CA configured, client certificates are
 * requested (not required) and verified against that reloading bundle. HTTP/2 is offered through ALPN
 * unless turned off. The management server stays plain HTTP: Spring Boot's management child context builds a
 * server factory of its own and applies only its own context's customizers, so this one, a bean of the main
 * context, never reaches it.
 */
public final class ServerTls implements WebServerFactoryCustomizer<NettyReactiveWebServerFactory> {

    private final ProxyProperties.Listen listen;
    private final ProxyProperties.Tls tls;
    // looked up when the listener is built, not when the customizer is: ahead-of-time processing builds the web
    // server factory (and so this customizer) without any certificate on disk
    private final Supplier<ReloadingKeyManager> servingCertificate;
    private final Supplier<ReloadingTrustManager> clientCa;

    public ServerTls(ProxyProperties properties, Supplier<ReloadingKeyManager> servingCertificate,
            Supplier<ReloadingTrustManager> clientCa) {
        this.listen = properties.listen();
        this.tls = properties.tls();
        this.servingCertificate = servingCertificate;
        this.clientCa = clientCa;
    }

    @Override
    public void customize(NettyReactiveWebServerFactory factory) {
        factory.addServerCustomizers(this::secure);
    }

    private HttpServer secure(HttpServer server) {
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
            // Netty would otherwise load the JDK's default CAs (~150 certificates parsed at every start) for a
            // trust manager that, with no client certificate requested, is never asked
            builder.trustManager(TRUSTS_NOTHING).clientAuth(ClientAuth.NONE);
        }
    }

    /** For a listener that requests no client certificate: refuses any that would reach it anyway. */
    static final X509TrustManager TRUSTS_NOTHING = new X509TrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("no client certificates are accepted on this listener");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("no server certificates are accepted on this listener");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    };
}
