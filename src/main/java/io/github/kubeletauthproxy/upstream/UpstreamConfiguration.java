package io.github.kubeletauthproxy.upstream;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;


import io.github.kubeletauthproxy.authz.KubeletAuthorization;
import io.github.kubeletauthproxy.authz.PodListFilter;
import io.github.kubeletauthproxy.settings.ProxyProperties;
import io.github.kubeletauthproxy.tls.ReloadingKeyManager;
import io.github.kubeletauthproxy.tls.ReloadingTrustManager;
import io.github.kubeletauthproxy.tls.TokenFile;
import io.netty.channel.ChannelOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.gateway.config.HttpClientCustomizer;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.cloud.gateway.route.builder.RouteLocatorBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.netty.http.HttpProtocol;

/**
 * Forwarding to the kubelet through Spring Cloud Gateway: one route to the kubelet URL (the request's raw
 * path and query are kept as they are), a client that speaks HTTP/1.1 over TLS with the proxy's own
 * credentials, never follows redirects and has no response timeout (log follows and streams stay open).
 */
@Configuration(proxyBeanMethods = false)
public class UpstreamConfiguration {

    private static final Logger log = LoggerFactory.getLogger(UpstreamConfiguration.class);

    @Bean
    RouteLocator kubeletRoute(RouteLocatorBuilder routes, ProxyProperties properties) {
        return routes.routes()
                .route("kubelet", route -> route.alwaysTrue().uri(properties.upstream().url()))
                .build();
    }

    @Bean
    PodListFiltering podListFiltering(KubeletAuthorization authorization) {
        return new PodListFiltering(new PodListFilter(authorization));
    }

    @Bean
    UpstreamCredentials upstreamCredentials(ProxyProperties properties) {
        ProxyProperties.Upstream upstream = properties.upstream();
        String key = ProxyProperties.PREFIX + ".upstream";
        try {
            ReloadingTrustManager ca = upstream.caFile() == null ? null
                    : new ReloadingTrustManager("upstream-ca", Path.of(upstream.caFile()));
            ReloadingKeyManager certificate = upstream.hasClientCertificate()
                    ? new ReloadingKeyManager("upstream-client", Path.of(upstream.clientCertFile()), Path.of(upstream.clientKeyFile()))
                    : null;
            TokenFile token = upstream.tokenFile() == null ? null : new TokenFile(Path.of(upstream.tokenFile()), "upstream-token");
            return new UpstreamCredentials(ca, certificate, token);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(key + " (ca-file, client-cert-file, client-key-file, token-file): " + e.getMessage(), e);
        }
    }

    @Bean
    UpstreamRequestHeaders upstreamRequestHeaders(UpstreamCredentials credentials) {
        return new UpstreamRequestHeaders(credentials.bearerToken());
    }

    @Bean
    UpstreamFailures upstreamFailures(ProxyProperties properties) {
        return new UpstreamFailures(properties.upstream().url().toString());
    }

    @Bean
    OpenStreams openStreams(ProxyProperties properties, io.micrometer.core.instrument.MeterRegistry registry) {
        ProxyProperties.Streams streams = properties.streams();
        return new OpenStreams(streams.maxConcurrent(), streams.shutdownGracePeriod(), registry);
    }

    @Bean
    UpgradeTunnel upgradeTunnel(ProxyProperties properties, UpstreamTls tls, UpstreamCredentials credentials, OpenStreams streams) {
        ProxyProperties.Streams limits = properties.streams();
        return new UpgradeTunnel(properties.upstream().url(), tls, credentials.bearerToken(), streams,
                properties.upstream().connectTimeout(), limits.idleTimeout(), limits.maxLifetime(), limits.maxErrorBodyBytes());
    }

    @Bean
    UpstreamTls upstreamTls(ProxyProperties properties, UpstreamCredentials credentials) throws javax.net.ssl.SSLException {
        boolean insecure = properties.upstream().insecureSkipTlsVerify();
        if (insecure) {
            log.warn("kubelet-auth-proxy.upstream.insecure-skip-tls-verify=true: the kubelet's certificate is NOT verified");
        }
        return new UpstreamTls(credentials, insecure);
    }

    @Bean
    HttpClientCustomizer upstreamHttpClient(ProxyProperties properties, UpstreamTls tls) {
        Duration connectTimeout = properties.upstream().connectTimeout();
        return client -> client
                .protocol(HttpProtocol.HTTP11)
                .followRedirect(false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                .secure(ssl -> ssl.sslContext(tls.context()).handlerConfigurator(handler -> tls.configure(handler.engine())));
    }
}
