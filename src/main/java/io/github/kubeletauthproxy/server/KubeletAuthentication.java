package io.github.kubeletauthproxy.server;

import java.util.List;

import io.github.kubeletauthproxy.authn.RequestCredentials;
import io.github.kubeletauthproxy.authn.UserInfo;
import io.github.kubeletauthproxy.cache.LastAllowServed;
import org.springframework.security.authentication.AbstractAuthenticationToken;

/**
 * Spring Security's view of a kubelet caller: before authentication it carries the request's credentials, after it
 * either the user the chain established (which may be {@code system:anonymous}; it is still an authenticated identity
 * for authorization, as in the kubelet, so a denial is 403, not 401) or the refusal that ends the request. A refusal
 * travels as this value rather than as an exception, so that authorization turns it into the request's decision.
 */
public final class KubeletAuthentication extends AbstractAuthenticationToken {

    private final transient RequestCredentials credentials;
    private final UserInfo user;
    private final RequestDecision.Refusal refusal;
    private final transient LastAllowServed servedFromLastAllow;

    private KubeletAuthentication(RequestCredentials credentials, UserInfo user, RequestDecision.Refusal refusal,
            LastAllowServed servedFromLastAllow) {
        super(List.of());
        this.credentials = credentials;
        this.user = user;
        this.refusal = refusal;
        this.servedFromLastAllow = servedFromLastAllow;
        setAuthenticated(user != null);
    }

    public static KubeletAuthentication unauthenticated(RequestCredentials credentials) {
        return new KubeletAuthentication(credentials, null, null, null);
    }

    /** {@code servedFromLastAllow}: null unless the user is the API server's last answer for a token (outage mode). */
    public static KubeletAuthentication authenticated(UserInfo user, LastAllowServed servedFromLastAllow) {
        return new KubeletAuthentication(RequestCredentials.none(), user, null, servedFromLastAllow);
    }

    public static KubeletAuthentication refused(RequestDecision.Refusal refusal) {
        return new KubeletAuthentication(RequestCredentials.none(), null, refusal, null);
    }

    public RequestCredentials requestCredentials() {
        return credentials;
    }

    /** The established user; null before authentication and when it refused the request. */
    public UserInfo user() {
        return user;
    }

    /** Set when the user was served from a last allow because the API server did not answer the TokenReview. */
    public LastAllowServed servedFromLastAllow() {
        return servedFromLastAllow;
    }

    /** Why authentication refused the request; null unless it did. */
    public RequestDecision.Refusal refusal() {
        return refusal;
    }

    @Override
    public Object getCredentials() {
        return "";
    }

    @Override
    public Object getPrincipal() {
        return user == null ? "" : user.name();
    }
}
