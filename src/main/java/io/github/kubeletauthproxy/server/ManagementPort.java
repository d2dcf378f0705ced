package io.github.kubeletauthproxy.server;

import java.net.InetSocketAddress;

import org.springframework.boot.web.server.reactive.context.ReactiveWebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.web.server.ServerWebExchange;

/**
 * Knows the port the separate management server (metrics, health) is bound to, so that the screen, the audit and
 * Spring Security leave requests to it alone: it carries no kubelet traffic. The bound port, not the configured one
 * (which may be 0); until the management server is bound, no request counts as one of its own. A request is told
 * apart by the port it arrived on, so the two servers must never share a port number: with port 0 on two different
 * addresses the system could hand both the same one, and the start is refused rather than let proxy traffic pass
 * as management traffic.
 */
public final class ManagementPort implements ApplicationListener<ReactiveWebServerInitializedEvent> {

    private static final String MANAGEMENT = "management";

    private volatile int port = -1;
    private volatile int proxyPort = -1;

    @Override
    public void onApplicationEvent(ReactiveWebServerInitializedEvent event) {
        int bound = event.getWebServer().getPort();
        if (MANAGEMENT.equals(event.getApplicationContext().getServerNamespace())) {
            port = bound;
        } else if (event.getApplicationContext().getServerNamespace() == null) {
            proxyPort = bound;
        }
        if (port >= 0 && port == proxyPort) {
            throw new IllegalStateException("the proxy's listener and the management server were both bound to port " + port
                    + " (on different addresses): requests would be told apart by port, so give them different ports");
        }
    }

    /** True for requests that arrived on the management server. */
    public boolean isManagementRequest(ServerWebExchange exchange) {
        InetSocketAddress local = exchange.getRequest().getLocalAddress();
        return local != null && local.getPort() == port;
    }
}
