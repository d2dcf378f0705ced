package io.github.kubeletauthproxy.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;

/**
 * An in-process HTTPS stand-in for a kubelet that requires a client certificate from its CA, records what
 * it receives, and serves a few endpoints: {@code /pods}, {@code /containerLogs/…} (lines written one by one
 * with pauses, as a log follow does), {@code /redirect} (a 302) and an echo for everything else.
 */
public final class FakeKubelet implements AutoCloseable {

    /** One request as the kubelet saw it. */
    public record Received(String method, String rawPath, String rawQuery, Map<String, List<String>> headers,
            String clientSubject) {
    }

    private final HttpsServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();

    /** Serves a certificate {@code cluster} issued for 127.0.0.1 and requires client certificates from it. */
    private static final String EMPTY_POD_LIST = "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"items\":[]}";

    private volatile String podList = EMPTY_POD_LIST;

    public FakeKubelet(TestPki cluster) {
        try {
            server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var context = cluster.sslContext(cluster.server("kubelet", List.of("127.0.0.1"), List.of("localhost")));
        server.setHttpsConfigurator(new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters parameters = context.getDefaultSSLParameters();
                parameters.setNeedClientAuth(true);
                params.setSSLParameters(parameters);
            }
        });
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", this::handle);
        server.start();
    }

    public String url() {
        return "https://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    public void clear() {
        received.clear();
        podList = EMPTY_POD_LIST;
    }

    /** What {@code GET /pods} answers until {@link #clear()}. */
    public void podList(String json) {
        podList = json;
    }

    private void handle(HttpExchange exchange) throws IOException {
        String subject = "";
        SSLSession session = ((HttpsExchange) exchange).getSSLSession();
        try {
            Certificate[] peer = session.getPeerCertificates();
            subject = ((java.security.cert.X509Certificate) peer[0]).getSubjectX500Principal().getName();
        } catch (Exception ignored) {
            // no client certificate
        }
        try (InputStream in = exchange.getRequestBody()) {
            in.readAllBytes();
        }
        var uri = exchange.getRequestURI();
        received.add(new Received(exchange.getRequestMethod(), uri.getRawPath(), uri.getRawQuery(),
                Map.copyOf(exchange.getRequestHeaders()), subject));
        String path = uri.getRawPath();
        if (path.equals("/pods")) {
            respond(exchange, 200, "application/json", podList);
        } else if (path.equals("/healthz")) {
            respond(exchange, 200, "text/plain", "ok");
        } else if (path.startsWith("/containerLogs/")) {
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 1; i <= 3; i++) {
                    out.write(("line " + i + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    sleep(700);
                }
            }
        } else if (path.equals("/redirect")) {
            exchange.getResponseHeaders().set("Location", "https://example.invalid/elsewhere");
            respond(exchange, 302, "text/plain", "moved");
        } else {
            respond(exchange, 200, "text/plain", "kubelet saw " + exchange.getRequestMethod() + " " + path);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
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
