package io.github.kubeletauthproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.github.kubeletauthproxy.audit.AuditRecord;
import io.github.kubeletauthproxy.audit.AuditRecord.DecisionKind;
import io.github.kubeletauthproxy.authn.UserInfo;
import io.github.kubeletauthproxy.authz.AccessReview;
import io.github.kubeletauthproxy.authz.PodScope;
import io.github.kubeletauthproxy.authz.KubeletAuthorization.Outcome;
import io.github.kubeletauthproxy.authz.KubeletRequestAttributes.Attributes;
import io.github.kubeletauthproxy.request.Screening;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

/** Each way a request can be refused, and exactly what the proxy answers and audits for it. */
class RequestDecisionTest {

    static final UserInfo JANE = new UserInfo("jane", "", List.of("devs"), Map.of());
    static final Attributes GET_PODS = new Attributes("get", List.of("pods", "proxy"));
    static final AccessReview GET_NODES_PODS = AccessReview.node(JANE, "get", "pods", "node");
    static final PodScope.OnePod EXEC_WEB_0 = new PodScope.OnePod("create", "exec", "a", "web-0");
    static final Attributes EXEC_IN_A = new Attributes("create", List.of("proxy"), EXEC_WEB_0);
    static final AccessReview EXEC_A_WEB_0 = EXEC_WEB_0.review(JANE);
    static final AccessReview LIST_PODS_IN_A = PodScope.PodList.review(JANE, "a");
    static final String TEXT = "text/plain;charset=UTF-8";
    static final String JSON = "application/json";

    static Stream<Arguments> refusals() {
        return Stream.of(
                // refusal, status, content type, body, audit decision, audit refusal, audit reason
                Arguments.of(new RequestDecision.ScreenedOut(new Screening.Refused(405, "MethodNotAllowed", "method TRACE is not supported")),
                        405, JSON,
                        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                                + "\"message\":\"method TRACE is not supported\",\"reason\":\"MethodNotAllowed\",\"code\":405}\n",
                        DecisionKind.REFUSED, "method TRACE is not supported", ""),
                Arguments.of(new RequestDecision.ScreenedOut(new Screening.Refused(400, "BadRequest", "non-canonical request path: empty path segment")),
                        400, JSON,
                        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                                + "\"message\":\"non-canonical request path: empty path segment\",\"reason\":\"BadRequest\",\"code\":400}\n",
                        DecisionKind.REFUSED, "non-canonical request path: empty path segment", ""),
                Arguments.of(new RequestDecision.Unauthenticated("[invalid bearer token, token has expired]"),
                        401, TEXT, "Unauthorized", DecisionKind.UNAUTHENTICATED, "Unauthorized",
                        "[invalid bearer token, token has expired]"),
                Arguments.of(new RequestDecision.AuthenticationUnavailable("ApiServerException: API server answered 503: etcd"),
                        503, JSON,
                        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                                + "\"message\":\"cannot authenticate the request: the API server did not answer the TokenReview\","
                                + "\"reason\":\"ServiceUnavailable\",\"code\":503}\n",
                        DecisionKind.UNAUTHENTICATED,
                        "cannot authenticate the request: the API server did not answer the TokenReview",
                        "ApiServerException: API server answered 503: etcd"),
                Arguments.of(new RequestDecision.Denied(JANE, GET_PODS, false),
                        403, TEXT, "Forbidden (user=jane, verb=get, resource=nodes, subresource(s)=[pods proxy])\n",
                        DecisionKind.DENY, "Forbidden (user=jane, verb=get, resource=nodes, subresource(s)=[pods proxy])", ""),
                Arguments.of(new RequestDecision.Denied(JANE, GET_PODS, true),
                        403, TEXT, "Forbidden (user=jane, verb=get, resource=nodes, subresource=pods)",
                        DecisionKind.DENY, "Forbidden (user=jane, verb=get, resource=nodes, subresource=pods)", ""),
                Arguments.of(new RequestDecision.AuthorizationFailed(JANE, GET_NODES_PODS, "TimeoutException: no answer in 11s"),
                        500, TEXT, "Authorization error (user=jane, verb=get, resource=nodes, subresource=pods)",
                        DecisionKind.ERROR, "Authorization error (user=jane, verb=get, resource=nodes, subresource=pods)",
                        "TimeoutException: no answer in 11s"),
                // pod-scoped access: the namespaced review is named after the kubelet's
                Arguments.of(new RequestDecision.Denied(JANE, EXEC_IN_A, false),
                        403, TEXT, "Forbidden (user=jane, verb=create, resource=nodes, subresource(s)=[proxy]); pod-scoped "
                                + "(verb=create, resource=pods, subresource=exec, namespace=a, name=web-0)\n",
                        DecisionKind.DENY, "Forbidden (user=jane, verb=create, resource=nodes, subresource(s)=[proxy]); pod-scoped "
                                + "(verb=create, resource=pods, subresource=exec, namespace=a, name=web-0)", ""),
                Arguments.of(new RequestDecision.Denied(JANE, EXEC_IN_A, true),
                        403, TEXT, "Forbidden (user=jane, verb=create, resource=nodes, subresource=proxy); pod-scoped "
                                + "(verb=create, resource=pods, subresource=exec, namespace=a, name=web-0)",
                        DecisionKind.DENY, "Forbidden (user=jane, verb=create, resource=nodes, subresource=proxy); pod-scoped "
                                + "(verb=create, resource=pods, subresource=exec, namespace=a, name=web-0)", ""),
                Arguments.of(new RequestDecision.AuthorizationFailed(JANE, EXEC_A_WEB_0, "down"),
                        500, TEXT, "Authorization error (user=jane, verb=create, resource=pods, subresource=exec, namespace=a, name=web-0)",
                        DecisionKind.ERROR, "Authorization error (user=jane, verb=create, resource=pods, subresource=exec, namespace=a, name=web-0)",
                        "down"),
                Arguments.of(new RequestDecision.AuthorizationFailed(JANE, LIST_PODS_IN_A, "down"),
                        500, TEXT, "Authorization error (user=jane, verb=list, resource=pods, namespace=a)",
                        DecisionKind.ERROR, "Authorization error (user=jane, verb=list, resource=pods, namespace=a)", "down"));
    }

    @ParameterizedTest(name = "{0} → {1}")
    @MethodSource("refusals")
    void eachRefusalHasItsAnswerAndAuditEntry(RequestDecision.Refusal refusal, int status, String contentType, String body,
            DecisionKind decision, String auditedRefusal, String auditedReason) {
        var exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/pods"));

        ProxyResponses.refuse(exchange, refusal).block();

        var response = exchange.getResponse();
        assertThat(response.getStatusCode().value()).isEqualTo(status);
        assertThat(response.getHeaders().getFirst("Content-Type")).isEqualTo(contentType);
        assertThat(response.getHeaders().getFirst("X-Content-Type-Options")).isEqualTo(contentType.equals(TEXT) ? "nosniff" : null);
        assertThat(response.getBodyAsString().block()).isEqualTo(body);
        assertThat(response.getHeaders().getContentLength()).isEqualTo(body.getBytes(StandardCharsets.UTF_8).length);
        AuditRecord audit = AuditRecord.of(exchange);
        assertThat(audit.decision()).isEqualTo(decision);
        assertThat(audit.refusal()).isEqualTo(auditedRefusal);
        assertThat(audit.reason()).isEqualTo(auditedReason);
        if (!auditedReason.isEmpty()) {
            // the cause is for the operator: the client gets the kubelet's text only
            assertThat(response.getBodyAsString().block()).doesNotContain(auditedReason);
        }
    }

    static Stream<Arguments> outcomes() {
        return Stream.of(
                Arguments.of(new Outcome(Outcome.Kind.ALLOWED, AccessReview.node(JANE, "get", "proxy", "node"), ""),
                        new RequestDecision.Allowed("proxy")),
                Arguments.of(new Outcome(Outcome.Kind.ALLOWED, EXEC_A_WEB_0, ""), new RequestDecision.Allowed("pods/exec")),
                Arguments.of(new Outcome(Outcome.Kind.DENIED, null, ""), new RequestDecision.Denied(JANE, GET_PODS, true)),
                Arguments.of(new Outcome(Outcome.Kind.FAILED, GET_NODES_PODS, "down"),
                        new RequestDecision.AuthorizationFailed(JANE, GET_NODES_PODS, "down")),
                Arguments.of(new Outcome(Outcome.Kind.POD_LIST_FILTERED, null, ""), new RequestDecision.AllowedPodList(JANE)));
    }

    @ParameterizedTest(name = "{0} → {1}")
    @MethodSource("outcomes")
    void authorizationOutcomesBecomeDecisions(Outcome outcome, RequestDecision decision) {
        assertThat(RequestDecision.authorized(JANE, GET_PODS, outcome, true)).isEqualTo(decision);
    }

    @Test
    void anAllowIsAuditedAndAnsweredByNobodyButTheKubelet() {
        var exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/pods"));

        ProxyResponses.decided(exchange, new RequestDecision.Allowed("proxy"));

        AuditRecord audit = AuditRecord.of(exchange);
        assertThat(audit.decision()).isEqualTo(DecisionKind.ALLOW);
        assertThat(audit.allowedSubresource()).isEqualTo("proxy");
        assertThat(audit.refusal()).isEmpty();
        assertThat(exchange.getResponse().getStatusCode()).isNull();
    }

    @Test
    void aDecidedRefusalIsWhatSpringSecuritysHandlersWrite() {
        var exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/pods"));

        ProxyResponses.decided(exchange, new RequestDecision.AuthorizationFailed(JANE, GET_NODES_PODS, "down"));
        ProxyResponses.refuseAsDecided(exchange).block();

        assertThat(exchange.getResponse().getStatusCode().value()).isEqualTo(500);
        assertThat(AuditRecord.of(exchange).decision()).isEqualTo(DecisionKind.ERROR);
    }

    @Test
    void withoutADecisionNoAuthenticationReachedAuthorization() {
        var exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/pods"));

        ProxyResponses.refuseAsDecided(exchange).block();

        assertThat(exchange.getResponse().getStatusCode().value()).isEqualTo(401);
        assertThat(AuditRecord.of(exchange).decision()).isEqualTo(DecisionKind.UNAUTHENTICATED);
    }
}
