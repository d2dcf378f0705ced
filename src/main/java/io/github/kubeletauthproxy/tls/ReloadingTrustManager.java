package io.github.kubeletauthproxy.tls;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

import org.springframework.boot.ssl.pem.PemContent;

/** Trusts the CA certificates of a PEM bundle that is re-read when it changes. */
public final class ReloadingTrustManager extends X509ExtendedTrustManager implements Reloadable {

    private final String name;
    private final Path caFile;
    private volatile byte[] source = new byte[0];
    private volatile X509ExtendedTrustManager delegate;

    public ReloadingTrustManager(String name, Path caFile) throws IOException {
        this.name = name;
        this.caFile = caFile;
        reload();
    }

    @Override
    public synchronized boolean reload() throws IOException {
        byte[] bytes = Files.readAllBytes(caFile);
        if (Arrays.equals(bytes, source)) {
            return false;
        }
        List<X509Certificate> cas;
        try {
            cas = PemContent.of(new String(bytes)).getCertificates();
        } catch (RuntimeException e) {
            cas = null;
        }
        if (cas == null || cas.isEmpty()) {
            throw new IOException(caFile + " holds no PEM certificate");
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < cas.size(); i++) {
                store.setCertificateEntry("ca-" + i, cas.get(i));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509ExtendedTrustManager extended) {
                    delegate = extended;
                    source = bytes;
                    return true;
                }
            }
            throw new IOException("no X509 trust manager available");
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot build a trust store from " + caFile + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String describe() {
        return name + " CA bundle " + caFile;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        delegate.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        delegate.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        delegate.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        delegate.checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        delegate.checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return delegate.getAcceptedIssuers();
    }
}
