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
    private final Path servingCa;
    private final int port;

    private ProxyUnderTest(ConfigurableApplicationContext context, Path servingCa) {
        this.context = context;
        this.servingCa = servingCa;
        this.port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    public static ProxyUnderTest start(LocalNode.Node node, Map<String, String> overrides) throws Exception {
        Path dir = Files.createTempDirectory("kap-e2e-proxy");
        TestPki serving = new TestPki("e2e-serving");
        TestPki.write(serving.server("kubelet-auth-proxy", List.of("127.0.0.1"), List.of("localhost")),
                dir.resolve("tls.crt"), dir.resolve("tls.key"));
        serving.writeCa(dir.resolve("ca.crt"));
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
                "--kubelet-auth-proxy.upstream.client-cert-file=" + node.file("PROXY_CLIENT_CERT_FILE"),
                "--kubelet-auth-proxy.upstream.client-key-file=" + node.file("PROXY_CLIENT_KEY_FILE"),
                "--kubelet-auth-proxy.api-server.kubeconfig=" + node.file("PROXY_KUBECONFIG"),
                "--management.server.port=" + managementPort,
                "--management.server.address=127.0.0.1"));
        overrides.forEach((key, value) -> args.add("--" + key + "=" + value));
        ConfigurableApplicationContext context = new SpringApplicationBuilder(KubeletAuthProxyApplication.class)
                .run(args.toArray(String[]::new));
        return new ProxyUnderTest(context, dir.resolve("ca.crt"));
    }

    public String url() {
        return "https://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** The CA that signed the proxy's serving certificate (clients trust it). */
    public Path servingCa() {
        return servingCa;
    }

    @Override
    public void close() {
        context.close();
    }
}
