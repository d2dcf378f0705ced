package io.github.kubeletauthproxy.server;

import java.net.InetSocketAddress;

import org.springframework.boot.web.server.reactive.context.ReactiveWebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.web.server.ServerWebExchange;

/**
 * Knows the port of the separate management server (metrics, health) once it is bound, so that the proxy's
 * own filters and TLS setup leave that server alone: it carries no kubelet traffic.
 */
public final class ManagementPort implements ApplicationListener<ReactiveWebServerInitializedEvent> {

    private volatile int port = -1;

    @Override
    public void onApplicationEvent(ReactiveWebServerInitializedEvent event) {
        if ("management".equals(event.getApplicationContext().getServerNamespace())) {
            port = event.getWebServer().getPort();
        }
    }

    /** True for requests that arrived on the management server. */
    public boolean isManagementRequest(ServerWebExchange exchange) {
        InetSocketAddress local = exchange.getRequest().getLocalAddress();
        return local != null && local.getPort() == port;
    }
}
