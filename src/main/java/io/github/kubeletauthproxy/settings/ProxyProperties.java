package io.github.kubeletauthproxy.settings;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Every setting of the proxy, bound once at start from {@code application.yaml}, environment variables and
 * command-line arguments. Defaults live in {@code application.yaml}, not here; the configuration metadata the build
 * generates takes the descriptions below ({@code @param}) and the defaults from
 * {@code META-INF/additional-spring-configuration-metadata.json}, and ConfigurationMetadataReadmeTest keeps the
 * defaults bound from {@code application.yaml}, the metadata and README's table equal.
 * Each record checks its own values as it is bound and throws with the key as it is written in YAML, so that a
 * bad config stops the process with a clear message, and every rule of a section is in its constructor.
 *
 * @param nodeName       the node name put in every SubjectAccessReview (NODE_NAME by default; required)
 * @param listen         the proxy's HTTPS listener
 * @param tls            the listener's TLS: serving certificate, client CA, protocol versions
 * @param authentication how callers are authenticated
 * @param authorization  how the SubjectAccessReviews are asked and their answers cached
 * @param upstream       the kubelet behind the proxy and the proxy's credential toward it
 * @param streams        upgraded streams (exec, attach, port-forward)
 * @param apiServer      the API server that answers TokenReviews and SubjectAccessReviews
 * @param audit          where the audit records go
 * @param outage         what the proxy answers while the API server does not answer
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
        ApiServer apiServer,
        Audit audit,
        Outage outage) {

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
        requireSet(audit, PREFIX + ".audit");
        requireSet(outage, PREFIX + ".outage");
    }

    /**
     * The proxy's listener and what one client may hold of it.
     *
     * @param address              address of the HTTPS listener
     * @param port                 port of the HTTPS listener (0 picks a free one)
     * @param http2                offer HTTP/2 through ALPN
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

    /**
     * The listener's TLS.
     *
     * @param certFile       serving certificate (PEM, with its chain), re-read when it changes; required
     * @param keyFile        private key of the serving certificate (PEM: PKCS#8, PKCS#1 or SEC1); required
     * @param minVersion     lowest TLS version accepted: TLSv1.2 or TLSv1.3
     * @param cipherSuites   cipher suite names to offer (empty: the TLS implementation's defaults)
     * @param clientCaFile   CA bundle for client certificates; when set, client certificates are requested and x509
     *                       authentication is on
     * @param reloadInterval how often certificate, CA and token files are checked for changes
     */
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

    /**
     * How callers are authenticated: x509 client certificate, bearer token, WebSocket subprotocol token, anonymous.
     *
     * @param anonymous allow system:anonymous for requests that present no credential at all
     * @param token     bearer tokens, verified by TokenReview
     */
    public record Authentication(boolean anonymous, Token token) {

        public Authentication {
            requireSet(token, PREFIX + ".authentication.token");
        }
    }

    /**
     * Bearer tokens verified by TokenReview, and the cache of the answers.
     *
     * @param enabled    accept bearer tokens (through TokenReview)
     * @param audiences  audiences sent in the TokenReview; the answer must include one (empty: the API server's)
     * @param successTtl how long an authenticated token is cached
     * @param failureTtl how long a rejected token is cached
     * @param cacheSize  token cache entries at most
     */
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

    /**
     * The SubjectAccessReviews asked for a request, and the cache of their answers.
     *
     * @param fineGrained          the kubelet's fine-grained records (pods, healthz, configz before proxy;
     *                             the kubelet's default from 1.33)
     * @param streamsRequireCreate exec, attach, portForward and run need create whatever the method
     * @param podScoped            when the node-level reviews deny, a pod's own API permissions (get pods/log, create
     *                             pods/exec ...) open that pod's logs and streams, and GET /pods shows the namespaces
     *                             the caller may list
     * @param forbiddenMessage     text of a 403: current (subresource(s)=[...], kubelet 1.32+) or legacy (subresource=...)
     * @param allowTtl             how long an allow is cached
     * @param denyTtl              how long a deny is cached
     * @param cacheSize            decision cache entries at most
     */
    public record Authorization(
            boolean fineGrained,
            boolean streamsRequireCreate,
            boolean podScoped,
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

    /**
     * The kubelet behind the proxy and the proxy's own credential toward it.
     *
     * @param url                   the kubelet's URL (https, no path)
     * @param caFile                CA bundle that verifies the kubelet's certificate; required unless
     *                              insecure-skip-tls-verify
     * @param insecureSkipTlsVerify do not verify the kubelet's certificate (logged as a warning)
     * @param clientCertFile        the proxy's client certificate toward the kubelet, re-read when it changes
     * @param clientKeyFile         its private key (set together with the certificate)
     * @param tokenFile             or: a bearer token file toward the kubelet (e.g. a projected ServiceAccount token),
     *                              re-read when it changes
     * @param connectTimeout        TCP connect timeout toward the kubelet
     */
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

    /**
     * Upgraded streams (exec, attach, port-forward over SPDY/3.1 or WebSocket).
     *
     * @param maxConcurrent       open streams at most; more are answered 429
     * @param idleTimeout         a stream with no traffic either way for this long is closed (the kubelet's
     *                            streamingConnectionIdleTimeout default)
     * @param maxLifetime         a stream is closed after this long whatever it does
     * @param shutdownGracePeriod on shutdown, how long open streams may go on before they are closed
     * @param maxErrorBodyBytes   largest answer other than 101 to an upgrade that is passed back to the client
     */
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

    /**
     * The API server's client.
     *
     * @param kubeconfig          kubeconfig for the API server (empty: KUBECONFIG, ~/.kube/config, then in-cluster)
     * @param requestTimeout      timeout of one call
     * @param maxConcurrentCalls  API-server connections, so calls in flight at once; more wait for one
     * @param maxWaitingCalls     calls that may wait for a connection; beyond them a request is refused at once with
     *                            503 (fail closed) instead of queueing behind a slow API server
     * @param retries             retries of a call that failed transiently
     * @param retryInitialBackoff first backoff between retries (then 1.5 times longer each, with 20 % jitter)
     */
    public record ApiServer(
            String kubeconfig,
            Duration requestTimeout,
            int maxConcurrentCalls,
            int maxWaitingCalls,
            int retries,
            Duration retryInitialBackoff) {

        public ApiServer {
            kubeconfig = blankToNull(kubeconfig);
            requirePositive(requestTimeout, PREFIX + ".api-server.request-timeout");
            requirePositive(retryInitialBackoff, PREFIX + ".api-server.retry-initial-backoff");
            requireBetween(maxConcurrentCalls, 1, Integer.MAX_VALUE, PREFIX + ".api-server.max-concurrent-calls");
            requireBetween(maxWaitingCalls, 0, 100_000, PREFIX + ".api-server.max-waiting-calls");
            requireBetween(retries, 0, 10, PREFIX + ".api-server.retries");
        }
    }

    public enum AuditOutput {
        /** One line per record on the process's standard output, whole lines between the application's own. */
        STDOUT,
        /** Appended to {@code audit.file}. */
        FILE,
        /** Not written (the request counters still count). */
        NONE
    }

    /**
     * The audit records: one bare JSON object per line (README: Audit records), written by a thread of their own so
     * that a slow disk or pipe never holds up a request.
     *
     * @param output    where the records go: stdout (whole lines, between the application's own log lines), file, or
     *                  none
     * @param file      the file the records are appended to when output is file (created when missing)
     * @param queueSize records waiting to be written at most; more are dropped and counted in
     *                  kubelet_auth_proxy_audit_dropped_total rather than wait
     */
    public record Audit(AuditOutput output, String file, int queueSize) {

        public Audit {
            requireSet(output, PREFIX + ".audit.output");
            file = blankToNull(file);
            if (output == AuditOutput.FILE && file == null) {
                throw new IllegalArgumentException(PREFIX + ".audit.file must be set when " + PREFIX + ".audit.output is file");
            }
            requireBetween(queueSize, 1, Integer.MAX_VALUE, PREFIX + ".audit.queue-size");
        }
    }

    /**
     * While the API server does not answer. By default the proxy fails closed (503 without a TokenReview, 500 without a
     * SubjectAccessReview); this mode lets the scrapers' reads go on for a while on the API server's last answers.
     *
     * @param serveLastAllowFor when set, a GET of the subresources below is answered from the API server's last allow
     *                          (the token's last authentication, the review's last allow) when the API server fails,
     *                          for at most this long after it was given; never in place of a rejection or a deny
     *                          (0: off; at most 1h)
     * @param subresources      the node subresources that may be served from a last allow: metrics, stats, log (paths
     *                          reviewed on that record alone; never proxy, which opens exec)
     */
    public record Outage(Duration serveLastAllowFor, List<String> subresources) {

        /** The longest outage the mode may bridge: beyond it, permissions withdrawn meanwhile matter more. */
        public static final Duration MAX_SERVE_LAST_ALLOW_FOR = Duration.ofHours(1);

        /** The subresources a path is reviewed on alone, and that only read. */
        public static final List<String> SERVABLE_SUBRESOURCES = List.of("metrics", "stats", "log");

        public Outage {
            requireNotNegative(serveLastAllowFor, PREFIX + ".outage.serve-last-allow-for");
            if (serveLastAllowFor.compareTo(MAX_SERVE_LAST_ALLOW_FOR) > 0) {
                throw new IllegalArgumentException(PREFIX + ".outage.serve-last-allow-for must be at most "
                        + MAX_SERVE_LAST_ALLOW_FOR + ", got " + serveLastAllowFor);
            }
            subresources = subresources == null ? List.of() : List.copyOf(subresources);
            for (String subresource : subresources) {
                if (!SERVABLE_SUBRESOURCES.contains(subresource)) {
                    throw new IllegalArgumentException(PREFIX + ".outage.subresources: '" + subresource
                            + "' cannot be served from a last allow" + (subresource.equals("proxy")
                            ? " (nodes/proxy opens exec, attach and port-forward)" : "") + "; choose among "
                            + SERVABLE_SUBRESOURCES);
                }
            }
            if (!serveLastAllowFor.isZero() && subresources.isEmpty()) {
                throw new IllegalArgumentException(PREFIX + ".outage.subresources must name at least one subresource when "
                        + PREFIX + ".outage.serve-last-allow-for is set");
            }
        }

        public boolean servesLastAllows() {
            return !serveLastAllowFor.isZero();
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
