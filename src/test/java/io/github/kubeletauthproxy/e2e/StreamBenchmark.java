package io.github.kubeletauthproxy.e2e;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import javax.net.ssl.SSLContext;

import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Stream throughput through kubelet-auth-proxy versus straight to the kubelet, measured side by side in one run
 * on the real local node (run it with {@code scripts/bench-streams}). Rounds alternate direct and proxied so that
 * noise on a shared machine hits both; the medians and their ratio are printed. Not a test: numbers, no verdict.
 */
public final class StreamBenchmark {

    static final int ROUNDS = 3;
    static final int PORT_FORWARD_BYTES = 32 * 1024 * 1024;
    static final int LOG_BYTES = 64 * 1024 * 1024;

    public static void main(String[] args) throws Exception {
        Path repo = LocalNode.repositoryRoot();
        Map<String, String> env = LocalNode.readEnv(repo.resolve(".local-node/env"));
        KubernetesClient admin = KubernetesClients.create(env.get("KUBECONFIG"), config -> config);
        LocalNode.Node node = new LocalNode.Node(env, admin, new Identities(admin, env));
        String token = node.identities().serviceAccountToken("bench", List.of(),
                Identities.Grant.of("proxy", "get", "create"));
        node.identities().awaitGrants();
        try (ProxyUnderTest proxy = ProxyUnderTest.start(node, Map.of("kubelet-auth-proxy.audit.output", "none"))) {
            SSLContext toKubelet = Identities.sslContext(null, node.file("KUBELET_CA_FILE"));
            SSLContext toProxy = Identities.sslContext(null, proxy.servingCa());
            List<Double> forwardDirect = new ArrayList<>();
            List<Double> forwardProxy = new ArrayList<>();
            List<Double> logsDirect = new ArrayList<>();
            List<Double> logsProxy = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                forwardDirect.add(portForward(toKubelet, node.kubeletUrl(), token));
                forwardProxy.add(portForward(toProxy, proxy.url(), token));
                logsDirect.add(followLogs(toKubelet, node.kubeletUrl(), token));
                logsProxy.add(followLogs(toProxy, proxy.url(), token));
            }
            System.out.println();
            System.out.printf("stream throughput, MiB/s (median of %d alternating rounds; %d cores)%n", ROUNDS,
                    Runtime.getRuntime().availableProcessors());
            System.out.printf("%-46s %10s %10s %8s%n", "stream", "direct", "proxy", "ratio");
            print("port-forward echo, 32 MiB each way (WebSocket)", forwardDirect, forwardProxy);
            print("containerLogs?follow=true, 64 MiB", logsDirect, logsProxy);
            System.out.println("rounds direct/proxy: port-forward " + forwardDirect + " / " + forwardProxy
                    + "; logs " + logsDirect + " / " + logsProxy);
        } finally {
            admin.close();
        }
        System.exit(0);
    }

    static void print(String name, List<Double> direct, List<Double> proxy) {
        double d = median(direct);
        double p = median(proxy);
        System.out.printf("%-46s %10.1f %10.1f %8.2f%n", name, d, p, p / d);
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    /** Sends {@link #PORT_FORWARD_BYTES} to the pod's echo port and reads them back; MiB/s of the round trip. */
    static double portForward(SSLContext ssl, String base, String token) throws Exception {
        try (var socket = ChannelWebSocket.connect(ssl, base.replace("https://", "wss://") + "/portForward/default/logger?port=18081",
                "v4.channel.k8s.io", token)) {
            socket.next(Duration.ofSeconds(20));
            socket.next(Duration.ofSeconds(20));
            byte[] chunk = new byte[32 * 1024];
            new Random(1).nextBytes(chunk);
            long start = System.nanoTime();
            Thread writer = new Thread(() -> {
                try {
                    for (int sent = 0; sent < PORT_FORWARD_BYTES; sent += chunk.length) {
                        socket.send(0, chunk);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            writer.start();
            long received = 0;
            while (received < PORT_FORWARD_BYTES) {
                var message = socket.next(Duration.ofSeconds(60));
                if (message == null) {
                    throw new IllegalStateException("port-forward stalled after " + received + " bytes");
                }
                if (message.channel() == 0) {
                    received += message.payload().length;
                }
            }
            writer.join();
            return mibPerSecond(2L * PORT_FORWARD_BYTES, System.nanoTime() - start);
        }
    }

    /** Reads the first {@link #LOG_BYTES} of the bulk-log pod's followed log; MiB/s. */
    static double followLogs(SSLContext ssl, String base, String token) throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/containerLogs/default/bulk-log/bulk?follow=true"))
                .header("Authorization", "Bearer " + token).build();
        long start = System.nanoTime();
        HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("containerLogs answered " + response.statusCode());
        }
        try (InputStream in = response.body()) {
            byte[] buffer = new byte[64 * 1024];
            long read = 0;
            while (read < LOG_BYTES) {
                int n = in.read(buffer);
                if (n < 0) {
                    throw new IllegalStateException("log ended after " + read + " bytes");
                }
                read += n;
            }
        }
        return mibPerSecond(LOG_BYTES, System.nanoTime() - start);
    }

    static double mibPerSecond(long bytes, long nanos) {
        return bytes / (1024.0 * 1024.0) / (nanos / 1e9);
    }
}
