package io.github.kubeletauthproxy.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay in front of the real API server that can hold its answers: while held, what the API server sends is
 * kept back (its calls look like an API server that stopped answering), and released it flows on. TLS passes through
 * untouched, so the proxy still verifies the API server's own certificate (its SANs include 127.0.0.1).
 */
final class ApiServerRelay implements AutoCloseable {

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Object gate = new Object();
    private boolean held;

    ApiServerRelay(InetSocketAddress target) throws IOException {
        this.target = target;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "api-server-relay");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A copy of {@code kubeconfig} whose server is this relay (same CA and client certificate files). */
    Path kubeconfig(Path kubeconfig, Path dir) throws IOException {
        String text = Files.readString(kubeconfig);
        String server = "server: https://" + target.getHostString() + ":" + target.getPort();
        if (!text.contains(server)) {
            throw new IllegalStateException(kubeconfig + " does not name " + server);
        }
        Path copy = dir.resolve("relayed.kubeconfig");
        Files.writeString(copy, text.replace(server, "server: https://127.0.0.1:" + listener.getLocalPort()));
        return copy;
    }

    void hold() {
        synchronized (gate) {
            held = true;
        }
    }

    void release() {
        synchronized (gate) {
            held = false;
            gate.notifyAll();
        }
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(target.getAddress(), target.getPort());
                sockets.add(client);
                sockets.add(server);
                pump(client, server, false);
                pump(server, client, true);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to, boolean answers) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    if (answers) {
                        awaitRelease();
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // either side closed: the other follows below
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "api-server-relay-" + (answers ? "answers" : "calls"));
        thread.setDaemon(true);
        thread.start();
    }

    private void awaitRelease() throws InterruptedException {
        synchronized (gate) {
            while (held) {
                gate.wait();
            }
        }
    }

    private static void closeQuietly(java.io.Closeable socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        release();
        closeQuietly(listener);
        sockets.forEach(ApiServerRelay::closeQuietly);
    }
}
