package io.github.kubeletauthproxy.upstream;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;

/**
 * TLS toward the kubelet, shared by ordinary forwarding and upgraded streams: HTTP/1.1 only (no ALPN: upgrades
 * never run over HTTP/2), the proxy's reloading client certificate, and the kubelet's CA with host-name
 * verification unless the insecure switch is on.
 */
public final class UpstreamTls {

    private final SslContext context;
    private final boolean insecure;

    public UpstreamTls(UpstreamCredentials credentials, boolean insecure) throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forClient().protocols("TLSv1.3", "TLSv1.2");
        credentials.certificate().ifPresent(builder::keyManager);
        if (insecure) {
            builder.trustManager(InsecureTrustManagerFactory.INSTANCE);
        } else {
            builder.trustManager(credentials.caBundle().orElseThrow());
        }
        this.context = builder.build();
        this.insecure = insecure;
    }

    public SslContext context() {
        return context;
    }

    /** Verifies (or, when insecure, does not verify) that the kubelet's certificate names the address dialled. */
    public void configure(SSLEngine engine) {
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm(insecure ? null : "HTTPS");
        engine.setSSLParameters(parameters);
    }

    public SslHandler newHandler(ByteBufAllocator allocator, String host, int port) {
        SslHandler handler = context.newHandler(allocator, host, port);
        configure(handler.engine());
        return handler;
    }
}
