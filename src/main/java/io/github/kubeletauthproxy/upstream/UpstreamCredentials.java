package io.github.kubeletauthproxy.upstream;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.github.kubeletauthproxy.tls.Reloadable;
import io.github.kubeletauthproxy.tls.ReloadingKeyManager;
import io.github.kubeletauthproxy.tls.ReloadingTrustManager;
import io.github.kubeletauthproxy.tls.TokenFile;

/**
 * What the proxy uses toward the kubelet: the CA that verifies it (absent only in insecure mode) and one
 * credential, a client certificate or a bearer token (or neither). Each part reloads from its files.
 */
public record UpstreamCredentials(ReloadingTrustManager ca, ReloadingKeyManager clientCertificate, TokenFile token) {

    public Optional<ReloadingTrustManager> caBundle() {
        return Optional.ofNullable(ca);
    }

    public Optional<ReloadingKeyManager> certificate() {
        return Optional.ofNullable(clientCertificate);
    }

    public Optional<TokenFile> bearerToken() {
        return Optional.ofNullable(token);
    }

    public List<Reloadable> reloadables() {
        List<Reloadable> all = new ArrayList<>();
        caBundle().ifPresent(all::add);
        certificate().ifPresent(all::add);
        bearerToken().ifPresent(all::add);
        return all;
    }
}
