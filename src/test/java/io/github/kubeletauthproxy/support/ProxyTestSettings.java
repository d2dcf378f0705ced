package io.github.kubeletauthproxy.support;

import java.nio.file.Path;
import java.util.function.Supplier;

import org.springframework.test.context.DynamicPropertyRegistry;

/** The settings every component test gives the proxy: loopback listener, its certificate, the stand-ins it talks to. */
public final class ProxyTestSettings {

    private ProxyTestSettings() {
    }

    public static void register(DynamicPropertyRegistry registry, String nodeName, Path tlsCert, Path tlsKey,
            Supplier<Object> upstreamUrl, Path upstreamCa, String kubeconfig) {
        registry.add("kubelet-auth-proxy.node-name", () -> nodeName);
        registry.add("kubelet-auth-proxy.listen.address", () -> "127.0.0.1");
        registry.add("kubelet-auth-proxy.tls.cert-file", tlsCert::toString);
        registry.add("kubelet-auth-proxy.tls.key-file", tlsKey::toString);
        registry.add("kubelet-auth-proxy.upstream.url", upstreamUrl);
        registry.add("kubelet-auth-proxy.upstream.ca-file", upstreamCa::toString);
        registry.add("kubelet-auth-proxy.api-server.kubeconfig", () -> kubeconfig);
    }
}
