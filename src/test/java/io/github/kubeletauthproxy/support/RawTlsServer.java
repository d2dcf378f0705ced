package io.github.kubeletauthproxy.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

import javax.net.ssl.SSLServerSocket;

/** What the byte-level kubelet stand-ins share: a loopback TLS listener that requires client certificates, and heads. */
final class RawTlsServer {

    private RawTlsServer() {
    }

    /**
     * Listens on loopback with a certificate {@code cluster} issued for 127.0.0.1, requiring client certificates from
     * it, and serves each accepted connection on {@code threads} until the listener is closed.
     */
    static SSLServerSocket listen(TestPki cluster, ExecutorService threads, Consumer<Socket> serve) {
        SSLServerSocket server;
        try {
            server = (SSLServerSocket) cluster.sslContext(cluster.server("kubelet", List.of("127.0.0.1"), List.of()))
                    .getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setNeedClientAuth(true);
        threads.submit(() -> {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    threads.submit(() -> serve.accept(socket));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return server;
    }

    /** A request head up to and including its empty line, one character per byte; what arrived if the peer closed first. */
    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while (matched < 4 && (b = in.read()) >= 0) {
            head.write(b);
            matched = (b == '\r' || b == '\n') && "\r\n\r\n".charAt(matched) == b ? matched + 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
