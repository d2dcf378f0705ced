package io.github.kubeletauthproxy.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

import io.github.kubeletauthproxy.apiserver.Kubeconfig;
import io.github.kubeletauthproxy.tls.ReloadingTrustManager;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code check-install --port N [--pod-selector LABELS --namespace NS] [--timeout 90s] [--anonymous=true|false]
 * [--ca-file PEM]}: the chart's {@code helm test}, run from the proxy's own image (already on every node the proxy
 * runs on) with the JDK's HTTP client, because busybox wget's TLS (no signature_algorithms, so SHA-1 in TLS 1.2) is
 * refused by the proxy's. Through the proxy on this pod's node it makes one allowed request (GET /healthz with the pod's
 * ServiceAccount token, retried until it answers 200 "ok" or the timeout passes, while new RBAC propagates) and two
 * refused ones (GET /stats/summary: 403; GET /healthz without a token: 401, or 403 with anonymous authentication on).
 * The proxy is the node's address ({@code HOST_IP}) without {@code --pod-selector}, else the pod of those labels in
 * {@code NS} on node {@code NODE_NAME}, listed through the API server (in-cluster, verified with the ServiceAccount's
 * CA). Exit 0 and "passed", 1 and "FAIL: …", 2 for bad arguments. Does not start Spring.
 */
public final class CheckInstallCommand {

    public static final int FAILED = 1;
    public static final int USAGE = 2;

    static final String USAGE_LINE = "usage: check-install --port N [--pod-selector LABELS --namespace NS] [--timeout 90s] "
            + "[--anonymous=true|false] [--ca-file PEM]";

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final int EXCERPT = 200;

    private CheckInstallCommand() {
    }

    /** Where the proxy to check is. */
    sealed interface Target permits NodeAddress, PodOnNode {
    }

    /** hostNetwork or hostPort: the proxy listens on the node's own address. */
    record NodeAddress(String hostIp) implements Target {
    }

    /** The proxy pod on this node, found through the API server. */
    record PodOnNode(URI apiServer, String namespace, String labelSelector, String nodeName) implements Target {
    }

    /**
     * @param target          where the proxy is
     * @param port            the proxy's port there
     * @param timeout         how long GET /healthz may take to be allowed (RBAC made by the install may lag)
     * @param statusWithoutToken what a request without any credential must get: 401, or 403 with anonymous on
     * @param caFile          CA bundle to verify the proxy's certificate chain with, or null for no verification
     * @param serviceAccount  the mounted ServiceAccount directory (token, ca.crt)
     * @param retryInterval   pause between GET /healthz attempts
     */
    record Settings(Target target, int port, Duration timeout, int statusWithoutToken, Path caFile, Path serviceAccount,
            Duration retryInterval) {
    }

    /** An HTTP answer, or why there was none ({@code status} 0). */
    record Answer(int status, String body) {

        static Answer none(Throwable e) {
            return new Answer(0, e.toString());
        }

        String describe() {
            String excerpt = body.replaceAll("\\s+", " ").strip();
            excerpt = excerpt.length() > EXCERPT ? excerpt.substring(0, EXCERPT) + "…" : excerpt;
            return (status == 0 ? "no answer" : String.valueOf(status)) + " \"" + excerpt + "\"";
        }
    }

    /** One request against its expectation: allowed means 200 with the body {@code ok}, refused means the status. */
    record Step(String what, int expected, Answer got) {

        boolean passed() {
            return got.status() == expected && (expected != 200 || got.body().strip().equals("ok"));
        }

        String line() {
            String expectation = expected == 200 ? "200 \"ok\"" : String.valueOf(expected);
            String verdict = passed() ? (expected == 200 ? "allowed" : "refused") : "FAIL";
            return verdict + ": " + what + ": expected " + expectation + ", got " + got.describe();
        }
    }

    /** Where the pod lookup ended: the proxy's address, or why there is none. */
    sealed interface Lookup permits Found, NotFound {
    }

    record Found(URI proxy) implements Lookup {
    }

    record NotFound(String reason) implements Lookup {
    }

    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        Settings settings;
        try {
            settings = parse(args, env, Kubeconfig.SERVICE_ACCOUNT);
        } catch (IllegalArgumentException e) {
            err.println("check-install: " + e.getMessage());
            err.println(USAGE_LINE);
            return USAGE;
        }
        return check(settings, out);
    }

    static Settings parse(String[] args, Map<String, String> env, Path serviceAccount) {
        Integer port = null;
        String podSelector = null;
        String namespace = null;
        Duration timeout = Duration.ofSeconds(90);
        boolean anonymous = false;
        Path caFile = null;
        CommandLine line = CommandLine.parse(args);
        if (!line.positional().isEmpty()) {
            throw new IllegalArgumentException("unexpected argument '" + line.positional().get(0) + "'");
        }
        for (CommandLine.Option option : line.options()) {
            String name = option.name();
            String value = option.value();
            switch (name) {
                case "--port" -> port = parsePort(value);
                case "--pod-selector" -> podSelector = nonEmpty(name, value);
                case "--namespace" -> namespace = nonEmpty(name, value);
                case "--timeout" -> timeout = parseDuration(name, value);
                case "--anonymous" -> anonymous = option.asBoolean();
                case "--ca-file" -> caFile = Path.of(nonEmpty(name, value));
                default -> throw new IllegalArgumentException("unknown option " + name);
            }
        }
        if (port == null) {
            throw new IllegalArgumentException("--port is required");
        }
        if ((podSelector == null) != (namespace == null)) {
            throw new IllegalArgumentException("--pod-selector and --namespace go together");
        }
        Target target = podSelector == null
                ? new NodeAddress(required(env, "HOST_IP", "the node's address, from status.hostIP"))
                : new PodOnNode(URI.create("https://" + hostPort(required(env, "KUBERNETES_SERVICE_HOST", "in-cluster API server"),
                        env.getOrDefault("KUBERNETES_SERVICE_PORT", "443"))), namespace, podSelector,
                        required(env, "NODE_NAME", "this pod's node, from spec.nodeName"));
        // 401 is the proxy's answer to no credential; with anonymous on, system:anonymous is reviewed and denied
        return new Settings(target, port, timeout, anonymous ? 403 : 401, caFile, serviceAccount, Duration.ofSeconds(2));
    }

    static int check(Settings settings, PrintStream out) {
        String token;
        try {
            token = Files.readString(settings.serviceAccount().resolve("token"), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return fail(out, "no ServiceAccount token: " + e);
        }
        Lookup lookup;
        HttpClient proxyClient;
        try {
            lookup = settings.target() instanceof PodOnNode pod
                    ? findPod(pod, settings.port(), token, settings.serviceAccount().resolve("ca.crt"))
                    : new Found(URI.create("https://" + hostPort(((NodeAddress) settings.target()).hostIp(), String.valueOf(settings.port()))));
            proxyClient = client(sslContext(new ProxyTrust(settings.caFile() == null ? null
                    : new ReloadingTrustManager("proxy", settings.caFile()))));
        } catch (IOException | GeneralSecurityException e) {
            return fail(out, "cannot set up TLS: " + e.getMessage());
        }
        if (lookup instanceof NotFound notFound) {
            return fail(out, notFound.reason());
        }
        URI proxy = ((Found) lookup).proxy();
        out.println("the proxy on this node: " + proxy);
        out.println(settings.caFile() == null
                ? "TLS: the proxy's certificate is not verified (this checks authentication and authorization; --ca-file verifies it)"
                : "TLS: the proxy's certificate chain is verified against " + settings.caFile()
                        + " (not its host name: a node's or pod's address is not in the chart's certificates)");

        // in order, and no further than the first wrong answer
        List<Supplier<Step>> steps = List.of(
                () -> awaitHealthz(proxyClient, proxy, token, settings, out),
                () -> new Step("GET /stats/summary with the test's token (no get nodes/stats)", 403,
                        get(proxyClient, proxy.resolve("/stats/summary"), token, REQUEST_TIMEOUT)),
                () -> new Step("GET /healthz without a token", settings.statusWithoutToken(),
                        get(proxyClient, proxy.resolve("/healthz"), null, REQUEST_TIMEOUT)));
        for (Supplier<Step> next : steps) {
            Step step = next.get();
            out.println(step.line());
            if (!step.passed()) {
                return FAILED;
            }
        }
        out.println("passed");
        return 0;
    }

    /** GET /healthz until it is allowed or the timeout passes; the last attempt is the step. */
    private static Step awaitHealthz(HttpClient client, URI proxy, String token, Settings settings, PrintStream out) {
        String what = "GET /healthz with the test's token (get nodes/healthz)";
        long deadline = System.nanoTime() + settings.timeout().toNanos();
        while (true) {
            // an attempt that hangs ends near the deadline too (at least a second, for a slow TLS handshake)
            Duration requestTimeout = Duration.ofNanos(Math.max(deadline - System.nanoTime(), Duration.ofSeconds(1).toNanos()));
            Step step = new Step(what, 200, get(client, proxy.resolve("/healthz"), token,
                    requestTimeout.compareTo(REQUEST_TIMEOUT) < 0 ? requestTimeout : REQUEST_TIMEOUT));
            long left = deadline - System.nanoTime();
            if (step.passed() || left <= settings.retryInterval().toNanos()) {
                return step;
            }
            out.println("not yet: " + what + ": got " + step.got().describe() + ", " + Duration.ofNanos(left).toSeconds() + " s left");
            try {
                Thread.sleep(settings.retryInterval().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return step;
            }
        }
    }

    /** The pod of the release on this node that is running and has an address, listed with the test's token. */
    static Lookup findPod(PodOnNode pod, int port, String token, Path apiServerCa) throws IOException, GeneralSecurityException {
        // the API server is verified (CA and host name): its answer says where the token is sent next
        HttpClient api = client(sslContext(new ReloadingTrustManager("API server", apiServerCa)));
        URI list = pod.apiServer().resolve("/api/v1/namespaces/" + pod.namespace() + "/pods?labelSelector="
                + URLEncoder.encode(pod.labelSelector(), StandardCharsets.UTF_8) + "&fieldSelector="
                + URLEncoder.encode("spec.nodeName=" + pod.nodeName(), StandardCharsets.UTF_8));
        String what = "listing the proxy's pods (" + pod.labelSelector() + ") in " + pod.namespace() + " on node " + pod.nodeName();
        Answer answer = get(api, list, token, REQUEST_TIMEOUT);
        if (answer.status() != 200) {
            return new NotFound(what + ": got " + answer.describe());
        }
        JsonNode items;
        try {
            items = JSON.readTree(answer.body()).path("items");
        } catch (JacksonException e) {
            return new NotFound(what + ": the answer is not JSON: " + answer.describe());
        }
        for (JsonNode item : items) {
            String ip = item.path("status").path("podIP").stringValue("");
            boolean running = item.path("status").path("phase").stringValue("").equals("Running");
            if (running && !ip.isEmpty() && item.path("metadata").path("deletionTimestamp").isMissingNode()) {
                return new Found(URI.create("https://" + hostPort(ip, String.valueOf(port))));
            }
        }
        return new NotFound(what + ": no running proxy pod with an address (" + items.size() + " listed)");
    }

    private static Answer get(HttpClient client, URI uri, String token, Duration timeout) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET().timeout(timeout);
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        // the request's own timeout ends at the headers; waiting for the future bounds the body too (a server that
        // stops sending would otherwise hold the test until helm gives up on it)
        CompletableFuture<HttpResponse<String>> response = client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
        try {
            HttpResponse<String> answer = response.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new Answer(answer.statusCode(), answer.body());
        } catch (ExecutionException e) {
            return Answer.none(e.getCause());
        } catch (TimeoutException e) {
            response.cancel(true);
            return new Answer(0, "no complete answer within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Answer.none(e);
        }
    }

    private static HttpClient client(SSLContext tls) {
        return HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    private static SSLContext sslContext(TrustManager trust) throws GeneralSecurityException {
        // the JDK's defaults: TLS 1.3 and 1.2 with signature_algorithms, whatever config.tls.minVersion says
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {trust}, null);
        return context;
    }

    /**
     * Trust toward the proxy: everything (no CA given), or a chain to the CA without the host-name check, which the
     * JDK would make from the address in the URL (an X509ExtendedTrustManager's own checks are all it does).
     */
    private static final class ProxyTrust extends X509ExtendedTrustManager {

        private final X509ExtendedTrustManager ca;

        ProxyTrust(X509ExtendedTrustManager ca) {
            this.ca = ca;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            if (ca != null) {
                ca.checkServerTrusted(chain, authType);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a client, not a server");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    private static int fail(PrintStream out, String message) {
        out.println("FAIL: " + message);
        return FAILED;
    }

    /** host:port for a URL, an IPv6 address in brackets. */
    private static String hostPort(String host, String port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    private static String required(Map<String, String> env, String name, String what) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("$" + name + " is not set (" + what + ")");
        }
        return value.strip();
    }

    private static String nonEmpty(String option, String value) {
        if (value.isBlank()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    private static int parsePort(String value) {
        try {
            int port = Integer.parseInt(value);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new IllegalArgumentException("--port takes a port number (1-65535), got '" + value + "'");
    }

    private static Duration parseDuration(String option, String value) {
        try {
            Duration duration = Duration.parse("PT" + value.toUpperCase(Locale.ROOT));
            if (!duration.isNegative() && !duration.isZero()) {
                return duration;
            }
        } catch (DateTimeParseException e) {
            // the message below
        }
        throw new IllegalArgumentException(option + " takes a duration such as 90s or 2m, got '" + value + "'");
    }
}
