package io.github.kubeletauthproxy.server;

import io.github.kubeletauthproxy.audit.AuditRecord;
import io.github.kubeletauthproxy.authn.AuthenticationResult;
import io.github.kubeletauthproxy.authn.Authenticator;
import io.github.kubeletauthproxy.authn.UserInfo;
import io.github.kubeletauthproxy.authz.KubeletAuthorization;
import io.github.kubeletauthproxy.authz.LastAllowScope;
import io.github.kubeletauthproxy.cache.LastAllowServed;
import io.github.kubeletauthproxy.request.Screening;
import io.github.kubeletauthproxy.settings.ProxyProperties;
import io.github.kubeletauthproxy.status.Causes;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.ReactiveAuthorizationManager;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.authentication.AuthenticationWebFilter;
import org.springframework.security.web.server.authorization.AuthorizationContext;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher.MatchResult;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Spring Security's seams, filled with the kubelet's semantics: an {@link AuthenticationWebFilter} whose converter
 * extracts credentials and whose manager runs the authenticator chain, and an authorization manager that turns the
 * authentication's outcome and the kubelet's review sequence into the request's {@link RequestDecision}. Authentication
 * never fails in Spring Security's sense: a refusal travels in the {@link KubeletAuthentication} to authorization, so
 * that every decision is made, and answered, in one place. Everything Spring Security would add on its own (sessions,
 * CSRF, response headers, login pages) is off: answers must look like the kubelet's.
 */
@Configuration(proxyBeanMethods = false)
public class SecurityConfiguration {

    @Bean
    SecurityWebFilterChain kubeletSecurity(ServerHttpSecurity http, Authenticator authenticator,
            KubeletAuthorization authorization, LastAllowScope lastAllowScope, ProxyProperties properties,
            ManagementPort managementPort) {
        boolean legacyForbidden = properties.authorization().forbiddenMessage() == ProxyProperties.ForbiddenMessage.LEGACY;

        AuthenticationWebFilter authentication = new AuthenticationWebFilter(
                (Authentication request) -> authenticate(authenticator, (KubeletAuthentication) request));
        authentication.setServerAuthenticationConverter(new CredentialsConverter());

        ServerWebExchangeMatcher proxyTraffic = exchange -> managementPort.isManagementRequest(exchange)
                ? MatchResult.notMatch() : MatchResult.match();

        return http.securityMatcher(proxyTraffic)
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .headers(ServerHttpSecurity.HeaderSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .anonymous(ServerHttpSecurity.AnonymousSpec::disable)
                .requestCache(cache -> cache.requestCache(NoOpServerRequestCache.getInstance()))
                .addFilterAt(authentication, SecurityWebFiltersOrder.AUTHENTICATION)
                .authorizeExchange(exchanges -> exchanges.anyExchange()
                        .access(kubeletAuthorization(authorization, lastAllowScope, legacyForbidden)))
                // a refused request reaches the entry point (authentication refused it) or the access-denied handler
                // (authorization did); either way the answer is the refusal already decided
                .exceptionHandling(handling -> handling
                        .authenticationEntryPoint((exchange, e) -> ProxyResponses.refuseAsDecided(exchange))
                        .accessDeniedHandler((exchange, denied) -> ProxyResponses.refuseAsDecided(exchange)))
                .build();
    }

    /** The user the chain established, or the refusal: 401 without one, 503 when the API server did not answer. */
    private static Mono<Authentication> authenticate(Authenticator authenticator, KubeletAuthentication request) {
        return authenticator.authenticate(request.requestCredentials())
                .map(result -> {
                    if (result instanceof AuthenticationResult.Authenticated ok) {
                        return KubeletAuthentication.authenticated(ok.user(), ok.servedFromLastAllow());
                    }
                    String reason = result instanceof AuthenticationResult.Rejected rejected
                            ? rejected.reason() : RequestDecision.Unauthenticated.NO_CREDENTIALS;
                    return KubeletAuthentication.refused(new RequestDecision.Unauthenticated(reason));
                })
                .onErrorResume(e -> Mono.just(KubeletAuthentication.refused(
                        new RequestDecision.AuthenticationUnavailable(Causes.describe(e)))))
                .cast(Authentication.class);
    }

    /** Grants exactly the requests {@link #decide} allows; the decision is kept for the refusal handlers. */
    private static ReactiveAuthorizationManager<AuthorizationContext> kubeletAuthorization(KubeletAuthorization authorization,
            LastAllowScope lastAllowScope, boolean legacyForbidden) {
        return (authentication, context) -> {
            ServerWebExchange exchange = context.getExchange();
            return authentication.cast(KubeletAuthentication.class)
                    .flatMap(kubelet -> decide(kubelet, exchange, authorization, lastAllowScope, legacyForbidden))
                    .map(decision -> {
                        ProxyResponses.decided(exchange, decision);
                        return new AuthorizationDecision(!(decision instanceof RequestDecision.Refusal));
                    });
        };
    }

    /**
     * Authentication's refusal stands; so does the TokenReview's failure for a request outside the outage scope when the
     * user came from a last allow; otherwise the user's reviews of the screened request's records decide.
     */
    private static Mono<RequestDecision> decide(KubeletAuthentication authentication, ServerWebExchange exchange,
            KubeletAuthorization authorization, LastAllowScope lastAllowScope, boolean legacyForbidden) {
        if (authentication.refusal() != null) {
            return Mono.just(authentication.refusal());
        }
        Screening.Accepted accepted = exchange.getAttribute(ScreeningWebFilter.ACCEPTED);
        if (accepted == null) {
            // the screen runs before Spring Security on all traffic Spring Security sees: a missing screening is a bug
            return Mono.error(new IllegalStateException("request reached authorization without being screened"));
        }
        LastAllowServed lastAuthentication = authentication.servedFromLastAllow();
        if (lastAuthentication != null) {
            if (!lastAllowScope.covers(accepted.attributes())) {
                // a scraper's last allow never opens exec, proxy or a write: refused as without the outage mode
                return Mono.just(new RequestDecision.AuthenticationUnavailable(lastAuthentication.failure()
                        + " (the token's last authentication is used only for the outage scope)"));
            }
            AuditRecord.of(exchange).servedFromLastAllow(AuditRecord.AUTHENTICATION, lastAuthentication);
        }
        UserInfo user = authentication.user();
        // noted now, not with the decision: a request abandoned during its reviews is still audited with its user
        AuditRecord.of(exchange).user(user);
        return authorization.authorize(user, accepted.attributes())
                .map(outcome -> RequestDecision.authorized(user, accepted.attributes(), outcome, legacyForbidden));
    }
}
