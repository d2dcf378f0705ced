package io.github.kubeletauthproxy.upstream;

import io.github.kubeletauthproxy.audit.AuditRecord;
import io.github.kubeletauthproxy.authn.UserInfo;
import io.github.kubeletauthproxy.authz.PodListFilter;
import io.github.kubeletauthproxy.server.ProxyResponses;
import io.github.kubeletauthproxy.server.RequestDecision;
import org.reactivestreams.Publisher;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebHandler;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Pod-scoped {@code GET /pods}: the only answer the proxy reads before passing it on. The kubelet's list is gathered
 * (unencoded: the proxy asks for no compression and no range), cut down by {@link PodListFilter}, and written with its
 * new length. Nothing of the kubelet's list reaches the caller unless the filter produced it; an answer that cannot
 * be read is a 502, a review that cannot be answered a 500. The steps after it write the kubelet's answer into the
 * filtered response it hands them.
 */
public final class PodListFiltering implements WebHandler {

    /** The kubelet's list is a few KiB per pod; 110 pods (its default maximum) stay far below this. */
    static final int MAX_LIST_BYTES = 32 * 1024 * 1024;

    private final PodListFilter filter;
    private final WebHandler next;

    public PodListFiltering(PodListFilter filter, WebHandler next) {
        this.filter = filter;
        this.next = next;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange) {
        UserInfo user = ProxyResponses.podListFilteredFor(exchange);
        if (user == null) {
            return next.handle(exchange);
        }
        ServerHttpRequest request = exchange.getRequest().mutate()
                .headers(headers -> {
                    headers.remove(HttpHeaders.ACCEPT_ENCODING);
                    headers.remove(HttpHeaders.RANGE);
                })
                .build();
        ServerHttpResponse response = new FilteredResponse(exchange, user);
        return next.handle(exchange.mutate().request(request).response(response).build());
    }

    private final class FilteredResponse extends ServerHttpResponseDecorator {

        private final ServerWebExchange exchange;
        private final UserInfo user;

        FilteredResponse(ServerWebExchange exchange, UserInfo user) {
            super(exchange.getResponse());
            this.exchange = exchange;
            this.user = user;
        }

        @Override
        public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
            HttpStatusCode status = getStatusCode();
            if (status != null && !status.is2xxSuccessful()) {
                // the kubelet's own error: it lists no pods
                return super.writeWith(body);
            }
            String encoding = getHeaders().getFirst(HttpHeaders.CONTENT_ENCODING);
            if (encoding != null && !encoding.equalsIgnoreCase("identity")) {
                return Flux.from(body).doOnNext(DataBufferUtils::release)
                        .then(notAPodList("it is encoded (" + encoding + ")"));
            }
            return DataBufferUtils.join(body, MAX_LIST_BYTES)
                    .map(buffer -> {
                        byte[] bytes = new byte[buffer.readableByteCount()];
                        buffer.read(bytes);
                        DataBufferUtils.release(buffer);
                        return bytes;
                    })
                    .defaultIfEmpty(new byte[0])
                    .flatMap(bytes -> filter.filter(user, bytes))
                    .flatMap(this::answer)
                    .onErrorResume(DataBufferLimitException.class,
                            e -> notAPodList("it is larger than " + MAX_LIST_BYTES + " bytes"));
        }

        @Override
        public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
            return writeWith(Flux.from(body).concatMap(Flux::from));
        }

        private Mono<Void> answer(PodListFilter.Result result) {
            if (result instanceof PodListFilter.ReviewFailed failed) {
                clearKubeletFraming();
                return ProxyResponses.refuse(exchange, getDelegate(), RequestDecision.unanswered(user, failed.outcome()));
            }
            if (result instanceof PodListFilter.NotAPodList not) {
                return notAPodList(not.why());
            }
            PodListFilter.Filtered filtered = (PodListFilter.Filtered) result;
            AuditRecord.of(exchange).podList(filtered.namespaces(), filtered.podsShown(), filtered.podsOnNode());
            clearKubeletFraming();
            getHeaders().setContentLength(filtered.body().length);
            return getDelegate().writeWith(Mono.just(bufferFactory().wrap(filtered.body())));
        }

        private Mono<Void> notAPodList(String why) {
            clearKubeletFraming();
            return ProxyResponses.status(exchange, getDelegate(), 502, "BadGateway",
                    "the kubelet's answer to GET /pods cannot be filtered by namespace: " + why);
        }

        private void clearKubeletFraming() {
            getHeaders().remove(HttpHeaders.CONTENT_LENGTH);
            getHeaders().remove(HttpHeaders.TRANSFER_ENCODING);
            getHeaders().remove(HttpHeaders.CONTENT_ENCODING);
        }
    }
}
