package io.github.kubeletauthproxy.server;

import io.github.kubeletauthproxy.audit.AuditRecord;
import io.github.kubeletauthproxy.authn.AuthenticationResult;
import io.github.kubeletauthproxy.authn.Authenticator;
import io.github.kubeletauthproxy.authz.KubeletAuthorization;
import io.github.kubeletauthproxy.settings.ProxyProperties;
import io.github.kubeletauthproxy.request.Screening;
import io.github.kubeletauthproxy.status.StatusTexts;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.AuthorizationResult;
import org.springframework.security.access.AuthorizationServiceException;
import org.springframework.security.authorization.ReactiveAuthorizationManager;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.authentication.AuthenticationWebFilter;
import org.springframework.security.web.server.authorization.AuthorizationContext;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatcher.MatchResult;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Spring Security's seams, filled with the kubelet's semantics: an {@link AuthenticationWebFilter} whose
 * converter extracts credentials and whose manager runs the authenticator chain, and an authorization
 * manager that runs the kubelet's review sequence. Everything Spring Security would add on its own
 * (sessions, CSRF, response headers, login pages) is off: answers must look like the kubelet's.
 */
@Configuration(proxyBeanMethods = false)
public class SecurityConfiguration {

    @Bean
    SecurityWebFilterChain kubeletSecurity(ServerHttpSecurity http, Authenticator authenticator,
            KubeletAuthorization authorization, ProxyProperties properties, ManagementPort managementPort) {
        boolean legacyForbidden = properties.authorization().forbiddenMessage() == ProxyProperties.ForbiddenMessage.LEGACY;

        AuthenticationWebFilter authentication = new AuthenticationWebFilter(
                (Authentication request) -> authenticate(authenticator, (KubeletAuthentication) request));
        authentication.setServerAuthenticationConverter(new CredentialsConverter());
        authentication.setAuthenticationFailureHandler((filterExchange, failure) -> {
            ServerWebExchange exchange = filterExchange.getExchange();
            AuditRecord.of(exchange).decision(AuditRecord.DecisionKind.UNAUTHENTICATED);
            if (failure instanceof AuthenticationServiceException) {
                return ProxyResponses.status(exchange, 503, "ServiceUnavailable",
                        "cannot authenticate the request: the API server did not answer the TokenReview");
            }
            return ProxyResponses.text(exchange, 401, StatusTexts.unauthorized());
        });

        ServerWebExchangeMatcher proxyTraffic = exchange -> managementPort.isManagementRequest(exchange)
                ? MatchResult.notMatch() : MatchResult.match();

        return http.securityMatcher(proxyTraffic)
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .headers(ServerHttpSecurity.HeaderSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .anonymous(ServerHttpSecurity.AnonymousSpec::disable)
                .requestCache(cache -> cache.requestCache(org.springframework.security.web.server.savedrequest.NoOpServerRequestCache.getInstance()))
                .addFilterAt(authentication, SecurityWebFiltersOrder.AUTHENTICATION)
                .authorizeExchange(exchanges -> exchanges.anyExchange().access(kubeletAuthorization(authorization)))
                .exceptionHandling(handling -> handling
                        .authenticationEntryPoint((exchange, e) -> {
                            AuditRecord.of(exchange).decision(AuditRecord.DecisionKind.UNAUTHENTICATED);
                            return ProxyResponses.text(exchange, 401, StatusTexts.unauthorized());
                        })
                        .accessDeniedHandler((exchange, denied) -> {
                            AuditRecord audit = AuditRecord.of(exchange);
                            String user = audit.user() == null ? "" : audit.user().name();
                            if (denied instanceof AuthorizationServiceException
                                    && denied.getCause() instanceof KubeletAuthorization.AuthorizationFailure failure) {
                                audit.decision(AuditRecord.DecisionKind.ERROR);
                                return ProxyResponses.text(exchange, 500,
                                        StatusTexts.authorizationError(user, audit.verb(), failure.subresource()));
                            }
                            audit.decision(AuditRecord.DecisionKind.DENY);
                            return ProxyResponses.text(exchange, 403,
                                    StatusTexts.forbidden(user, audit.verb(), audit.subresources(), legacyForbidden));
                        }))
                .build();
    }

    private static Mono<Authentication> authenticate(Authenticator authenticator, KubeletAuthentication request) {
        return authenticator.authenticate(request.requestCredentials())
                .onErrorMap(e -> new AuthenticationServiceException("authentication failed: " + e.getMessage(), e))
                .flatMap(result -> {
                    if (result instanceof AuthenticationResult.Authenticated ok) {
                        return Mono.just(KubeletAuthentication.authenticated(ok.user()));
                    }
                    String reason = result instanceof AuthenticationResult.Rejected rejected ? rejected.reason() : "no credentials";
                    return Mono.error(new BadCredentialsException(reason));
                });
    }

    private static ReactiveAuthorizationManager<AuthorizationContext> kubeletAuthorization(KubeletAuthorization authorization) {
        return new ReactiveAuthorizationManager<>() {
            @Override
            public Mono<AuthorizationResult> authorize(Mono<Authentication> authentication, AuthorizationContext context) {
                ServerWebExchange exchange = context.getExchange();
                Screening.Accepted accepted = exchange.getAttribute(ScreeningWebFilter.ACCEPTED);
                if (accepted == null) {
                    return Mono.just(new AuthorizationDecision(false));
                }
                AuditRecord audit = AuditRecord.of(exchange);
                return authentication
                        .filter(auth -> auth instanceof KubeletAuthentication kubelet && kubelet.user() != null)
                        .map(auth -> ((KubeletAuthentication) auth).user())
                        .flatMap(user -> {
                            audit.user(user);
                            return authorization.authorize(user, accepted.attributes());
                        })
                        .map(outcome -> {
                            if (outcome.allowed()) {
                                audit.decision(AuditRecord.DecisionKind.ALLOW);
                                audit.allowedSubresource(outcome.allowedSubresource());
                            }
                            return (AuthorizationResult) new AuthorizationDecision(outcome.allowed());
                        })
                        .onErrorMap(KubeletAuthorization.AuthorizationFailure.class,
                                failure -> new AuthorizationServiceException(failure.getMessage(), failure))
                        .defaultIfEmpty(new AuthorizationDecision(false));
            }
        };
    }

}
