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

    private final ConfigurableApplicationContext context;
    private final Path dir;
    private final TestPki serving;
    private final int port;
    private final int managementPort;

    private ProxyUnderTest(ConfigurableApplicationContext context, Path dir, TestPki serving, int managementPort) {
        this.context = context;
        this.dir = dir;
        this.serving = serving;
        this.port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
        this.managementPort = managementPort;
    }

    public static ProxyUnderTest start(LocalNode.Node node, Map<String, String> overrides) throws Exception {
        Path dir = Files.createTempDirectory("kap-e2e-proxy");
        TestPki serving = new TestPki("e2e-serving");
        TestPki.write(serving.server("kubelet-auth-proxy", List.of("127.0.0.1"), List.of("localhost")),
                dir.resolve("tls.crt"), dir.resolve("tls.key"));
        serving.writeCa(dir.resolve("ca.crt"));
        // copies, so that a test can rotate them without touching the node's own files
        Files.copy(node.file("PROXY_CLIENT_CERT_FILE"), dir.resolve("upstream.crt"));
        Files.copy(node.file("PROXY_CLIENT_KEY_FILE"), dir.resolve("upstream.key"));
        int managementPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            managementPort = socket.getLocalPort();
        }
        List<String> args = new ArrayList<>(List.of(
                "--kubelet-auth-proxy.node-name=" + node.nodeName(),
                "--kubelet-auth-proxy.listen.address=127.0.0.1",
                "--kubelet-auth-proxy.listen.port=0",
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
        overrides.forEach((key, value) -> args.add("--" + key + "=" + value));
        ConfigurableApplicationContext context = new SpringApplicationBuilder(KubeletAuthProxyApplication.class)
                .run(args.toArray(String[]::new));
        return new ProxyUnderTest(context, dir, serving, managementPort);
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
        context.close();
    }
}
