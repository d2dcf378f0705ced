package io.github.kubeletauthproxy.upstream;

import java.util.List;
import java.util.Optional;

import io.github.kubeletauthproxy.server.ProxyResponses;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpMethod;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebHandler;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import reactor.netty.Connection;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientResponse;

/**
 * Sends an authorized request to the kubelet and streams its answer back: the client's method and request target byte
 * for byte, its headers as {@link UpstreamRequestHeaders} leave them (the {@code Host} is the kubelet's address, as
 * Reactor Netty sets it), its body as it arrives. The kubelet's status, headers without the hop-by-hop ones and body
 * go back as they arrive, never buffered; a client that goes away closes the kubelet connection instead of returning
 * it half read to the pool. Failing to reach the kubelet is an error for {@link UpstreamFailures}.
 *
 * <p>This replaces Spring Cloud Gateway, which the proxy used for this one route only (docs/benchmarks/http.md: its
 * classes, the validator it brought and its per-request routing were a tenth of the proxy's class metadata and of its
 * CPU per request). The {@link HttpClient} is configured in {@link UpstreamConfiguration}.
 */
public final class KubeletForwarder implements WebHandler {

    /**
     * Answers written chunk by chunk with a flush each, as the gateway wrote them; any other answer is flushed whenever
     * the kubelet pauses, which already brings a followed log's lines as they are written.
     */
    private static final List<MediaType> FLUSHED_PER_CHUNK = List.of(MediaType.TEXT_EVENT_STREAM,
            new MediaType("application", "stream+json"), new MediaType("application", "grpc"),
            new MediaType("application", "grpc+protobuf"), new MediaType("application", "grpc+json"));

    private static final List<String> ADDED_BY_THE_CLIENT_LIBRARY = List.of(HttpHeaders.ACCEPT, HttpHeaders.USER_AGENT);

    private final HttpClient client;
    private final String kubelet;
    private final UpstreamRequestHeaders headers;

    /** {@code kubelet} is the upstream URL without a path ({@code https://host:port}). */
    public KubeletForwarder(HttpClient client, String kubelet, UpstreamRequestHeaders headers) {
        this.client = client;
        this.kubelet = kubelet;
        this.headers = headers;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange) {
        ServerHttpRequest request = exchange.getRequest();
        Optional<String> target = ForwardedTarget.forUtf8Writer(ForwardedTarget.of(request));
        if (target.isEmpty()) {
            return ProxyResponses.status(exchange, 400, "BadRequest",
                    "the request target has bytes that are not UTF-8; it cannot be forwarded as written");
        }
        HttpHeaders forKubelet = headers.forKubelet(request.getHeaders());
        return client
                .headers(netty -> {
                    forKubelet.forEach(netty::set);
                    // Reactor Netty sets the kubelet's address, as it did under the gateway
                    netty.remove(HttpHeaders.HOST);
                })
                .request(HttpMethod.valueOf(request.getMethod().name()))
                .uri(kubelet + target.get())
                .send((kubeletRequest, outbound) -> {
                    // Reactor Netty adds these when they are missing; the kubelet gets only what the client sent
                    // (its /flagz before 1.35 answers a request without Accept with 406)
                    for (String added : ADDED_BY_THE_CLIENT_LIBRARY) {
                        if (!forKubelet.containsHeader(added)) {
                            kubeletRequest.requestHeaders().remove(added);
                        }
                    }
                    return outbound.send(request.getBody().map(NettyDataBufferFactory::toByteBuf));
                })
                .responseConnection((answer, connection) -> relay(exchange.getResponse(), answer, connection))
                .then();
    }

    private static Mono<Void> relay(ServerHttpResponse response, HttpClientResponse answer, Connection connection) {
        response.setStatusCode(HttpStatusCode.valueOf(answer.status().code()));
        UpstreamResponseHeaders.copy(answer.responseHeaders(), response.getHeaders());
        DataBufferFactory buffers = response.bufferFactory();
        // Reactor Netty releases what it received once it is handed on: retained, it is released when written
        Flux<DataBuffer> body = connection.inbound().receive().retain().map(buffer -> wrap(buffers, buffer));
        Mono<Void> written = flushedPerChunk(response.getHeaders())
                ? response.writeAndFlushWith(body.map(Flux::just))
                : response.writeWith(body);
        return written.doFinally(signal -> {
            if (signal == SignalType.CANCEL || signal == SignalType.ON_ERROR) {
                // the rest of the answer will never be read: the connection cannot go back to the pool
                connection.dispose();
            }
        });
    }

    private static DataBuffer wrap(DataBufferFactory buffers, ByteBuf buffer) {
        if (buffers instanceof NettyDataBufferFactory netty) {
            return netty.wrap(buffer);
        }
        // a response that is not Reactor Netty's (a test's mock) gets a copy
        try {
            return buffers.wrap(ByteBufUtil.getBytes(buffer));
        } finally {
            buffer.release();
        }
    }

    private static boolean flushedPerChunk(HttpHeaders headers) {
        MediaType type;
        try {
            type = headers.getContentType();
        } catch (InvalidMediaTypeException e) {
            return false;
        }
        return type != null && FLUSHED_PER_CHUNK.stream().anyMatch(streaming -> streaming.isCompatibleWith(type));
    }
}
