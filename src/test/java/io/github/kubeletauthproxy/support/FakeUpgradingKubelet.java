package io.github.kubeletauthproxy.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLServerSocket;

/**
 * A raw TLS stand-in for the kubelet's streaming endpoints: it records each request head, then answers
 * {@code 101 Switching Protocols} and echoes every byte back (or, for paths containing {@code burst}, sends 4 MiB and
 * closes at once) — or, for paths containing {@code refuse}, answers
 * {@code 400} with a body and keeps the connection open (as Go's server would) to see whether anything follows.
 */
public final class FakeUpgradingKubelet implements AutoCloseable {

    /** What a {@code burst} stream sends before it closes. */
    public static final int BURST_BYTES = 4 * 1024 * 1024;

    private final SSLServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<String> heads = new CopyOnWriteArrayList<>();
    private final List<byte[]> afterRefusal = new CopyOnWriteArrayList<>();
    private final AtomicInteger open = new AtomicInteger();
    private volatile CompletableFuture<Void> held = CompletableFuture.completedFuture(null);

    /** Serves a certificate {@code cluster} issued for 127.0.0.1 and requires client certificates from it. */
    public FakeUpgradingKubelet(TestPki cluster) {
        server = RawTlsServer.listen(cluster, threads, this::serve);
    }

    /** Connections from the proxy that are open now. */
    public int openConnections() {
        return open.get();
    }

    /**
     * From now on, upgrades to a path containing {@code held} get their 101 only once the returned future is completed
     * (as a kubelet slow to start a container would answer late).
     */
    public CompletableFuture<Void> holdAnswers() {
        held = new CompletableFuture<>();
        return held;
    }

    public String url() {
        return "https://127.0.0.1:" + server.getLocalPort();
    }

    public List<String> heads() {
        return List.copyOf(heads);
    }

    /** Bytes that arrived on a connection after a refused upgrade (must stay empty). */
    public List<byte[]> afterRefusal() {
        return List.copyOf(afterRefusal);
    }

    private void serve(Socket socket) {
        open.incrementAndGet();
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            String head = RawTlsServer.readHead(in);
            heads.add(head);
            String requestLine = head.substring(0, head.indexOf("\r\n"));
            if (requestLine.contains("oversize")) {
                // a refusal whose body is larger than the proxy passes back (its default limit is 1 MiB)
                byte[] body = new byte[2 * 1024 * 1024];
                Arrays.fill(body, (byte) 'e');
                out.write(("HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: " + body.length
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                return;
            }
            if (requestLine.contains("refuse")) {
                byte[] body = "upgrade refused by the kubelet".getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: " + body.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                socket.setSoTimeout(3000);
                ByteArrayOutputStream more = new ByteArrayOutputStream();
                try {
                    int b;
                    while ((b = in.read()) >= 0) {
                        more.write(b);
                    }
                } catch (IOException timeout) {
                    // nothing more came
                }
                if (more.size() > 0) {
                    afterRefusal.add(more.toByteArray());
                }
                return;
            }
            if (requestLine.contains("held")) {
                held.get(30, TimeUnit.SECONDS);
            }
            String protocol = head.toLowerCase().contains("upgrade: websocket") ? "websocket" : "SPDY/3.1";
            out.write(("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + protocol
                    + "\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            if (requestLine.contains("burst")) {
                // a last burst and an immediate close, as a command that prints a lot and exits
                byte[] burst = new byte[BURST_BYTES];
                Arrays.fill(burst, (byte) 'x');
                out.write(burst);
                out.flush();
                return;
            }
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // the peer went away
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            // never released: the connection is closed below
        } finally {
            open.decrementAndGet();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
