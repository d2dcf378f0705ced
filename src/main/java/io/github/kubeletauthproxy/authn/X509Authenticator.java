package io.github.kubeletauthproxy.authn;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

import reactor.core.publisher.Mono;

/**
 * A client certificate, already verified against the client CA by the TLS layer: user = CN, groups = O.
 * The leaf must carry the clientAuth extended key usage (a certificate without an EKU extension is refused,
 * stricter than Go's "no EKU means any"). An empty CN means "not authenticated by this method".
 */
public final class X509Authenticator implements Authenticator {

    static final String CLIENT_AUTH_EKU = "1.3.6.1.5.5.7.3.2";
    static final String ANY_EKU = "2.5.29.37.0";

    @Override
    public Mono<AuthenticationResult> authenticate(RequestCredentials credentials) {
        if (credentials.clientCertificates().isEmpty()) {
            return Mono.just(AuthenticationResult.notApplicable());
        }
        return Mono.fromSupplier(() -> authenticate(credentials.clientCertificates().get(0)));
    }

    static AuthenticationResult authenticate(X509Certificate leaf) {
        try {
            List<String> usages = leaf.getExtendedKeyUsage();
            if (usages == null || !(usages.contains(CLIENT_AUTH_EKU) || usages.contains(ANY_EKU))) {
                return new AuthenticationResult.Rejected("client certificate lacks the clientAuth extended key usage");
            }
        } catch (CertificateParsingException e) {
            return new AuthenticationResult.Rejected("unreadable extended key usage: " + e.getMessage());
        }
        String user = null;
        List<String> groups = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName(X500Principal.RFC2253)).getRdns()) {
                String type = rdn.getType();
                String value = String.valueOf(rdn.getValue());
                if ("CN".equalsIgnoreCase(type) && user == null) {
                    user = value;
                } else if ("O".equalsIgnoreCase(type)) {
                    groups.add(value);
                }
            }
        } catch (InvalidNameException e) {
            return new AuthenticationResult.Rejected("unreadable certificate subject: " + e.getMessage());
        }
        if (user == null || user.isEmpty()) {
            return AuthenticationResult.notApplicable();
        }
        return new AuthenticationResult.Authenticated(new UserInfo(user, "", groups, Map.of()));
    }
}
