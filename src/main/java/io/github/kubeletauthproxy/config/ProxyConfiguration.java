package io.github.kubeletauthproxy.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import javax.net.ssl.SSLException;

import com.github.benmanes.caffeine.cache.Ticker;
import io.github.kubeletauthproxy.apiserver.ApiServerCalls;
import io.github.kubeletauthproxy.apiserver.ApiServerClient;
import io.github.kubeletauthproxy.apiserver.ApiServerTarget;
import io.github.kubeletauthproxy.apiserver.Kubeconfig;
import io.github.kubeletauthproxy.audit.AuditStream;
import io.github.kubeletauthproxy.audit.AuditRecord;
import io.github.kubeletauthproxy.audit.AuditWebFilter;
import io.github.kubeletauthproxy.authn.AnonymousAuthenticator;
import io.github.kubeletauthproxy.authn.AuthenticatedGroupAdder;
import io.github.kubeletauthproxy.authn.Authenticator;
import io.github.kubeletauthproxy.authn.BearerTokenAuthenticator;
import io.github.kubeletauthproxy.authn.CachingTokenAuthenticator;
import io.github.kubeletauthproxy.authn.LastAllowTokenAuthenticator;
import io.github.kubeletauthproxy.authn.TokenAuthenticator;
import io.github.kubeletauthproxy.authn.TokenReviewAuthenticator;
import io.github.kubeletauthproxy.authn.UnionAuthenticator;
import io.github.kubeletauthproxy.authn.WebSocketTokenAuthenticator;
import io.github.kubeletauthproxy.authn.X509Authenticator;
import io.github.kubeletauthproxy.authz.Authorizer;
import io.github.kubeletauthproxy.authz.CachingAuthorizer;
import io.github.kubeletauthproxy.authz.KubeletAuthorization;
import io.github.kubeletauthproxy.authz.KubeletRequestAttributes;
import io.github.kubeletauthproxy.authz.LastAllowAuthorizer;
import io.github.kubeletauthproxy.authz.LastAllowScope;
import io.github.kubeletauthproxy.authz.SubjectAccessReviewAuthorizer;
import io.github.kubeletauthproxy.metrics.CacheMeters;
import io.github.kubeletauthproxy.metrics.LastAllowMeters;
import io.github.kubeletauthproxy.metrics.MeteredAuthenticator;
import io.github.kubeletauthproxy.metrics.MeteredAuthorizer;
import io.github.kubeletauthproxy.request.RequestScreen;
import io.github.kubeletauthproxy.server.ApiServerHealth;
import io.github.kubeletauthproxy.server.BodyLimit;
import io.github.kubeletauthproxy.server.ListenerLimits;
import io.github.kubeletauthproxy.server.ManagementPort;
import io.github.kubeletauthproxy.server.ScreeningWebFilter;
import io.github.kubeletauthproxy.server.ServerTls;
import io.github.kubeletauthproxy.settings.ProxyProperties;
import io.github.kubeletauthproxy.tls.FileReloader;
import io.github.kubeletauthproxy.tls.Reloadable;
import io.github.kubeletauthproxy.tls.ReloadingKeyManager;
import io.github.kubeletauthproxy.tls.ReloadingTrustManager;
import io.github.kubeletauthproxy.tls.TokenFile;
import io.github.kubeletauthproxy.upstream.UpstreamCredentials;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.server.autoconfigure.ServerProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the proxy from its settings: the decorator chains, the TLS material and the API-server client. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(ProxyProperties.class)
public class ProxyConfiguration {

    private static final Logger log = LoggerFactory.getLogger(ProxyConfiguration.class);
    private static final String KEY = ProxyProperties.PREFIX;

    @Bean
    ManagementPort managementPort() {
        return new ManagementPort();
    }

    @Bean
    ReloadingKeyManager servingCertificate(ProxyProperties properties) {
        Path cert = readable(properties.tls().certFile(), KEY + ".tls.cert-file");
        Path key = readable(properties.tls().keyFile(), KEY + ".tls.key-file");
        try {
            return new ReloadingKeyManager("serving", cert, key);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(KEY + ".tls.cert-file/key-file: " + e.getMessage(), e);
        }
    }

    /** The client CA bundle, or an empty holder when client certificates are not requested. */
    public record ClientCa(ReloadingTrustManager trustManager) {
    }

    @Bean
    ClientCa clientCa(ProxyProperties properties) {
        String caFile = properties.tls().clientCaFile();
        if (caFile == null) {
            return new ClientCa(null);
        }
        try {
            return new ClientCa(new ReloadingTrustManager("client-ca", readable(caFile, KEY + ".tls.client-ca-file")));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(KEY + ".tls.client-ca-file: " + e.getMessage(), e);
        }
    }

    @Bean
    ListenerLimits listenerLimits(ProxyProperties properties, ServerProperties server, MeterRegistry registry) {
        return new ListenerLimits(properties.listen(), (int) server.getMaxHttpRequestHeaderSize().toBytes(), registry);
    }

    @Bean
    ServerTls serverTls(ProxyProperties properties, ObjectProvider<ReloadingKeyManager> servingCertificate,
            ObjectProvider<ClientCa> clientCa, @Value("${management.server.port:-1}") int managementPort) {
        if (managementPort > 0 && managementPort == properties.listen().port()) {
            // the proxy's port serves TLS only; metrics and health live on a plain-HTTP port of their own
            throw new IllegalStateException("management.server.port must differ from " + KEY + ".listen.port (both are "
                    + managementPort + ")");
        }
        return new ServerTls(properties, servingCertificate::getObject, () -> clientCa.getObject().trustManager());
    }

    @Bean(destroyMethod = "close")
    FileReloader fileReloader(ProxyProperties properties, ReloadingKeyManager servingCertificate, ClientCa clientCa,
            UpstreamCredentials upstreamCredentials, ApiServerToken apiServerToken, MeterRegistry registry) {
        List<Reloadable> reloadables = new ArrayList<>();
        reloadables.add(servingCertificate);
        if (clientCa.trustManager() != null) {
            reloadables.add(clientCa.trustManager());
        }
        reloadables.addAll(upstreamCredentials.reloadables());
        if (apiServerToken.file() != null) {
            reloadables.add(apiServerToken.file());
        }
        return new FileReloader(reloadables, properties.tls().reloadInterval(), reloaded -> Counter
                .builder("kubelet_auth_proxy_credential_reloads")
                .description("Certificates, CA bundles and tokens re-read after they changed on disk")
                .tag("credential", reloaded.name())
                .register(registry)
                .increment());
    }

    @Bean
    ApiServerTarget apiServerTarget(ProxyProperties properties) {
        try {
            ApiServerTarget target = Kubeconfig.resolve(properties.apiServer().kubeconfig(), System.getenv(),
                    Path.of(System.getProperty("user.home")), Kubeconfig.SERVICE_ACCOUNT);
            if (target.insecure()) {
                log.warn("{}: insecure-skip-tls-verify: the API server's certificate is NOT verified", target.source());
            }
            return target;
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(KEY + ".api-server.kubeconfig: " + e.getMessage(), e);
        }
    }

    /** The proxy's bearer token toward the API server: a file re-read when rotated, a fixed token, or none. */
    public record ApiServerToken(TokenFile file, String fixed) implements Supplier<String> {
        @Override
        public String get() {
            return file != null ? file.value() : fixed;
        }
    }

    @Bean
    ApiServerToken apiServerToken(ApiServerTarget target) {
        if (target.tokenFile() == null) {
            return new ApiServerToken(null, target.token());
        }
        try {
            return new ApiServerToken(new TokenFile(target.tokenFile(), "apiserver-token"), null);
        } catch (IOException e) {
            throw new IllegalStateException(KEY + ".api-server.kubeconfig: " + target.source() + ": token file: "
                    + e.getMessage(), e);
        }
    }

    @Bean(destroyMethod = "close")
    ApiServerClient apiServerClient(ProxyProperties properties, ApiServerTarget target, ApiServerToken token) {
        ProxyProperties.ApiServer apiServer = properties.apiServer();
        try {
            return new ApiServerClient(target, token, apiServer.requestTimeout(), apiServer.maxConcurrentCalls(),
                    apiServer.maxWaitingCalls());
        } catch (SSLException e) {
            throw new IllegalStateException(KEY + ".api-server.kubeconfig: " + target.source() + ": TLS: " + e.getMessage(), e);
        }
    }

    @Bean
    ApiServerCalls apiServerCalls(ProxyProperties properties) {
        ProxyProperties.ApiServer apiServer = properties.apiServer();
        return new ApiServerCalls(apiServer.retries(), apiServer.retryInitialBackoff(),
                apiServer.requestTimeout().plus(Duration.ofSeconds(1)));
    }

    @Bean
    ApiServerHealth apiServerHealthIndicator(ApiServerClient client, ApiServerCalls calls) {
        return new ApiServerHealth(client, calls);
    }

    /**
     * The clock of the caches and of the outage memory: the system's, unless a test put a {@link Ticker} bean in the
     * context to move time itself.
     */
    private static Ticker ticker(ObjectProvider<Ticker> ticker) {
        return ticker.getIfAvailable(Ticker::systemTicker);
    }

    /** What may be answered from a last allow while the API server fails: nothing unless the outage mode is on. */
    @Bean
    LastAllowScope lastAllowScope(ProxyProperties properties) {
        ProxyProperties.Outage outage = properties.outage();
        if (!outage.servesLastAllows()) {
            return LastAllowScope.NONE;
        }
        log.warn("{}.outage.serve-last-allow-for={}: while the API server does not answer, GET nodes/{} is answered from "
                + "its last allow (token and review) for up to that long", KEY, outage.serveLastAllowFor(), outage.subresources());
        return LastAllowScope.of(outage.subresources());
    }

    @Bean
    Authenticator authenticator(ProxyProperties properties, ApiServerClient client, ApiServerCalls calls,
            MeterRegistry registry, ObjectProvider<Ticker> clock) {
        Ticker ticker = ticker(clock);
        ProxyProperties.Authentication authentication = properties.authentication();
        ProxyProperties.Outage outage = properties.outage();
        List<Authenticator> credentialMethods = new ArrayList<>();
        if (properties.tls().clientCaFile() != null) {
            credentialMethods.add(new X509Authenticator());
        }
        ProxyProperties.Token token = authentication.token();
        if (token.enabled()) {
            TokenAuthenticator reviews = new TokenReviewAuthenticator(client, calls, token.audiences());
            if (outage.servesLastAllows()) {
                // inside the cache: its age is the TokenReview's, and the cache never keeps it as a fresh answer
                reviews = new LastAllowTokenAuthenticator(reviews, token.audiences(), outage.serveLastAllowFor(),
                        token.cacheSize(), ticker, LastAllowMeters.forLayer(AuditRecord.AUTHENTICATION, registry));
            }
            TokenAuthenticator tokens = new CachingTokenAuthenticator(reviews, token.audiences(), token.successTtl(),
                    token.failureTtl(), token.cacheSize(), ticker, CacheMeters.forCache("token", registry));
            credentialMethods.add(new BearerTokenAuthenticator(tokens));
            credentialMethods.add(new WebSocketTokenAuthenticator(tokens));
        }
        List<Authenticator> chain = new ArrayList<>();
        chain.add(new AuthenticatedGroupAdder(new UnionAuthenticator(credentialMethods)));
        if (authentication.anonymous()) {
            chain.add(new AnonymousAuthenticator());
        }
        return new MeteredAuthenticator(new UnionAuthenticator(chain), registry);
    }

    @Bean
    KubeletAuthorization kubeletAuthorization(ProxyProperties properties, ApiServerClient client, ApiServerCalls calls,
            MeterRegistry registry, LastAllowScope lastAllowScope, ObjectProvider<Ticker> clock) {
        Ticker ticker = ticker(clock);
        ProxyProperties.Authorization authorization = properties.authorization();
        ProxyProperties.Outage outage = properties.outage();
        Authorizer reviews = new SubjectAccessReviewAuthorizer(client, calls);
        if (outage.servesLastAllows()) {
            // inside the cache, as for tokens
            reviews = new LastAllowAuthorizer(reviews, lastAllowScope, outage.serveLastAllowFor(), authorization.cacheSize(),
                    ticker, LastAllowMeters.forLayer(AuditRecord.AUTHORIZATION, registry));
        }
        Authorizer authorizer = new MeteredAuthorizer(new CachingAuthorizer(reviews, authorization.allowTtl(),
                authorization.denyTtl(), authorization.cacheSize(), ticker, CacheMeters.forCache("authorization", registry)),
                registry);
        return new KubeletAuthorization(authorizer, properties.nodeName());
    }

    @Bean
    RequestScreen requestScreen(ProxyProperties properties) {
        return new RequestScreen(options(properties));
    }

    public static KubeletRequestAttributes.Options options(ProxyProperties properties) {
        return new KubeletRequestAttributes.Options(properties.authorization().fineGrained(),
                properties.authorization().streamsRequireCreate(), properties.authorization().podScoped());
    }

    @Bean
    ScreeningWebFilter screeningWebFilter(RequestScreen requestScreen, ManagementPort managementPort) {
        return new ScreeningWebFilter(requestScreen, managementPort);
    }

    @Bean(destroyMethod = "close")
    AuditStream auditStream(ProxyProperties properties, MeterRegistry registry) {
        ProxyProperties.Audit audit = properties.audit();
        switch (audit.output()) {
            case STDOUT:
                return AuditStream.stdout(audit.queueSize(), registry);
            case FILE:
                try {
                    return AuditStream.file(Path.of(audit.file()), audit.queueSize(), registry);
                } catch (IOException | RuntimeException e) {
                    throw new IllegalStateException(KEY + ".audit.file: cannot open '" + audit.file() + "' to append: " + e, e);
                }
            default:
                return AuditStream.none();
        }
    }

    @Bean
    BodyLimit bodyLimit(ProxyProperties properties, ManagementPort managementPort) {
        return new BodyLimit(properties.listen().maxBodyBytes(), managementPort);
    }

    @Bean
    AuditWebFilter auditWebFilter(ManagementPort managementPort, AuditStream auditStream, MeterRegistry registry) {
        return new AuditWebFilter(managementPort::isManagementRequest, auditStream, registry);
    }

    static Path readable(String file, String key) {
        Path path = Path.of(file);
        if (!Files.isReadable(path)) {
            throw new IllegalStateException(key + ": cannot read file '" + file + "'");
        }
        return path;
    }
}
