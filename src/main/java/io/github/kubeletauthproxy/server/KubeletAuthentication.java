package io.github.kubeletauthproxy.server;

import java.util.List;

import io.github.kubeletauthproxy.authn.RequestCredentials;
import io.github.kubeletauthproxy.authn.UserInfo;
import org.springframework.security.authentication.AbstractAuthenticationToken;

/**
 * Spring Security's view of a kubelet caller: before authentication it carries the request's credentials,
 * after it the user the chain established (which may be {@code system:anonymous}; it is still an
 * authenticated identity for authorization, as in the kubelet, so a denial is 403, not 401).
 */
public final class KubeletAuthentication extends AbstractAuthenticationToken {

    private final transient RequestCredentials credentials;
    private final UserInfo user;

    private KubeletAuthentication(RequestCredentials credentials, UserInfo user) {
        super(List.of());
        this.credentials = credentials;
        this.user = user;
        setAuthenticated(user != null);
    }

    public static KubeletAuthentication unauthenticated(RequestCredentials credentials) {
        return new KubeletAuthentication(credentials, null);
    }

    public static KubeletAuthentication authenticated(UserInfo user) {
        return new KubeletAuthentication(RequestCredentials.none(), user);
    }

    public RequestCredentials requestCredentials() {
        return credentials;
    }

    public UserInfo user() {
        return user;
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
