package io.github.kubeletauthproxy.server;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.reactive.context.ReactiveWebServerApplicationContext;
import org.springframework.boot.web.server.reactive.context.ReactiveWebServerInitializedEvent;

class ManagementPortTest {

    static ReactiveWebServerInitializedEvent bound(String namespace, int port) {
        ReactiveWebServerApplicationContext context = new ReactiveWebServerApplicationContext();
        context.setServerNamespace(namespace);
        WebServer server = new WebServer() {
            @Override
            public void start() {
            }

            @Override
            public void stop() {
            }

            @Override
            public int getPort() {
                return port;
            }
        };
        return new ReactiveWebServerInitializedEvent(server, context);
    }

    @Test
    void twoServersOnOnePortNumberRefuseToStartWhicheverIsBoundFirst() {
        ManagementPort proxyFirst = new ManagementPort();
        proxyFirst.onApplicationEvent(bound(null, 41000));
        assertThatThrownBy(() -> proxyFirst.onApplicationEvent(bound("management", 41000)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("both bound to port 41000");

        ManagementPort managementFirst = new ManagementPort();
        managementFirst.onApplicationEvent(bound("management", 41000));
        assertThatThrownBy(() -> managementFirst.onApplicationEvent(bound(null, 41000)))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void distinctPortsStart() {
        ManagementPort ports = new ManagementPort();
        assertThatCode(() -> {
            ports.onApplicationEvent(bound(null, 41000));
            ports.onApplicationEvent(bound("management", 41001));
        }).doesNotThrowAnyException();
    }
}
