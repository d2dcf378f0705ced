package io.github.kubeletauthproxy.server;

import java.net.InetSocketAddress;

import org.springframework.boot.web.server.reactive.context.ReactiveWebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.web.server.ServerWebExchange;

/**
 * Knows the port the separate management server (metrics, health) is bound to, so that the screen, the audit and
 * Spring Security leave requests to it alone: it carries no kubelet traffic. The bound port, not the configured one
 * (which may be 0); until the management server is bound, no request counts as one of its own.
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
