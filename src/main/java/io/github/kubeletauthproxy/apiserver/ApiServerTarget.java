package io.github.kubeletauthproxy.apiserver;

import java.net.URI;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * Where the API server is and how the proxy proves who it is, resolved once at start by {@link Kubeconfig}.
 *
 * @param server         the API server's base URL ({@code https://host:port}; {@code http} only for test fakes)
 * @param ca             CAs the API server's certificate must chain to; empty means the JVM's default trust store
 * @param insecure       no verification of the API server's certificate (a kubeconfig's insecure-skip-tls-verify)
 * @param clientCertificates a client certificate chain, with {@code clientKey}, or empty
 * @param token          a bearer token, or null
 * @param tokenFile      a bearer token file, re-read when it changes (wins over {@code token}, as in client-go), or null
 * @param source         where this came from, for messages
 */
public record ApiServerTarget(URI server, List<X509Certificate> ca, boolean insecure,
        List<X509Certificate> clientCertificates, PrivateKey clientKey, String token, Path tokenFile, String source) {

    public ApiServerTarget {
        ca = List.copyOf(ca);
        clientCertificates = List.copyOf(clientCertificates);
        if (clientCertificates.isEmpty() != (clientKey == null)) {
            throw new IllegalArgumentException(source + ": a client certificate needs its key, and a key its certificate");
        }
    }
}
