package io.github.kubeletauthproxy.e2e;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.github.kubeletauthproxy.KubeletAuthProxyApplication;
import io.github.kubeletauthproxy.support.TestPki;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** The proxy started in-process in front of the real local kubelet, with its own serving certificate. */
public final class ProxyUnderTest implements AutoCloseable {

    private final AutoCloseable running;
    private final Path dir;
    private final TestPki serving;
    private final int port;
    private final int managementPort;
    private final long pid;

    private ProxyUnderTest(AutoCloseable running, Path dir, TestPki serving, int port, int managementPort, long pid) {
        this.running = running;
        this.dir = dir;
        this.serving = serving;
        this.port = port;
        this.managementPort = managementPort;
        this.pid = pid;
    }

    public static ProxyUnderTest start(LocalNode.Node node, Map<String, String> overrides) throws Exception {
        Path dir = Files.createTempDirectory("kap-e2e-proxy");
        TestPki serving = new TestPki("e2e-serving");
        int managementPort = freePort();
        List<String> args = arguments(node, dir, serving, 0, managementPort, overrides);
        ConfigurableApplicationContext context = new SpringApplicationBuilder(KubeletAuthProxyApplication.class)
                .run(args.toArray(String[]::new));
        int port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
        return new ProxyUnderTest(context::close, dir, serving, port, managementPort, -1);
    }

    /**
     * The proxy as its own process, started as the image starts it (the packaged jar, src/main/jvm/jvm.options, the
     * chart's heap share of a {@code memoryLimit} container), so that its memory, threads and files are its own.
     * Returns once readiness is UP.
     */
    public static ProxyUnderTest startProcess(LocalNode.Node node, String memoryLimit, Map<String, String> overrides)
            throws Exception {
        Path dir = Files.createTempDirectory("kap-e2e-proxy-process");
        TestPki serving = new TestPki("e2e-serving");
        int port = freePort();
        int managementPort = freePort();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@src/main/jvm/jvm.options", "-XX:MaxRAM=" + memoryLimit, "-XX:MaxRAMPercentage=25",
                "-XX:MinRAMPercentage=25", "-XX:InitialRAMPercentage=5", "-jar", "target/kubelet-auth-proxy.jar"));
        command.addAll(arguments(node, dir, serving, port, managementPort, overrides));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("proxy.log").toFile());
        builder.environment().put("MALLOC_ARENA_MAX", "2");
        Process process = builder.start();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(120).toNanos();
        while (true) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IllegalStateException("the proxy process did not become ready: " + Files.readString(dir.resolve("proxy.log")));
            }
            try {
                var ready = http.send(java.net.http.HttpRequest.newBuilder(
                                java.net.URI.create("http://127.0.0.1:" + managementPort + "/actuator/health/readiness")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                if (ready.statusCode() == 200) {
                    break;
                }
            } catch (java.io.IOException notYetListening) {
                // still starting
            }
            Thread.sleep(100);
        }
        AutoCloseable stop = () -> {
            process.destroy();
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        };
        return new ProxyUnderTest(stop, dir, serving, port, managementPort, process.pid());
    }

    /** The proxy's process id when it runs as its own process; -1 in-process. */
    public long pid() {
        return pid;
    }

    /** Where a proxy process writes its output (empty file in-process). */
    public Path log() {
        return dir.resolve("proxy.log");
    }

    /**
     * The proxy's command line in front of the node's kubelet, with its files written to {@code dir}: a serving
     * certificate from {@code serving} for 127.0.0.1, and copies of the node's proxy client certificate (so that a test
     * can rotate them without touching the node's own files).
     */
    static List<String> arguments(LocalNode.Node node, Path dir, TestPki serving, int port, int managementPort,
            Map<String, String> overrides) throws Exception {
        TestPki.write(serving.server("kubelet-auth-proxy", List.of("127.0.0.1"), List.of("localhost")),
                dir.resolve("tls.crt"), dir.resolve("tls.key"));
        serving.writeCa(dir.resolve("ca.crt"));
        Files.copy(node.file("PROXY_CLIENT_CERT_FILE"), dir.resolve("upstream.crt"));
        Files.copy(node.file("PROXY_CLIENT_KEY_FILE"), dir.resolve("upstream.key"));
        List<String> args = new ArrayList<>(List.of(
                "--kubelet-auth-proxy.node-name=" + node.nodeName(),
                "--kubelet-auth-proxy.listen.address=127.0.0.1",
                "--kubelet-auth-proxy.listen.port=" + port,
                "--kubelet-auth-proxy.tls.cert-file=" + dir.resolve("tls.crt"),
                "--kubelet-auth-proxy.tls.key-file=" + dir.resolve("tls.key"),
                "--kubelet-auth-proxy.tls.client-ca-file=" + node.file("CLUSTER_CA_FILE"),
                "--kubelet-auth-proxy.upstream.url=" + node.kubeletUrl(),
                "--kubelet-auth-proxy.upstream.ca-file=" + node.file("KUBELET_CA_FILE"),
                "--kubelet-auth-proxy.upstream.client-cert-file=" + dir.resolve("upstream.crt"),
                "--kubelet-auth-proxy.upstream.client-key-file=" + dir.resolve("upstream.key"),
                "--kubelet-auth-proxy.api-server.kubeconfig=" + node.file("PROXY_KUBECONFIG"),
                "--management.server.port=" + managementPort,
                "--management.server.address=127.0.0.1"));
        // an override replaces the default of the same key: Spring would join two values of one key with a comma
        overrides.forEach((key, value) -> {
            args.removeIf(arg -> arg.startsWith("--" + key + "="));
            args.add("--" + key + "=" + value);
        });
        return args;
    }

    static int freePort() throws java.io.IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    public String url() {
        return "https://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** The CA that signed the proxy's serving certificate (clients trust it). */
    public Path servingCa() {
        return dir.resolve("ca.crt");
    }

    public String managementUrl() {
        return "http://127.0.0.1:" + managementPort;
    }

    /** A client that trusts the proxy's serving certificate. */
    public java.net.http.HttpClient client() {
        return java.net.http.HttpClient.newBuilder().sslContext(Identities.sslContext(null, servingCa()))
                .connectTimeout(java.time.Duration.ofSeconds(5)).build();
    }

    /** The proxy's Prometheus exposition, from its management port. */
    public String metrics() throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(managementUrl() + "/actuator/prometheus")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The sum of a Prometheus metric's samples whose labels contain every one of {@code labelFilters}. */
    public static double metric(String exposition, String name, String... labelFilters) {
        double sum = 0;
        for (String line : exposition.split("\n")) {
            if ((line.startsWith(name + "{") || line.startsWith(name + " "))
                    && java.util.Arrays.stream(labelFilters).allMatch(line::contains)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** Replaces the serving certificate on disk (key first, then certificate, each by an atomic move). */
    public void rotateServingCertificate(String commonName) throws Exception {
        TestPki.Issued next = serving.server(commonName, List.of("127.0.0.1"), List.of("localhost"));
        replace(next.certificate(), next.keys().getPrivate(), "tls");
    }

    /** Replaces the proxy's client certificate toward the kubelet with a new one for the same user. */
    public void rotateUpstreamCertificate(java.security.cert.X509Certificate certificate, java.security.PrivateKey key)
            throws Exception {
        replace(certificate, key, "upstream");
    }

    private void replace(java.security.cert.X509Certificate certificate, java.security.PrivateKey key, String base)
            throws Exception {
        Path cert = dir.resolve(base + ".crt.next");
        Path privateKey = dir.resolve(base + ".key.next");
        Files.writeString(cert, TestPki.pem(certificate));
        Files.writeString(privateKey, TestPki.pkcs8(key));
        Files.move(privateKey, dir.resolve(base + ".key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Files.move(cert, dir.resolve(base + ".crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public void close() {
        try {
            running.close();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the proxy: " + e.getMessage(), e);
        }
    }
}
