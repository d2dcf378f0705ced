package io.github.kubeletauthproxy.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import com.github.benmanes.caffeine.cache.Ticker;
import io.github.kubeletauthproxy.KubeletAuthProxyApplication;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The proxy, started as the application for one test class (register it as a static {@code @RegisterExtension}
 * field), between the test and in-process stand-ins: a fake API server it owns and the kubelet the test names. Both
 * listeners bind port 0 on loopback and are read once bound, so no port is guessed in advance (a probed free port
 * can be taken by anything else on the machine before the proxy binds it).
 */
public final class RunningProxy implements BeforeAllCallback, AfterAllCallback {

    private static final String HOST = "127.0.0.1";

    private final TestPki serving = new TestPki("serving");
    private final TestPki cluster;
    private final Path dir;
    private final FakeApiServer api;
    private final Map<String, Object> settings = new LinkedHashMap<>();
    private Ticker ticker;
    private ConfigurableApplicationContext application;
    private int port;
    private int managementPort;

    /**
     * A proxy for node {@code nodeName} in front of the kubelet at {@code kubeletUrl}, which trusts {@code cluster}: the
     * proxy verifies the kubelet against that CA and presents a client certificate it issued.
     */
    public RunningProxy(String nodeName, TestPki cluster, String kubeletUrl) {
        this.cluster = cluster;
        try {
            dir = Files.createTempDirectory("kap-proxy");
            api = new FakeApiServer();
            TestPki.write(serving.server("proxy", List.of(HOST), List.of("localhost")), file("serving.crt"), file("serving.key"));
            TestPki.write(cluster.client("kubelet-auth-proxy", List.of()), file("upstream.crt"), file("upstream.key"));
            cluster.writeCa(file("cluster-ca.crt"));
            with("kubelet-auth-proxy.api-server.kubeconfig", api.writeKubeconfig(dir));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        with("kubelet-auth-proxy.node-name", nodeName);
        with("kubelet-auth-proxy.listen.address", HOST);
        with("kubelet-auth-proxy.listen.port", 0);
        with("kubelet-auth-proxy.tls.cert-file", file("serving.crt"));
        with("kubelet-auth-proxy.tls.key-file", file("serving.key"));
        with("kubelet-auth-proxy.upstream.url", kubeletUrl);
        with("kubelet-auth-proxy.upstream.ca-file", file("cluster-ca.crt"));
        with("kubelet-auth-proxy.upstream.client-cert-file", file("upstream.crt"));
        with("kubelet-auth-proxy.upstream.client-key-file", file("upstream.key"));
        with("management.server.address", HOST);
        with("management.server.port", 0);
    }

    /** One more setting, or another value for one this fixture sets; before the proxy starts. */
    public RunningProxy with(String key, Object value) {
        settings.put(key, value);
        return this;
    }

    /** The clock of the proxy's caches and outage memory, moved by the test instead of by time. */
    public RunningProxy withTicker(Ticker ticker) {
        this.ticker = ticker;
        return this;
    }

    /** Client certificates from the cluster's CA authenticate users, as on a kubelet. */
    public RunningProxy acceptingClusterClientCertificates() {
        return with("kubelet-auth-proxy.tls.client-ca-file", file("cluster-ca.crt"));
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        SpringApplicationBuilder builder = new SpringApplicationBuilder(KubeletAuthProxyApplication.class);
        if (ticker != null) {
            builder.initializers(application -> application.getBeanFactory().registerSingleton("ticker", ticker));
        }
        application = builder
                .run(settings.entrySet().stream().map(setting -> "--" + setting.getKey() + "=" + setting.getValue())
                        .toArray(String[]::new));
        port = application.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
        managementPort = application.getEnvironment().getRequiredProperty("local.management.port", Integer.class);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (application != null) { // null when the start failed: that failure is the one to report
            application.close();
        }
        api.close();
    }

    public FakeApiServer api() {
        return api;
    }

    /** The bound port of the proxy's (TLS) listener. */
    public int port() {
        return port;
    }

    /** The bound port of the management (plain HTTP) server. */
    public int managementPort() {
        return managementPort;
    }

    public String url() {
        return "https://" + HOST + ":" + port;
    }

    /** Trusts the proxy's serving certificate and presents none. */
    public SSLContext clientTls() {
        return serving.sslContext(null);
    }

    public ProxyClient client() {
        return client(HttpClient.Version.HTTP_1_1);
    }

    public ProxyClient client(HttpClient.Version version) {
        return new ProxyClient(clientTls(), url(), version);
    }

    /** A client presenting {@code identity}, a certificate the cluster's CA issued. */
    public ProxyClient client(TestPki.Issued identity) {
        return new ProxyClient(cluster.sslContext(identity, serving), url(), HttpClient.Version.HTTP_1_1);
    }

    /** A TLS connection to the proxy's listener, for requests a client would not send as written. */
    public SSLSocket openTls() throws IOException {
        return (SSLSocket) clientTls().getSocketFactory().createSocket(HOST, port);
    }

    /** A GET on the management server, in plain HTTP. */
    public HttpResponse<String> management(String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + managementPort + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Replaces the serving certificate on disk as a rotation does: key first, then certificate, each by a move. */
    public void rotateServingCertificate(String commonName) throws IOException {
        TestPki.write(serving.server(commonName, List.of(HOST), List.of("localhost")), file("serving.crt.new"),
                file("serving.key.new"));
        Files.move(file("serving.key.new"), file("serving.key"), StandardCopyOption.REPLACE_EXISTING);
        Files.move(file("serving.crt.new"), file("serving.crt"), StandardCopyOption.REPLACE_EXISTING);
    }

    private Path file(String name) {
        return dir.resolve(name);
    }

    /**
     * What the proxy sent on a raw connection before it closed it (a reset counts as closed); a read timeout, the
     * connection left open, fails the test.
     */
    public static String readUntilClosed(InputStream in) throws IOException {
        StringBuilder read = new StringBuilder();
        try {
            int b;
            while ((b = in.read()) >= 0) {
                read.append((char) b);
            }
        } catch (SocketTimeoutException stillOpen) {
            throw new AssertionError("the proxy left the connection open; it sent: " + read, stillOpen);
        } catch (SocketException reset) {
            // closed with a reset: nothing more was sent
        }
        return read.toString();
    }
}
