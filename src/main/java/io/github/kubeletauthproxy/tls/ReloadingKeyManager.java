package io.github.kubeletauthproxy.tls;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

import org.springframework.boot.ssl.pem.PemContent;

/**
 * A key manager whose certificate and key come from PEM files and are swapped when the files change.
 * Each loaded pair gets a new alias and the previous pair stays readable, so a handshake that chose an alias
 * just before a swap still finds a matching chain and key. Reads happen in {@link #reload()}, never during a
 * handshake.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager implements Reloadable {

    private record Material(String alias, PrivateKey key, X509Certificate[] chain, byte[] source) {
    }

    private final String name;
    private final Path certFile;
    private final Path keyFile;
    private final AtomicInteger generation = new AtomicInteger();
    private volatile Material current;
    private volatile Material previous;

    public ReloadingKeyManager(String name, Path certFile, Path keyFile) throws IOException {
        this.name = name;
        this.certFile = certFile;
        this.keyFile = keyFile;
        if (!reload()) {
            throw new IOException("no certificate loaded from " + certFile);
        }
    }

    private ReloadingKeyManager(String name, PrivateKey key, List<X509Certificate> chain) {
        this.name = name;
        this.certFile = null;
        this.keyFile = null;
        this.current = new Material(name + "-0", key, chain.toArray(X509Certificate[]::new), new byte[0]);
    }

    /**
     * A pair held in memory (a kubeconfig's inline client certificate), never reloaded. Handing Netty a key manager
     * rather than the key itself also spares a start the PKCS#12 key store Netty would build and encrypt for it.
     */
    public static ReloadingKeyManager inMemory(String name, PrivateKey key, List<X509Certificate> chain) {
        return new ReloadingKeyManager(name, key, chain);
    }

    @Override
    public synchronized boolean reload() throws IOException {
        if (certFile == null) {
            return false;
        }
        byte[] certBytes = Files.readAllBytes(certFile);
        byte[] keyBytes = Files.readAllBytes(keyFile);
        byte[] source = concat(certBytes, keyBytes);
        Material loaded = current;
        if (loaded != null && Arrays.equals(loaded.source(), source)) {
            return false;
        }
        List<X509Certificate> chain;
        PrivateKey key;
        try {
            chain = PemContent.of(new String(certBytes)).getCertificates();
            key = PemContent.of(new String(keyBytes)).getPrivateKey();
        } catch (RuntimeException e) {
            throw new IOException("cannot read PEM from " + certFile + " / " + keyFile + ": " + e.getMessage(), e);
        }
        if (chain == null || chain.isEmpty()) {
            throw new IOException(certFile + " holds no PEM certificate");
        }
        if (key == null) {
            throw new IOException(keyFile + " holds no PEM private key");
        }
        if (!matches(chain.get(0).getPublicKey(), key)) {
            // a rotation may write the two files one after the other: keep serving the old pair meanwhile
            throw new IOException("the private key in " + keyFile + " does not match the certificate in " + certFile);
        }
        previous = loaded;
        current = new Material(name + "-" + generation.incrementAndGet(), key, chain.toArray(X509Certificate[]::new), source);
        return true;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String describe() {
        return name + " certificate " + (certFile == null ? "(in memory)" : certFile);
    }

    /** The certificate currently served (leaf first). */
    public X509Certificate[] currentChain() {
        return current.chain().clone();
    }

    /** Proves the pair belongs together by signing a nonce with the key and verifying it with the certificate. */
    private static boolean matches(PublicKey publicKey, PrivateKey privateKey) {
        String algorithm = switch (privateKey.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> privateKey.getAlgorithm();
        };
        try {
            byte[] nonce = new byte[32];
            new java.security.SecureRandom().nextBytes(nonce);
            java.security.Signature signer = java.security.Signature.getInstance(algorithm);
            signer.initSign(privateKey);
            signer.update(nonce);
            byte[] signature = signer.sign();
            java.security.Signature verifier = java.security.Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(nonce);
            return verifier.verify(signature);
        } catch (java.security.GeneralSecurityException e) {
            return false;
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private String aliasFor(String keyType) {
        Material material = current;
        String algorithm = material.key().getAlgorithm();
        boolean fits = keyType == null || keyType.equals(algorithm) || keyType.startsWith(algorithm + "_")
                || ("RSASSA-PSS".equals(keyType) && "RSA".equals(algorithm));
        return fits ? material.alias() : null;
    }

    private String aliasFor(String[] keyTypes) {
        if (keyTypes == null) {
            return aliasFor((String) null);
        }
        for (String keyType : keyTypes) {
            String alias = aliasFor(keyType);
            if (alias != null) {
                return alias;
            }
        }
        return null;
    }

    private Material byAlias(String alias) {
        Material material = current;
        if (material.alias().equals(alias)) {
            return material;
        }
        Material old = previous;
        return old != null && old.alias().equals(alias) ? old : null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return aliasFor(keyType);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return aliasFor(keyTypes);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return aliasFor(keyType);
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return aliasFor(keyTypes);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        String alias = aliasFor(keyType);
        return alias == null ? null : new String[] {alias};
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return getServerAliases(keyType, issuers);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Material material = byAlias(alias);
        return material == null ? null : material.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Material material = byAlias(alias);
        return material == null ? null : material.key();
    }
}
