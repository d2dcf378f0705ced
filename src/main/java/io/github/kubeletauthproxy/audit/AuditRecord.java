package io.github.kubeletauthproxy.audit;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.kubeletauthproxy.authn.UserInfo;
import io.github.kubeletauthproxy.cache.LastAllowServed;
import org.springframework.web.server.ServerWebExchange;

/**
 * What the proxy learned about one request as it went through screening, authentication and authorization;
 * filled in step by step and written as one audit line when the exchange ends. Mutable on purpose: it is
 * the request's notebook, confined to that request.
 */
public final class AuditRecord {

    public enum DecisionKind { ALLOW, DENY, ERROR, UNAUTHENTICATED, REFUSED, NONE }

    private static final String ATTRIBUTE = AuditRecord.class.getName();

    /** The layers that may answer from a last allow while the API server does not answer. */
    public static final String AUTHENTICATION = "authentication";
    public static final String AUTHORIZATION = "authorization";

    private volatile UserInfo user;
    private volatile String verb = "";
    private volatile List<String> subresources = List.of();
    private volatile String allowedSubresource = "";
    private volatile DecisionKind decision = DecisionKind.NONE;
    private volatile String refusal = "";
    private volatile String reason = "";
    private volatile StreamSummary stream;
    private volatile PodListSummary podList;
    private volatile Map<String, LastAllowServed> servedFromLastAllow = Map.of();

    /** What a pod-scoped {@code GET /pods} showed: the namespaces the caller may list, and how many pods of how many. */
    public record PodListSummary(List<String> namespaces, int podsShown, int podsOnNode) {
    }

    public void podList(List<String> namespaces, int podsShown, int podsOnNode) {
        this.podList = new PodListSummary(List.copyOf(namespaces), podsShown, podsOnNode);
    }

    public PodListSummary podList() {
        return podList;
    }

    /** How an upgraded stream went. */
    public record StreamSummary(String kind, long bytesIn, long bytesOut, String ending, long durationMillis) {
    }

    public void stream(String kind, long bytesIn, long bytesOut, String ending, long durationMillis) {
        this.stream = new StreamSummary(kind, bytesIn, bytesOut, ending, durationMillis);
    }

    public StreamSummary stream() {
        return stream;
    }

    /** {@code layer} answered this request from its last allow, as {@code served} says. */
    public void servedFromLastAllow(String layer, LastAllowServed served) {
        Map<String, LastAllowServed> layers = new LinkedHashMap<>(servedFromLastAllow);
        layers.put(layer, served);
        this.servedFromLastAllow = Collections.unmodifiableMap(layers);
    }

    /** Layer → the last allow it served, in the order the layers decided; empty when the API server decided it all. */
    public Map<String, LastAllowServed> servedFromLastAllow() {
        return servedFromLastAllow;
    }

    public static AuditRecord of(ServerWebExchange exchange) {
        return exchange.getAttributes().computeIfAbsent(ATTRIBUTE, key -> new AuditRecord()) instanceof AuditRecord record
                ? record : new AuditRecord();
    }

    public void attributes(String verb, List<String> subresources) {
        this.verb = verb;
        this.subresources = List.copyOf(subresources);
    }

    public void user(UserInfo user) {
        this.user = user;
    }

    public void decision(DecisionKind decision) {
        this.decision = decision;
    }

    public void allowedSubresource(String subresource) {
        this.allowedSubresource = subresource;
    }

    public void refusal(String text) {
        this.refusal = text;
    }

    public UserInfo user() {
        return user;
    }

    public String verb() {
        return verb;
    }

    public List<String> subresources() {
        return subresources;
    }

    public String allowedSubresource() {
        return allowedSubresource;
    }

    public DecisionKind decision() {
        return decision;
    }

    public String refusal() {
        return refusal;
    }

    /** Why the proxy refused (a TokenReview's rejection, an API-server failure): for the audit line, not the client. */
    public void reason(String reason) {
        this.reason = reason == null ? "" : reason;
    }

    public String reason() {
        return reason;
    }
}
