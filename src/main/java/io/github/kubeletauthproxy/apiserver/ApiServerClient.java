package io.github.kubeletauthproxy.apiserver;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Supplier;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.github.kubeletauthproxy.tls.ReloadingKeyManager;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.internal.shaded.reactor.pool.PoolAcquirePendingLimitException;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The proxy's few calls to the API server (create a TokenReview or SubjectAccessReview, read /version), made
 * without blocking on Reactor Netty's event loops, the ones the proxy already runs. At most
 * {@code maxConnections} calls are in flight; up to {@code maxWaiting} more wait for a connection, and beyond them a
 * call fails at once with {@link ApiServerBusyException}: a slow API server must not gather an unbounded queue of
 * requests in the proxy. Any answer other than 2xx fails with {@link ApiServerException} carrying the HTTP code and
 * the API server's message.
 */
public final class ApiServerClient implements AutoCloseable {

    /** JSON for the review records: absent fields are left out, unknown ones ignored (the API server adds fields). */
    public static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .changeDefaultPropertyInclusion(inclusion -> inclusion
                    .withValueInclusion(JsonInclude.Include.NON_NULL))
            .build();

    private final HttpClient http;
    private final ConnectionProvider connections;
    private final Supplier<String> token;
    private final int maxWaiting;

    public ApiServerClient(ApiServerTarget target, Supplier<String> token, Duration timeout, int maxConnections,
            int maxWaiting) throws SSLException {
        this.token = token;
        this.maxWaiting = maxWaiting;
        this.connections = ConnectionProvider.builder("apiserver")
                .maxConnections(maxConnections)
                // Reactor Netty reads 0 as "no waiting at all"; -1 would be unbounded, never wanted here
                .pendingAcquireMaxCount(maxWaiting)
                .pendingAcquireTimeout(timeout)
                .maxIdleTime(Duration.ofSeconds(90))
                .build();
        HttpClient client = HttpClient.create(connections)
                .baseUrl(target.server().toString())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis())
                .responseTimeout(timeout)
                .headers(headers -> headers
                        .set(HttpHeaderNames.ACCEPT, HttpHeaderValues.APPLICATION_JSON)
                        .set(HttpHeaderNames.USER_AGENT, "kubelet-auth-proxy"));
        if ("https".equals(target.server().getScheme())) {
            SslContext context = sslContext(target);
            boolean insecure = target.insecure();
            client = client.secure(spec -> spec.sslContext(context).handlerConfigurator(handler -> {
                // Reactor Netty verifies the host name by default; the insecure switch turns that off too
                if (insecure) {
                    SSLParameters parameters = handler.engine().getSSLParameters();
                    parameters.setEndpointIdentificationAlgorithm(null);
                    handler.engine().setSSLParameters(parameters);
                }
            }));
        }
        this.http = client;
    }

    private static SslContext sslContext(ApiServerTarget target) throws SSLException {
        SslContextBuilder builder = SslContextBuilder.forClient().protocols("TLSv1.3", "TLSv1.2");
        if (target.insecure()) {
            builder.trustManager(InsecureTrustManagerFactory.INSTANCE);
        } else if (!target.ca().isEmpty()) {
            builder.trustManager(target.ca());
        }
        if (target.clientKey() != null) {
            builder.keyManager(ReloadingKeyManager.inMemory("apiserver-client", target.clientKey(), target.clientCertificates()));
        }
        return builder.build();
    }

    /** POSTs {@code body} as JSON to {@code path} and reads the answer as {@code answerType}. */
    public <T> Mono<T> create(String path, Object body, Class<T> answerType) {
        byte[] json = JSON.writeValueAsBytes(body);
        return exchange(HttpMethod.POST, path, json, answerType);
    }

    public <T> Mono<T> get(String path, Class<T> answerType) {
        return exchange(HttpMethod.GET, path, null, answerType);
    }

    private <T> Mono<T> exchange(HttpMethod method, String path, byte[] body, Class<T> answerType) {
        String bearer = token.get();
        HttpClient.RequestSender request = http
                .headers(headers -> {
                    if (bearer != null) {
                        headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + bearer);
                    }
                    if (body != null) {
                        headers.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
                    }
                })
                .request(method)
                .uri(path);
        HttpClient.ResponseReceiver<?> sent = body == null ? request : request.send(ByteBufFlux.fromInbound(Mono.just(body)));
        return sent.responseSingle((response, content) -> content.asByteArray()
                .defaultIfEmpty(new byte[0])
                .map(bytes -> {
                    int code = response.status().code();
                    if (code < 200 || code > 299) {
                        throw new ApiServerException(code, messageOf(bytes));
                    }
                    return JSON.readValue(bytes, answerType);
                }))
                .onErrorMap(PoolAcquirePendingLimitException.class, e -> new ApiServerBusyException(maxWaiting));
    }

    /** The {@code message} of a Kubernetes Status answer, or the start of whatever came back. */
    static String messageOf(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        try {
            JsonNode status = JSON.readTree(body);
            if (status != null && status.path("message").isString()) {
                return status.path("message").asString();
            }
        } catch (RuntimeException notJson) {
            // not a Status: fall through to the raw text
        }
        return text.length() > 200 ? text.substring(0, 200) + "…" : text;
    }

    @Override
    public void close() {
        connections.dispose();
    }
}
