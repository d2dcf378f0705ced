package io.github.kubeletauthproxy.upstream;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import io.github.kubeletauthproxy.audit.AuditRecord;
import io.github.kubeletauthproxy.request.RequestScreen;
import io.github.kubeletauthproxy.server.ProxyResponses;
import io.github.kubeletauthproxy.tls.TokenFile;
import io.netty.channel.Channel;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebHandler;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.NettyPipeline;

/**
 * The one upgrade path, for SPDY/3.1 and WebSocket alike. Runs only for requests that passed screening
 * (an accepted {@code Upgrade} on exec, attach or port-forward) and the same authentication and authorization
 * as every other request. It opens its own HTTP/1.1 connection to the kubelet and sends the upgrade request;
 * only a 101 turns both connections into a byte tunnel. Any other answer goes back to the client as it came,
 * with {@code Connection: close}, so no reusable connection is left behind (CVE-2018-1002105). Every request without
 * an {@code Upgrade} goes on to the next step.
 */
public final class UpgradeTunnel implements WebHandler {

    private final URI kubelet;
    private final UpstreamTls tls;
    private final Optional<TokenFile> token;
    private final OpenStreams streams;
    private final Duration connectTimeout;
    private final Duration idleTimeout;
    private final Duration maxLifetime;
    private final int maxErrorBodyBytes;
    private final WebHandler next;

    public UpgradeTunnel(URI kubelet, UpstreamTls tls, Optional<TokenFile> token, OpenStreams streams,
            Duration connectTimeout, Duration idleTimeout, Duration maxLifetime, int maxErrorBodyBytes, WebHandler next) {
        this.kubelet = kubelet;
        this.tls = tls;
        this.token = token;
        this.streams = streams;
        this.connectTimeout = connectTimeout;
        this.idleTimeout = idleTimeout;
        this.maxLifetime = maxLifetime;
        this.maxErrorBodyBytes = maxErrorBodyBytes;
        this.next = next;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange) {
        ServerHttpRequest request = exchange.getRequest();
        if (!request.getHeaders().containsHeader(HttpHeaders.UPGRADE)) {
            return next.handle(exchange);
        }
        Object nativeRequest = ServerHttpRequestDecorator.getNativeRequest(request);
        if (!(nativeRequest instanceof Connection connection) || connection.channel().pipeline().get(NettyPipeline.HttpCodec) == null) {
            return ProxyResponses.status(exchange, 400, "BadRequest", "upgrades are only possible over HTTP/1.1");
        }
        if (!streams.tryReserve()) {
            return switch (streams.state()) {
                case STARTING -> ProxyResponses.status(exchange, 503, "ServiceUnavailable", "the proxy is starting");
                case STOPPED -> ProxyResponses.status(exchange, 503, "ServiceUnavailable", "the proxy is shutting down");
                case RUNNING -> ProxyResponses.status(exchange, 429, "TooManyRequests", "too many open streams; try again later");
            };
        }
        Channel client = connection.channel();
        // the request head is written one byte per character: the client's bytes
        String pathAndQuery = ForwardedTarget.of(request);
        String path = RequestScreen.pathOf(pathAndQuery);
        HttpHeaders headers = UpstreamRequestHeaders.sanitizeForUpgrade(request.getHeaders(), token.map(TokenFile::value));
        OpenStreams.Kind kind = OpenStreams.Kind.of(path);
        AuditRecord audit = AuditRecord.of(exchange);
        // the reserved place is given back here unless a tunnel took it over (then the tunnel gives it back)
        AtomicBoolean handedOver = new AtomicBoolean();
        AtomicReference<CompletableFuture<KubeletUpgrade.Answer>> pending = new AtomicReference<>();
        return Mono.fromFuture(() -> {
                    CompletableFuture<KubeletUpgrade.Answer> answer = KubeletUpgrade.open(client, kubelet,
                            request.getMethod().name(), pathAndQuery, headers, tls, connectTimeout, maxErrorBodyBytes);
                    pending.set(answer);
                    return answer;
                })
                .flatMap(answer -> {
                    if (answer instanceof KubeletUpgrade.Refused refused) {
                        return answerAsIs(exchange.getResponse(), refused);
                    }
                    if (answer instanceof KubeletUpgrade.Oversized oversized) {
                        // the kubelet was reached and answered: not a "cannot reach", but nothing the proxy will relay
                        return ProxyResponses.status(exchange, 502, "BadGateway", "the kubelet answered the upgrade with "
                                + oversized.status() + " and a body larger than " + oversized.maxBodyBytes() + " bytes");
                    }
                    KubeletUpgrade.Switched switched = (KubeletUpgrade.Switched) answer;
                    exchange.getResponse().setStatusCode(HttpStatus.SWITCHING_PROTOCOLS);
                    return Mono.fromFuture(() -> openOnEventLoop(client, switched, kind, handedOver))
                            .doOnNext(summary -> audit.stream(kind.label, summary.bytesIn(), summary.bytesOut(),
                                    summary.ending().name().toLowerCase(), summary.duration().toMillis()))
                            .then();
                })
                .doFinally(signal -> {
                    if (!handedOver.get()) {
                        streams.release();
                        // the client went away between the kubelet's 101 and the hand-over: close what it left
                        KubeletUpgrade.closeIfSwitched(pending.get());
                    }
                });
    }

    /** Rewires the connections on the client's event loop, which the kubelet connection shares. */
    private CompletableFuture<StreamTunnel.Summary> openOnEventLoop(Channel client,
            KubeletUpgrade.Switched switched, OpenStreams.Kind kind, AtomicBoolean handedOver) {
        CompletableFuture<StreamTunnel.Summary> summary = new CompletableFuture<>();
        client.eventLoop().execute(() -> {
            try {
                if (!client.isActive()) {
                    throw new IOException("the client went away before the stream opened");
                }
                StreamTunnel tunnel = StreamTunnel.open(client, switched, streams.bytes(kind, "in"), streams.bytes(kind, "out"),
                        idleTimeout, maxLifetime);
                handedOver.set(true);
                streams.opened(kind, tunnel);
                tunnel.done().whenComplete((done, error) -> summary.complete(done));
            } catch (Exception | Error e) {
                switched.kubelet().close();
                client.close();
                summary.completeExceptionally(e);
            }
        });
        return summary;
    }

    private static Mono<Void> answerAsIs(ServerHttpResponse response, KubeletUpgrade.Refused refused) {
        response.setStatusCode(HttpStatusCode.valueOf(refused.response().status().code()));
        for (var header : refused.response().headers()) {
            String name = header.getKey();
            if (!name.equalsIgnoreCase("connection") && !name.equalsIgnoreCase("transfer-encoding")
                    && !name.equalsIgnoreCase("content-length") && !name.equalsIgnoreCase("upgrade")
                    && !name.equalsIgnoreCase("keep-alive")) {
                response.getHeaders().add(name, header.getValue());
            }
        }
        // the connection is not reused after a failed upgrade
        response.getHeaders().set(HttpHeaders.CONNECTION, "close");
        response.getHeaders().setContentLength(refused.body().length);
        return response.writeWith(Mono.just(response.bufferFactory().wrap(refused.body())));
    }
}
