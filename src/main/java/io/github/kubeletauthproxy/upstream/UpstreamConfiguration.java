package io.github.kubeletauthproxy.upstream;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

import io.github.kubeletauthproxy.authz.KubeletAuthorization;
import io.github.kubeletauthproxy.authz.PodListFilter;
import io.github.kubeletauthproxy.metrics.UpstreamTimer;
import io.github.kubeletauthproxy.server.ManagementPort;
import io.github.kubeletauthproxy.settings.ProxyProperties;
import io.github.kubeletauthproxy.tls.ReloadingKeyManager;
import io.github.kubeletauthproxy.tls.ReloadingTrustManager;
import io.github.kubeletauthproxy.tls.TokenFile;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.server.WebHandler;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * Forwarding to the kubelet: every request of the proxy's listener that Spring Security let through goes to one
 * pipeline of small steps, each wrapping the next: failures to reach the kubelet become a 502 ({@link UpstreamFailures}),
 * the kubelet's time to answer is measured ({@link UpstreamTimer}), a pod-scoped {@code GET /pods} is filtered
 * ({@link PodListFiltering}), upgrades become tunnels ({@link UpgradeTunnel}), and everything else is sent on as it
 * came ({@link KubeletForwarder}) by a client that speaks HTTP/1.1 over TLS with the proxy's own credentials, never
 * follows redirects and has no response timeout (log follows and streams stay open).
 */
@Configuration(proxyBeanMethods = false)
public class UpstreamConfiguration {

    private static final Logger log = LoggerFactory.getLogger(UpstreamConfiguration.class);

    /** The kubelet closes idle connections after 90 s: the proxy lets them go first. */
    static final Duration POOL_MAX_IDLE_TIME = Duration.ofSeconds(60);

    /** Rotated client certificates apply to new connections: none is older than this. */
    static final Duration POOL_MAX_LIFE_TIME = Duration.ofMinutes(10);

    @Bean
    KubeletRoute kubeletRoute(ProxyProperties properties, KubeletAuthorization authorization, UpstreamTls tls,
            UpstreamCredentials credentials, OpenStreams streams, ConnectionProvider kubeletConnections,
            MeterRegistry registry, ManagementPort managementPort) {
        URI url = properties.upstream().url();
        ProxyProperties.Streams limits = properties.streams();
        WebHandler forward = new KubeletForwarder(kubeletClient(kubeletConnections, tls, properties.upstream().connectTimeout()),
                origin(url), new UpstreamRequestHeaders(credentials.bearerToken()));
        WebHandler upgrade = new UpgradeTunnel(url, tls, credentials.bearerToken(), streams,
                properties.upstream().connectTimeout(), limits.idleTimeout(), limits.maxLifetime(), limits.maxErrorBodyBytes(),
                forward);
        WebHandler podList = new PodListFiltering(new PodListFilter(authorization), upgrade);
        WebHandler timed = new UpstreamTimer(registry, podList);
        return new KubeletRoute(new UpstreamFailures(url.toString(), timed), managementPort);
    }

    /**
     * The kubelet's connections, pooled as the gateway pooled them: elastic (a request never waits for a connection),
     * first in first out, closed when idle or old.
     */
    @Bean(destroyMethod = "dispose")
    ConnectionProvider kubeletConnections() {
        return ConnectionProvider.builder("kubelet")
                .maxConnections(Integer.MAX_VALUE)
                .pendingAcquireTimeout(Duration.ZERO)
                .pendingAcquireMaxCount(-1)
                .maxIdleTime(POOL_MAX_IDLE_TIME)
                .maxLifeTime(POOL_MAX_LIFE_TIME)
                .fifo()
                .build();
    }

    static HttpClient kubeletClient(ConnectionProvider connections, UpstreamTls tls, Duration connectTimeout) {
        return HttpClient.create(connections)
                // upgrades go through UpgradeTunnel's own connections; ordinary requests need nothing beyond HTTP/1.1
                .protocol(HttpProtocol.HTTP11)
                // a redirect is the kubelet's answer, passed back to the client
                .followRedirect(false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                .secure(ssl -> ssl.sslContext(tls.context()).handlerConfigurator(handler -> tls.configure(handler.engine())));
    }

    /** The upstream URL's scheme, host and port: the request target is appended to it as the client wrote it. */
    static String origin(URI url) {
        return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort());
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
    OpenStreams openStreams(ProxyProperties properties, MeterRegistry registry) {
        ProxyProperties.Streams streams = properties.streams();
        return new OpenStreams(streams.maxConcurrent(), streams.shutdownGracePeriod(), registry);
    }

    @Bean
    UpstreamTls upstreamTls(ProxyProperties properties, UpstreamCredentials credentials) throws javax.net.ssl.SSLException {
        boolean insecure = properties.upstream().insecureSkipTlsVerify();
        if (insecure) {
            log.warn("kubelet-auth-proxy.upstream.insecure-skip-tls-verify=true: the kubelet's certificate is NOT verified");
        }
        return new UpstreamTls(credentials, insecure);
    }
}
