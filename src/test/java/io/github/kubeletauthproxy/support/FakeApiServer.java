package io.github.kubeletauthproxy.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * An in-process stand-in for the API server's TokenReview and SubjectAccessReview endpoints (plain HTTP on
 * loopback), with a programmable token table and policy, call counters, a delay and a failure switch.
 * For unit and component tests only; the e2e suite uses a real kube-apiserver.
 */
public final class FakeApiServer implements AutoCloseable {

    /** A user a token stands for. */
    public record User(String name, List<String> groups, List<String> audiences) {
    }

    /** One SAR's resource attributes as received, and whether the answer allowed it. */
    public record Review(String user, List<String> groups, String verb, String subresource, String name, String namespace,
            String group, String version, String resource, boolean allowed) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The token of the kubeconfig {@link #writeKubeconfig} writes, the only one the fake accepts from the proxy. */
    public static final String PROXY_TOKEN = "proxy-token";

    private final HttpServer server;
    private final Map<String, User> tokens = new ConcurrentHashMap<>();
    private final Map<String, Boolean> grants = new ConcurrentHashMap<>();
    private final List<Review> reviews = new CopyOnWriteArrayList<>();
    private final AtomicInteger tokenReviews = new AtomicInteger();
    private final AtomicInteger sars = new AtomicInteger();
    private volatile int failWithStatus;
    private volatile long delayMillis;
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private final AtomicInteger held = new AtomicInteger();

    public FakeApiServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/apis/authentication.k8s.io/v1/tokenreviews", this::tokenReview);
        server.createContext("/apis/authorization.k8s.io/v1/subjectaccessreviews", this::subjectAccessReview);
        server.createContext("/version", exchange -> respond(exchange, 200,
                "{\"major\":\"1\",\"minor\":\"34\",\"gitVersion\":\"v1.34.0-fake\"}"));
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Writes a kubeconfig that points the proxy at this server. */
    public Path writeKubeconfig(Path dir) throws IOException {
        Path file = dir.resolve("kubeconfig");
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: fake
                  cluster:
                    server: %s
                users:
                - name: proxy
                  user:
                    token: %s
                contexts:
                - name: fake
                  context:
                    cluster: fake
                    user: proxy
                current-context: fake
                """.formatted(url(), PROXY_TOKEN));
        return file;
    }

    public void addToken(String token, String user, List<String> groups, List<String> audiences) {
        tokens.put(token, new User(user, groups, audiences));
    }

    /** Allows {@code user} (or a group) {@code verb nodes/subresource}. */
    /** Allows {@code verb nodes/subresource} to a user or group. */
    public void grant(String subject, String verb, String subresource) {
        grants.put(grantKey(subject, verb, "", "nodes", subresource), true);
    }

    /** Withdraws what {@link #grant} allowed. */
    public void revoke(String subject, String verb, String subresource) {
        grants.remove(grantKey(subject, verb, "", "nodes", subresource));
    }

    /** Allows {@code verb resource/subresource} in {@code namespace} ({@code subresource} empty for the resource). */
    public void grantIn(String namespace, String subject, String verb, String resource, String subresource) {
        grants.put(grantKey(subject, verb, namespace, resource, subresource), true);
    }

    private static String grantKey(String subject, String verb, String namespace, String resource, String subresource) {
        return subject + "|" + verb + "|" + namespace + "|" + resource + "|" + subresource;
    }

    public void failWith(int status) {
        this.failWithStatus = status;
    }

    public void delay(long millis) {
        this.delayMillis = millis;
    }

    /** From now on every review waits at the fake until {@link #release()}: an API server that does not answer. */
    public void hold() {
        gate = new CountDownLatch(1);
    }

    /** Lets every held and later review be answered. */
    public void release() {
        gate.countDown();
    }

    /** How many reviews wait at the fake right now. */
    public int held() {
        return held.get();
    }

    public int tokenReviewCount() {
        return tokenReviews.get();
    }

    public int sarCount() {
        return sars.get();
    }

    public List<Review> reviews() {
        return List.copyOf(reviews);
    }

    public void resetCounts() {
        tokenReviews.set(0);
        sars.set(0);
        reviews.clear();
    }

    private void tokenReview(HttpExchange exchange) throws IOException {
        JsonNode request = read(exchange);
        tokenReviews.incrementAndGet();
        if (pauseOrFail(exchange)) {
            return;
        }
        ObjectNode answer = ((ObjectNode) request).deepCopy();
        ObjectNode status = answer.putObject("status");
        User user = tokens.get(request.path("spec").path("token").asText());
        List<String> wanted = JSON.convertValue(request.path("spec").path("audiences"),
                JSON.getTypeFactory().constructCollectionType(List.class, String.class));
        if (user == null) {
            status.put("authenticated", false).put("error", "invalid bearer token");
        } else if (wanted != null && !wanted.isEmpty() && wanted.stream().noneMatch(user.audiences()::contains)) {
            status.put("authenticated", false).put("error", "token audiences do not match");
        } else {
            status.put("authenticated", true);
            ObjectNode u = status.putObject("user");
            u.put("username", user.name()).put("uid", "uid-" + user.name());
            var groups = u.putArray("groups");
            user.groups().forEach(groups::add);
            var audiences = status.putArray("audiences");
            (wanted == null || wanted.isEmpty() ? user.audiences() : wanted).forEach(audiences::add);
        }
        respond(exchange, 201, JSON.writeValueAsString(answer));
    }

    private void subjectAccessReview(HttpExchange exchange) throws IOException {
        JsonNode request = read(exchange);
        sars.incrementAndGet();
        JsonNode spec = request.path("spec");
        JsonNode attributes = spec.path("resourceAttributes");
        List<String> groups = JSON.convertValue(spec.path("groups"),
                JSON.getTypeFactory().constructCollectionType(List.class, String.class));
        groups = groups == null ? List.of() : groups;
        String verb = attributes.path("verb").asText();
        String subresource = attributes.path("subresource").asText();
        String namespace = attributes.path("namespace").asText();
        String resource = attributes.path("resource").asText();
        boolean allowed = grants.containsKey(grantKey(spec.path("user").asText(), verb, namespace, resource, subresource))
                || groups.stream().anyMatch(group -> grants.containsKey(grantKey(group, verb, namespace, resource, subresource)));
        boolean failed = pauseOrFail(exchange);
        reviews.add(new Review(spec.path("user").asText(), groups, verb, subresource, attributes.path("name").asText(),
                attributes.path("namespace").asText(null), attributes.path("group").asText(null),
                attributes.path("version").asText(), attributes.path("resource").asText(), allowed && !failed));
        if (failed) {
            return;
        }
        ObjectNode answer = ((ObjectNode) request).deepCopy();
        answer.putObject("status").put("allowed", allowed).put("reason", allowed ? "granted by test" : "");
        respond(exchange, 201, JSON.writeValueAsString(answer));
    }

    private boolean pauseOrFail(HttpExchange exchange) throws IOException {
        // the proxy must send the kubeconfig's credential, as a real API server would insist
        if (!("Bearer " + PROXY_TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            respond(exchange, 401, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                    + "\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}");
            return true;
        }
        CountDownLatch waitFor = gate;
        if (waitFor.getCount() > 0) {
            held.incrementAndGet();
            try {
                waitFor.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                held.decrementAndGet();
            }
        }
        if (delayMillis > 0) {
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (failWithStatus > 0) {
            respond(exchange, failWithStatus, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":"
                    + failWithStatus + "}");
            return true;
        }
        return false;
    }

    private static JsonNode read(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            return JSON.readTree(in);
        }
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
