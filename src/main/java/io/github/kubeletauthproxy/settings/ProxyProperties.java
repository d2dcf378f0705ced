package io.github.kubeletauthproxy.settings;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Every setting of the proxy, bound once at start from {@code application.yaml}, environment variables and
 * command-line arguments. Defaults live in {@code application.yaml} (and the README table), not here.
 * Each record checks its own values as it is bound and throws with the key as it is written in YAML, so that a
 * bad config stops the process with a clear message, and every rule of a section is in its constructor.
 */
@ConfigurationProperties(ProxyProperties.PREFIX)
public record ProxyProperties(
        String nodeName,
        Listen listen,
        Tls tls,
        Authentication authentication,
        Authorization authorization,
        Upstream upstream,
        Streams streams,
        ApiServer apiServer) {

    public static final String PREFIX = "kubelet-auth-proxy";

    public ProxyProperties {
        requireText(nodeName, PREFIX + ".node-name");
        requireSet(listen, PREFIX + ".listen");
        requireSet(tls, PREFIX + ".tls");
        requireSet(authentication, PREFIX + ".authentication");
        requireSet(authorization, PREFIX + ".authorization");
        requireSet(upstream, PREFIX + ".upstream");
        requireSet(streams, PREFIX + ".streams");
        requireSet(apiServer, PREFIX + ".api-server");
    }

    /**
     * The proxy's listener and what one client may hold of it.
     *
     * @param requestTimeout       a request's line, headers and body must have arrived within this (a client that
     *                             sends half a request is cut off); upgraded streams and responses are not limited
     * @param idleTimeout          a keep-alive connection with no request in flight is closed after this (the kubelet: 90 s)
     * @param maxConnections       connections open at once; more are closed as they are accepted
     * @param maxConcurrentStreams HTTP/2 streams one connection may have open at once
     * @param maxBodyBytes         the body of a request that is not an upgraded stream may not be longer (413)
     */
    public record Listen(String address, int port, boolean http2, Duration requestTimeout, Duration idleTimeout,
            int maxConnections, int maxConcurrentStreams, int maxBodyBytes) {

        public Listen {
            requireText(address, PREFIX + ".listen.address");
            requireBetween(port, 0, 65535, PREFIX + ".listen.port");
            requirePositive(requestTimeout, PREFIX + ".listen.request-timeout");
            requirePositive(idleTimeout, PREFIX + ".listen.idle-timeout");
            requireBetween(maxConnections, 1, Integer.MAX_VALUE, PREFIX + ".listen.max-connections");
            requireBetween(maxConcurrentStreams, 1, Integer.MAX_VALUE, PREFIX + ".listen.max-concurrent-streams");
            requireBetween(maxBodyBytes, 1, Integer.MAX_VALUE, PREFIX + ".listen.max-body-bytes");
        }
    }

    public record Tls(
            String certFile,
            String keyFile,
            String minVersion,
            List<String> cipherSuites,
            String clientCaFile,
            Duration reloadInterval) {

        public Tls {
            requireText(certFile, PREFIX + ".tls.cert-file");
            requireText(keyFile, PREFIX + ".tls.key-file");
            if (!"TLSv1.2".equals(minVersion) && !"TLSv1.3".equals(minVersion)) {
                throw new IllegalArgumentException(PREFIX + ".tls.min-version must be TLSv1.2 or TLSv1.3, got '" + minVersion + "'");
            }
            cipherSuites = cipherSuites == null ? List.of() : List.copyOf(cipherSuites);
            clientCaFile = blankToNull(clientCaFile);
            requirePositive(reloadInterval, PREFIX + ".tls.reload-interval");
        }
    }

    public record Authentication(boolean anonymous, Token token) {

        public Authentication {
            requireSet(token, PREFIX + ".authentication.token");
        }
    }

    public record Token(
            boolean enabled,
            List<String> audiences,
            Duration successTtl,
            Duration failureTtl,
            int cacheSize) {

        public Token {
            audiences = audiences == null ? List.of() : List.copyOf(audiences);
            requireNotNegative(successTtl, PREFIX + ".authentication.token.success-ttl");
            requireNotNegative(failureTtl, PREFIX + ".authentication.token.failure-ttl");
            requireBetween(cacheSize, 1, Integer.MAX_VALUE, PREFIX + ".authentication.token.cache-size");
        }
    }

    public enum ForbiddenMessage {
        /** Kubelet 1.32+: {@code subresource(s)=[a b]}. */
        CURRENT,
        /** Kubelet before 1.32 and kube-rbac-proxy: {@code subresource=a}. */
        LEGACY
    }

    public record Authorization(
            boolean fineGrained,
            boolean streamsRequireCreate,
            ForbiddenMessage forbiddenMessage,
            Duration allowTtl,
            Duration denyTtl,
            int cacheSize) {

        public Authorization {
            requireNotNegative(allowTtl, PREFIX + ".authorization.allow-ttl");
            requireNotNegative(denyTtl, PREFIX + ".authorization.deny-ttl");
            requireSet(forbiddenMessage, PREFIX + ".authorization.forbidden-message");
            requireBetween(cacheSize, 1, Integer.MAX_VALUE, PREFIX + ".authorization.cache-size");
        }
    }

    public record Upstream(
            URI url,
            String caFile,
            boolean insecureSkipTlsVerify,
            String clientCertFile,
            String clientKeyFile,
            String tokenFile,
            Duration connectTimeout) {

        public Upstream {
            caFile = blankToNull(caFile);
            clientCertFile = blankToNull(clientCertFile);
            clientKeyFile = blankToNull(clientKeyFile);
            tokenFile = blankToNull(tokenFile);
            requireSet(url, PREFIX + ".upstream.url");
            if (!"https".equals(url.getScheme())) {
                throw new IllegalArgumentException(PREFIX + ".upstream.url must be an https:// URL, got '" + url + "'");
            }
            if (url.getRawPath() != null && !url.getRawPath().isEmpty() && !"/".equals(url.getRawPath())) {
                throw new IllegalArgumentException(PREFIX + ".upstream.url must not have a path, got '" + url + "'");
            }
            if ((clientCertFile == null) != (clientKeyFile == null)) {
                throw new IllegalArgumentException(
                        PREFIX + ".upstream.client-cert-file and " + PREFIX + ".upstream.client-key-file must be set together");
            }
            if (clientCertFile != null && tokenFile != null) {
                throw new IllegalArgumentException(
                        PREFIX + ".upstream.token-file and " + PREFIX + ".upstream.client-cert-file are exclusive: choose one credential");
            }
            if (caFile == null && !insecureSkipTlsVerify) {
                throw new IllegalArgumentException(PREFIX + ".upstream.ca-file is required to verify the kubelet (or set "
                        + PREFIX + ".upstream.insecure-skip-tls-verify=true, which is logged as a warning)");
            }
            requirePositive(connectTimeout, PREFIX + ".upstream.connect-timeout");
        }

        public boolean hasClientCertificate() {
            return clientCertFile != null;
        }
    }

    /** Upgraded streams (exec, attach, port-forward over SPDY/3.1 or WebSocket). */
    public record Streams(
            int maxConcurrent,
            Duration idleTimeout,
            Duration maxLifetime,
            Duration shutdownGracePeriod,
            int maxErrorBodyBytes) {

        public Streams {
            requireBetween(maxConcurrent, 1, Integer.MAX_VALUE, PREFIX + ".streams.max-concurrent");
            requireBetween(maxErrorBodyBytes, 1024, Integer.MAX_VALUE, PREFIX + ".streams.max-error-body-bytes");
            requirePositive(idleTimeout, PREFIX + ".streams.idle-timeout");
            requirePositive(maxLifetime, PREFIX + ".streams.max-lifetime");
            requireNotNegative(shutdownGracePeriod, PREFIX + ".streams.shutdown-grace-period");
        }
    }

    public record ApiServer(
            String kubeconfig,
            Duration requestTimeout,
            int maxConcurrentCalls,
            int retries,
            Duration retryInitialBackoff) {

        public ApiServer {
            kubeconfig = blankToNull(kubeconfig);
            requirePositive(requestTimeout, PREFIX + ".api-server.request-timeout");
            requirePositive(retryInitialBackoff, PREFIX + ".api-server.retry-initial-backoff");
            requireBetween(maxConcurrentCalls, 1, Integer.MAX_VALUE, PREFIX + ".api-server.max-concurrent-calls");
            requireBetween(retries, 0, 10, PREFIX + ".api-server.retries");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static void requireSet(Object value, String key) {
        if (value == null) {
            throw new IllegalArgumentException(key + " must be set");
        }
    }

    private static void requireText(String value, String key) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(key + " must not be blank");
        }
    }

    private static void requireBetween(int value, int min, int max, String key) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + " must be " + (max == Integer.MAX_VALUE ? "at least " + min
                    : "between " + min + " and " + max) + ", got " + value);
        }
    }

    private static void requirePositive(Duration value, String key) {
        requireSet(value, key);
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(key + " must be positive, got " + value);
        }
    }

    private static void requireNotNegative(Duration value, String key) {
        requireSet(value, key);
        if (value.isNegative()) {
            throw new IllegalArgumentException(key + " must not be negative, got " + value);
        }
    }
}
