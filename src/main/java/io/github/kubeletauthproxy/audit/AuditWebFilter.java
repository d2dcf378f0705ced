package io.github.kubeletauthproxy.audit;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import io.github.kubeletauthproxy.metrics.MeterCache;
import io.github.kubeletauthproxy.status.StatusTexts;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatusCode;
import org.springframework.util.MultiValueMap;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * One audit record per request, built when the exchange ends (for a stream: when it closes) and handed to the
 * {@link AuditStream} as one JSON object (README: Audit records; its fields are a promise, {@link #SCHEMA_VERSION}
 * says which). Also counts requests and tracks requests in flight. Query parameters that carry commands
 * ({@code command}, {@code cmd}, {@code query}) are recorded; no other parameter, and never a credential.
 */
public final class AuditWebFilter implements WebFilter, Ordered {

    static final List<String> LOGGED_PARAMETERS = List.of("command", "cmd", "query");

    /** Raised when a field is renamed, removed or changes type; a new field does not raise it. */
    public static final int SCHEMA_VERSION = 1;

    // requests that are not kubelet traffic (the management server's): neither audited nor counted
    private final Predicate<ServerWebExchange> notProxyTraffic;
    private final AuditStream audit;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final MeterCache<RequestTags, Counter> requests;

    /** The labels of kubelet_auth_proxy_requests_total: verb, subresource, decision and status code. */
    private record RequestTags(String verb, String subresource, String decision, int code) {
    }

    public AuditWebFilter(Predicate<ServerWebExchange> notProxyTraffic, AuditStream audit, MeterRegistry registry) {
        this.notProxyTraffic = notProxyTraffic;
        this.audit = audit;
        this.requests = new MeterCache<>(tags -> Counter.builder("kubelet_auth_proxy_requests")
                .description("Requests by verb, subresource, decision and HTTP status")
                .tag("verb", tags.verb())
                .tag("subresource", tags.subresource())
                .tag("decision", tags.decision())
                .tag("code", Integer.toString(tags.code()))
                .register(registry));
        Gauge.builder("kubelet_auth_proxy_requests_in_flight", inFlight, AtomicInteger::get)
                .description("Requests being served, streams included")
                .register(registry);
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (notProxyTraffic.test(exchange)) {
            return chain.filter(exchange);
        }
        long start = System.nanoTime();
        Instant startTime = Instant.now();
        AuditRecord record = AuditRecord.of(exchange);
        inFlight.incrementAndGet();
        return chain.filter(exchange).doFinally(signal -> {
            inFlight.decrementAndGet();
            HttpStatusCode status = exchange.getResponse().getStatusCode();
            int code = status == null ? 200 : status.value();
            long durationMillis = (System.nanoTime() - start) / 1_000_000;
            String subresource = !record.allowedSubresource().isEmpty() ? record.allowedSubresource()
                    : record.subresources().isEmpty() ? "none" : record.subresources().get(0);
            requests.get(new RequestTags(record.verb().isEmpty() ? "none" : record.verb(), subresource,
                    record.decision().name().toLowerCase(), code)).increment();
            if (audit.enabled()) {
                audit.write(line(exchange, record, startTime, code, durationMillis, signal.name()));
            }
        });
    }

    static String line(ServerWebExchange exchange, AuditRecord record, Instant time, int code, long durationMillis,
            String ending) {
        var request = exchange.getRequest();
        StringBuilder json = new StringBuilder(256).append('{');
        json.append("\"schemaVersion\":").append(SCHEMA_VERSION).append(',');
        field(json, "time", time.toString());
        field(json, "user", record.user() == null ? "" : record.user().name());
        json.append("\"groups\":").append(array(record.user() == null ? List.of() : record.user().groups())).append(',');
        field(json, "verb", record.verb());
        json.append("\"subresources\":").append(array(record.subresources())).append(',');
        field(json, "method", request.getMethod().name());
        field(json, "path", request.getURI().getRawPath());
        MultiValueMap<String, String> query = request.getQueryParams();
        StringBuilder logged = new StringBuilder("{");
        for (Map.Entry<String, List<String>> parameter : query.entrySet()) {
            if (LOGGED_PARAMETERS.contains(parameter.getKey())) {
                if (logged.length() > 1) {
                    logged.append(',');
                }
                logged.append(StatusTexts.jsonString(parameter.getKey())).append(':').append(array(parameter.getValue()));
            }
        }
        json.append("\"commandParameters\":").append(logged).append("},");
        field(json, "decision", record.decision().name().toLowerCase());
        if (!record.allowedSubresource().isEmpty()) {
            field(json, "allowedBy", record.allowedSubresource());
        }
        if (!record.servedFromLastAllow().isEmpty()) {
            json.append("\"servedFromLastAllow\":{");
            record.servedFromLastAllow().forEach((layer, served) -> json.append(StatusTexts.jsonString(layer))
                    .append(":{\"ageSeconds\":").append(served.age().toSeconds())
                    .append(",\"failure\":").append(StatusTexts.jsonString(served.failure())).append("},"));
            json.setLength(json.length() - 1);
            json.append("},");
        }
        if (!record.refusal().isEmpty()) {
            field(json, "refusal", record.refusal());
        }
        if (!record.reason().isEmpty()) {
            field(json, "reason", record.reason());
        }
        AuditRecord.PodListSummary podList = record.podList();
        if (podList != null) {
            json.append("\"podList\":{\"namespaces\":").append(array(podList.namespaces()))
                    .append(",\"podsShown\":").append(podList.podsShown())
                    .append(",\"podsOnNode\":").append(podList.podsOnNode()).append("},");
        }
        AuditRecord.StreamSummary stream = record.stream();
        if (stream != null) {
            String[] segments = request.getURI().getRawPath().split("/");
            json.append("\"stream\":{");
            field(json, "kind", stream.kind());
            field(json, "namespace", segments.length > 2 ? segments[2] : "");
            field(json, "pod", segments.length > 3 ? segments[3] : "");
            if (!stream.kind().equals("portforward")) {
                field(json, "container", segments.length > 4 ? segments[segments.length - 1] : "");
            }
            json.append("\"bytesIn\":").append(stream.bytesIn()).append(",\"bytesOut\":").append(stream.bytesOut()).append(',');
            json.append("\"end\":").append(StatusTexts.jsonString(stream.ending())).append("},");
        }
        json.append("\"status\":").append(code).append(',');
        json.append("\"durationMs\":").append(durationMillis).append(',');
        field(json, "remote", request.getRemoteAddress() == null ? "" : request.getRemoteAddress().getAddress().getHostAddress());
        json.append("\"end\":").append(StatusTexts.jsonString(ending.toLowerCase()));
        return json.append('}').toString();
    }

    private static void field(StringBuilder json, String name, String value) {
        json.append(StatusTexts.jsonString(name)).append(':').append(StatusTexts.jsonString(value)).append(',');
    }

    private static String array(List<String> values) {
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            out.append(StatusTexts.jsonString(values.get(i) == null ? "" : values.get(i)));
        }
        return out.append(']').toString();
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE + 10;
    }
}
