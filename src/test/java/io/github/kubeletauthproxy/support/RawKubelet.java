package io.github.kubeletauthproxy.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLServerSocket;

/**
 * A kubelet stand-in at the byte level, for what the JDK's server would hide: it records each request head exactly as it
 * arrived (one character per byte) and answers by path. {@code /stream…} sends its head and a first chunk, then the
 * rest only once the test completes {@link #finishStream()}; {@code /hold…} sends its head and a first chunk and then
 * waits for the proxy to close the connection ({@link #closedByProxy()}); {@code /upload…} reports the request body's
 * first bytes as they arrive ({@link #uploadStarted()}) and answers once the body has ended; everything else gets
 * {@code ok} with hop-by-hop headers the proxy must not pass on. Connections are kept alive, as the kubelet's are.
 */
public final class RawKubelet implements AutoCloseable {

    /** The hop-by-hop response headers every ordinary answer carries (X-Hop because {@code Connection} names it). */
    public static final List<String> HOP_BY_HOP = List.of("Keep-Alive", "X-Hop", "Proxy-Authenticate",
            "X-Application-Context", "Trailer", "Upgrade");

    private final SSLServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<String> heads = new CopyOnWriteArrayList<>();
    private volatile CompletableFuture<Void> streamFinished = new CompletableFuture<>();
    private volatile CompletableFuture<Void> closedByProxy = new CompletableFuture<>();
    private volatile CompletableFuture<String> uploadStarted = new CompletableFuture<>();

    /** Serves a certificate {@code cluster} issued for 127.0.0.1 and requires client certificates from it. */
    public RawKubelet(TestPki cluster) {
        server = RawTlsServer.listen(cluster, threads, this::serve);
    }

    public String url() {
        return "https://127.0.0.1:" + server.getLocalPort();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Every request head received, in order, as its bytes arrived. */
    public List<String> heads() {
        return List.copyOf(heads);
    }

    /** Forgets what was received and arms the stream, hold and upload signals again. */
    public void clear() {
        heads.clear();
        streamFinished = new CompletableFuture<>();
        closedByProxy = new CompletableFuture<>();
        uploadStarted = new CompletableFuture<>();
    }

    /** Lets a {@code /stream} answer write its last chunk and end. */
    public void finishStream() {
        streamFinished.complete(null);
    }

    /** Completes when the proxy closed the connection of a {@code /hold} answer. */
    public CompletableFuture<Void> closedByProxy() {
        return closedByProxy;
    }

    /** Completes with the first body bytes of an {@code /upload} request, as soon as they arrive. */
    public CompletableFuture<String> uploadStarted() {
        return uploadStarted;
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            while (true) {
                String head = RawTlsServer.readHead(in);
                if (!head.endsWith("\r\n\r\n")) {
                    return;
                }
                heads.add(head);
                String target = head.substring(head.indexOf(' ') + 1, head.indexOf(" HTTP/1.1\r\n"));
                if (target.startsWith("/stream")) {
                    out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                            + "6\r\nfirst\n\r\n"));
                    out.flush();
                    streamFinished.get(30, TimeUnit.SECONDS);
                    out.write(ascii("5\r\nlast\n\r\n0\r\n\r\n"));
                    out.flush();
                } else if (target.startsWith("/hold")) {
                    out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                            + "6\r\nfirst\n\r\n"));
                    out.flush();
                    try {
                        while (in.read() >= 0) {
                            // nothing is expected before the close
                        }
                    } catch (IOException closed) {
                        // a reset is a close too
                    }
                    closedByProxy.complete(null);
                    return;
                } else if (target.startsWith("/upload")) {
                    readChunkedBody(in);
                    out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\nuploaded"));
                    out.flush();
                } else {
                    out.write(ascii("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
                            + "Connection: keep-alive, X-Hop\r\nKeep-Alive: timeout=90\r\nX-Hop: 1\r\n"
                            + "Proxy-Authenticate: Basic\r\nX-Application-Context: kubelet\r\nTrailer: X-Checksum\r\n"
                            + "Upgrade: h2c\r\nX-Kept: yes\r\n\r\nok"));
                    out.flush();
                }
            }
        } catch (Exception e) {
            // the proxy went away, or the test ended
        }
    }

    /** Reads a chunked body to its end, reporting its first bytes as soon as they are there. */
    private void readChunkedBody(InputStream in) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        while (true) {
            int size = Integer.parseInt(readLine(in).trim(), 16);
            byte[] chunk = in.readNBytes(size);
            readLine(in);
            if (size == 0) {
                return;
            }
            seen.write(chunk);
            uploadStarted.complete(seen.toString(StandardCharsets.ISO_8859_1));
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            line.write(b);
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }

    /** The value of the head's header {@code name}, or null. */
    public static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }
}
