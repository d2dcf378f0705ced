package io.github.kubeletauthproxy.settings;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/** A bad setting stops the process with a message that names the key. */
class ProxyPropertiesValidationTest {

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(ProxyProperties.class)
    static class Bind {
    }

    final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withUserConfiguration(Bind.class)
            .withPropertyValues(
                    "kubelet-auth-proxy.node-name=n", "kubelet-auth-proxy.listen.address=0.0.0.0",
                    "kubelet-auth-proxy.listen.port=10443", "kubelet-auth-proxy.listen.request-timeout=10s",
                    "kubelet-auth-proxy.listen.idle-timeout=90s", "kubelet-auth-proxy.listen.max-connections=10",
                    "kubelet-auth-proxy.listen.max-concurrent-streams=10", "kubelet-auth-proxy.listen.max-body-bytes=1024", "kubelet-auth-proxy.tls.cert-file=c",
                    "kubelet-auth-proxy.tls.key-file=k", "kubelet-auth-proxy.tls.min-version=TLSv1.2",
                    "kubelet-auth-proxy.tls.reload-interval=10s",
                    "kubelet-auth-proxy.authentication.token.success-ttl=2m",
                    "kubelet-auth-proxy.authentication.token.failure-ttl=2m",
                    "kubelet-auth-proxy.authentication.token.cache-size=10",
                    "kubelet-auth-proxy.authorization.forbidden-message=current",
                    "kubelet-auth-proxy.authorization.allow-ttl=5m", "kubelet-auth-proxy.authorization.deny-ttl=30s",
                    "kubelet-auth-proxy.authorization.cache-size=10",
                    "kubelet-auth-proxy.upstream.url=https://127.0.0.1:10250", "kubelet-auth-proxy.upstream.ca-file=ca",
                    "kubelet-auth-proxy.upstream.connect-timeout=5s",
                    "kubelet-auth-proxy.streams.max-concurrent=10", "kubelet-auth-proxy.streams.idle-timeout=4h",
                    "kubelet-auth-proxy.streams.max-lifetime=4h", "kubelet-auth-proxy.streams.shutdown-grace-period=30s",
                    "kubelet-auth-proxy.streams.max-error-body-bytes=65536",
                    "kubelet-auth-proxy.api-server.request-timeout=10s", "kubelet-auth-proxy.api-server.max-concurrent-calls=4",
                    "kubelet-auth-proxy.api-server.retries=1", "kubelet-auth-proxy.api-server.retry-initial-backoff=500ms",
                    "kubelet-auth-proxy.audit.output=stdout", "kubelet-auth-proxy.audit.queue-size=16",
                    "kubelet-auth-proxy.outage.serve-last-allow-for=10m", "kubelet-auth-proxy.outage.subresources=metrics,stats");

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "kubelet-auth-proxy.node-name|''|kubelet-auth-proxy.node-name",
            "kubelet-auth-proxy.listen.port|70000|kubelet-auth-proxy.listen.port",
            "kubelet-auth-proxy.tls.min-version|TLSv1.1|kubelet-auth-proxy.tls.min-version must be TLSv1.2 or TLSv1.3",
            "kubelet-auth-proxy.listen.address|' '|kubelet-auth-proxy.listen.address must not be blank",
            "kubelet-auth-proxy.listen.request-timeout|0s|kubelet-auth-proxy.listen.request-timeout must be positive",
            "kubelet-auth-proxy.listen.max-connections|0|kubelet-auth-proxy.listen.max-connections must be at least 1",
            "kubelet-auth-proxy.listen.max-body-bytes|0|kubelet-auth-proxy.listen.max-body-bytes must be at least 1",
            "kubelet-auth-proxy.tls.cert-file|''|kubelet-auth-proxy.tls.cert-file must not be blank",
            "kubelet-auth-proxy.authentication.token.cache-size|0|kubelet-auth-proxy.authentication.token.cache-size must be at least 1",
            "kubelet-auth-proxy.authorization.cache-size|-1|kubelet-auth-proxy.authorization.cache-size must be at least 1",
            "kubelet-auth-proxy.streams.max-error-body-bytes|10|kubelet-auth-proxy.streams.max-error-body-bytes must be at least 1024",
            "kubelet-auth-proxy.api-server.retries|11|kubelet-auth-proxy.api-server.retries must be between 0 and 10",
            "kubelet-auth-proxy.api-server.max-concurrent-calls|0|kubelet-auth-proxy.api-server.max-concurrent-calls must be at least 1",
            "kubelet-auth-proxy.api-server.request-timeout|0s|kubelet-auth-proxy.api-server.request-timeout must be positive",
            "kubelet-auth-proxy.upstream.url|http://127.0.0.1:10250|kubelet-auth-proxy.upstream.url",
            "kubelet-auth-proxy.upstream.ca-file|''|kubelet-auth-proxy.upstream.ca-file",
            "kubelet-auth-proxy.upstream.client-cert-file|/x.crt|kubelet-auth-proxy.upstream.client-key-file",
            "kubelet-auth-proxy.authorization.deny-ttl|-1s|kubelet-auth-proxy.authorization.deny-ttl",
            "kubelet-auth-proxy.authorization.forbidden-message|fancy|kubelet-auth-proxy.authorization.forbidden-message",
            "kubelet-auth-proxy.tls.reload-interval|0s|kubelet-auth-proxy.tls.reload-interval",
            "kubelet-auth-proxy.audit.output|file|kubelet-auth-proxy.audit.file must be set when kubelet-auth-proxy.audit.output is file",
            "kubelet-auth-proxy.audit.output|syslog|kubelet-auth-proxy.audit.output",
            "kubelet-auth-proxy.audit.queue-size|0|kubelet-auth-proxy.audit.queue-size must be at least 1",
            "kubelet-auth-proxy.outage.serve-last-allow-for|-1s|kubelet-auth-proxy.outage.serve-last-allow-for must not be negative",
            "kubelet-auth-proxy.outage.serve-last-allow-for|61m|kubelet-auth-proxy.outage.serve-last-allow-for must be at most PT1H",
            "kubelet-auth-proxy.outage.subresources|metrics,proxy|'kubelet-auth-proxy.outage.subresources: ''proxy'' cannot be served from a last allow (nodes/proxy opens exec'",
            "kubelet-auth-proxy.outage.subresources|checkpoint|'kubelet-auth-proxy.outage.subresources: ''checkpoint'' cannot be served'",
            "kubelet-auth-proxy.outage.subresources|pods|'kubelet-auth-proxy.outage.subresources: ''pods'' cannot be served'",
            "kubelet-auth-proxy.outage.subresources|''|kubelet-auth-proxy.outage.subresources must name at least one subresource"})
    void aBadValueFailsWithTheKeyInTheMessage(String key, String value, String named) {
        runner.withPropertyValues(key + "=" + value).run(context -> {
            assertThat(context).hasFailed();
            assertThat(messages(context.getStartupFailure())).contains(named);
        });
    }

    @ParameterizedTest
    @CsvSource({"kubelet-auth-proxy.listen.port,10443", "kubelet-auth-proxy.outage.subresources,log",
            "kubelet-auth-proxy.outage.serve-last-allow-for,0s",
            "kubelet-auth-proxy.outage.serve-last-allow-for,1h"})
    void theBaselineBinds(String key, String value) {
        runner.withPropertyValues(key + "=" + value).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(ProxyProperties.class).upstream().url().toString()).isEqualTo("https://127.0.0.1:10250");
        });
    }

    static String messages(Throwable failure) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        return all.toString();
    }
}
