package io.github.kubeletauthproxy.settings;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Every setting of the proxy, bound once at start from {@code application.yaml}, environment variables and
 * command-line arguments. Defaults live in {@code application.yaml} (and the README table), not here.
 * Cross-field rules throw with the full key name so that a bad config stops the process with a clear message.
 */
@Validated
@ConfigurationProperties(ProxyProperties.PREFIX)
public record ProxyProperties(
        @NotBlank String nodeName,
        @Valid @NotNull Listen listen,
        @Valid @NotNull Tls tls,
        @Valid @NotNull Authentication authentication,
        @Valid @NotNull Authorization authorization,
        @Valid @NotNull Upstream upstream,
        @Valid @NotNull Streams streams,
        @Valid @NotNull ApiServer apiServer) {

    public static final String PREFIX = "kubelet-auth-proxy";

    public record Listen(@NotBlank String address, @Min(0) @Max(65535) int port, boolean http2) {
    }

    public record Tls(
            @NotBlank String certFile,
            @NotBlank String keyFile,
            @NotNull @Pattern(regexp = "TLSv1\\.[23]", message = "must be TLSv1.2 or TLSv1.3") String minVersion,
            List<String> cipherSuites,
            String clientCaFile,
            @NotNull Duration reloadInterval) {

        public Tls {
            cipherSuites = cipherSuites == null ? List.of() : List.copyOf(cipherSuites);
            clientCaFile = blankToNull(clientCaFile);
            requirePositive(reloadInterval, PREFIX + ".tls.reload-interval");
        }
    }

    public record Authentication(boolean anonymous, @Valid @NotNull Token token) {
    }

    public record Token(
            boolean enabled,
            List<String> audiences,
            @NotNull Duration successTtl,
            @NotNull Duration failureTtl,
            @Min(1) int cacheSize) {

        public Token {
            audiences = audiences == null ? List.of() : List.copyOf(audiences);
            requireNotNegative(successTtl, PREFIX + ".authentication.token.success-ttl");
            requireNotNegative(failureTtl, PREFIX + ".authentication.token.failure-ttl");
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
            @NotNull ForbiddenMessage forbiddenMessage,
            @NotNull Duration allowTtl,
            @NotNull Duration denyTtl,
            @Min(1) int cacheSize) {

        public Authorization {
            requireNotNegative(allowTtl, PREFIX + ".authorization.allow-ttl");
            requireNotNegative(denyTtl, PREFIX + ".authorization.deny-ttl");
        }
    }

    public record Upstream(
            @NotNull URI url,
            String caFile,
            boolean insecureSkipTlsVerify,
            String clientCertFile,
            String clientKeyFile,
            String tokenFile,
            @NotNull Duration connectTimeout) {

        public Upstream {
            caFile = blankToNull(caFile);
            clientCertFile = blankToNull(clientCertFile);
            clientKeyFile = blankToNull(clientKeyFile);
            tokenFile = blankToNull(tokenFile);
            if (url != null && !"https".equals(url.getScheme())) {
                throw new IllegalArgumentException(PREFIX + ".upstream.url must be an https:// URL, got '" + url + "'");
            }
            if (url != null && url.getRawPath() != null && !url.getRawPath().isEmpty() && !"/".equals(url.getRawPath())) {
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
            @Min(1) int maxConcurrent,
            @NotNull Duration idleTimeout,
            @NotNull Duration maxLifetime,
            @NotNull Duration shutdownGracePeriod,
            @Min(1024) int maxErrorBodyBytes) {

        public Streams {
            requirePositive(idleTimeout, PREFIX + ".streams.idle-timeout");
            requirePositive(maxLifetime, PREFIX + ".streams.max-lifetime");
            requireNotNegative(shutdownGracePeriod, PREFIX + ".streams.shutdown-grace-period");
        }
    }

    public record ApiServer(
            String kubeconfig,
            @NotNull Duration requestTimeout,
            @Min(1) int maxConcurrentCalls,
            @Min(0) @Max(10) int retries,
            @NotNull Duration retryInitialBackoff) {

        public ApiServer {
            kubeconfig = blankToNull(kubeconfig);
            requirePositive(requestTimeout, PREFIX + ".api-server.request-timeout");
            requirePositive(retryInitialBackoff, PREFIX + ".api-server.retry-initial-backoff");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static void requirePositive(Duration value, String key) {
        if (value != null && (value.isZero() || value.isNegative())) {
            throw new IllegalArgumentException(key + " must be positive, got " + value);
        }
    }

    private static void requireNotNegative(Duration value, String key) {
        if (value != null && value.isNegative()) {
            throw new IllegalArgumentException(key + " must not be negative, got " + value);
        }
    }
}
