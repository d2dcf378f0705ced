package io.github.kubeletauthproxy.server;

import io.github.kubeletauthproxy.audit.AuditRecord.DecisionKind;
import io.github.kubeletauthproxy.authn.UserInfo;
import io.github.kubeletauthproxy.authz.AccessReview;
import io.github.kubeletauthproxy.authz.KubeletAuthorization;
import io.github.kubeletauthproxy.authz.KubeletRequestAttributes.Attributes;
import io.github.kubeletauthproxy.authz.PodScope;
import io.github.kubeletauthproxy.cache.LastAllowServed;
import io.github.kubeletauthproxy.request.Screening;
import io.github.kubeletauthproxy.status.StatusTexts;

/**
 * How a request is decided, as values, in the order the proxy decides: the screen may refuse it (400, 405);
 * authentication yields a user, or refuses the request when no credential authenticated (401) or the API server did
 * not answer the TokenReview (503); authorization then allows it (pod-scoped {@code GET /pods}: with its answer
 * filtered), denies it (403) or fails (500; 503 when the review was not even asked because too many calls already
 * wait for the API server). Each refusal says
 * what the proxy answers and how the audit line names it; {@link ProxyResponses} writes the answer and fills the audit
 * record from it.
 */
public sealed interface RequestDecision {

    /**
     * Allowed by the review {@code allowedBy} names ({@link AccessReview#label()}): forwarded to the kubelet.
     * {@code servedFromLastAllow}: set when that allow is the API server's last one (outage mode), null otherwise.
     */
    record Allowed(String allowedBy, LastAllowServed servedFromLastAllow) implements RequestDecision {

        public Allowed(String allowedBy) {
            this(allowedBy, null);
        }
    }

    /**
     * Pod-scoped {@code GET /pods} the node-level reviews denied: forwarded, and the kubelet's list is cut down to the
     * namespaces where {@code user} may list pods before it is answered.
     */
    record AllowedPodList(UserInfo user) implements RequestDecision {

        /** How the audit line and the metrics name what allowed it. */
        public static final String ALLOWED_BY = "pods/list";
    }

    /** Answered by the proxy itself. */
    sealed interface Refusal extends RequestDecision {

        Answer answer();

        /** Why, for the audit line and the log, never for the client: empty when the answer says it all. */
        default String reason() {
            return "";
        }
    }

    /** Refused by the screen before any credential was read. */
    record ScreenedOut(Screening.Refused refused) implements Refusal {
        @Override
        public Answer answer() {
            return Answer.status(refused.status(), refused.reason(), refused.message(), DecisionKind.REFUSED);
        }
    }

    /**
     * No credential authenticated (and anonymous did not apply): the kubelet's 401. {@code reason}: the TokenReview's
     * rejection, a certificate's problem, or that the request carried no credential.
     */
    record Unauthenticated(String reason) implements Refusal {

        public static final String NO_CREDENTIALS = "no credential in the request";

        @Override
        public Answer answer() {
            return Answer.text(401, StatusTexts.unauthorized(), DecisionKind.UNAUTHENTICATED);
        }
    }

    /** The API server did not answer the TokenReview: not the caller's fault, so not a 401. */
    record AuthenticationUnavailable(String reason) implements Refusal {
        @Override
        public Answer answer() {
            return Answer.status(503, "ServiceUnavailable",
                    "cannot authenticate the request: the API server did not answer the TokenReview", DecisionKind.UNAUTHENTICATED);
        }
    }

    /** Every record was denied (or had no opinion); {@code legacyText} picks the kubelet version's wording. */
    record Denied(UserInfo user, Attributes attributes, boolean legacyText) implements Refusal {
        @Override
        public Answer answer() {
            String podScoped = attributes.podAccess() instanceof PodScope.OnePod pod ? pod.review(user).describe() : "";
            return Answer.text(403, StatusTexts.forbidden(user.name(), attributes.verb(), attributes.subresources(), legacyText,
                    podScoped), DecisionKind.DENY);
        }
    }

    /** {@code review} could not be answered ({@code reason}: why); later records were not tried. */
    record AuthorizationFailed(UserInfo user, AccessReview review, String reason) implements Refusal {
        @Override
        public Answer answer() {
            return Answer.text(500, StatusTexts.authorizationError(user.name(), review.describe()), DecisionKind.ERROR);
        }
    }

    /** Too many calls already wait for the API server: the review was not even asked. Fail closed, and say so. */
    record AuthorizationUnavailable(String reason) implements Refusal {
        @Override
        public Answer answer() {
            return Answer.status(503, "ServiceUnavailable",
                    "cannot authorize the request now: the API server is not keeping up", DecisionKind.ERROR);
        }
    }

    /**
     * What the proxy writes for a refusal: a kubelet-style plain text, or a Kubernetes {@code Status} object for the
     * proxy's own refusals; and what the audit line records: the decision and the refusal's text.
     */
    record Answer(int status, boolean plainText, String body, DecisionKind decision, String refusal) {

        static Answer text(int status, String body, DecisionKind decision) {
            return new Answer(status, true, body, decision, body.strip());
        }

        static Answer status(int status, String reason, String message, DecisionKind decision) {
            return new Answer(status, false, StatusTexts.statusJson(status, reason, message), decision, message);
        }
    }

    /** Authorization's part, for the user authentication established. */
    static RequestDecision authorized(UserInfo user, Attributes attributes, KubeletAuthorization.Outcome outcome,
            boolean legacyText) {
        return switch (outcome.kind()) {
            case ALLOWED -> new Allowed(outcome.review().label(), outcome.servedFromLastAllow());
            case DENIED -> new Denied(user, attributes, legacyText);
            case FAILED, UNAVAILABLE -> unanswered(user, outcome);
            case POD_LIST_FILTERED -> new AllowedPodList(user);
        };
    }

    /** The refusal for a review without an answer: 503 when it was never asked, the kubelet's 500 when it failed. */
    public static Refusal unanswered(UserInfo user, KubeletAuthorization.Outcome outcome) {
        return outcome.kind() == KubeletAuthorization.Outcome.Kind.UNAVAILABLE
                ? new AuthorizationUnavailable(outcome.reason())
                : new AuthorizationFailed(user, outcome.review(), outcome.reason());
    }
}
