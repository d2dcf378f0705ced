package io.github.kubeletauthproxy.support;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throw-away certificate authority for tests: issues server and client certificates as PEM files. */
public final class TestPki {

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final String name;
    private final KeyPair caKeys;
    private final X509Certificate caCert;

    public TestPki(String name) {
        this.name = name;
        this.caKeys = newKeys();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, name + "-ca").build();
        try {
            org.bouncycastle.cert.X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(), from(), until(), subject, caKeys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            this.caCert = sign(builder, caKeys);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A certificate and its key. */
    public record Issued(X509Certificate certificate, KeyPair keys) {
    }

    public X509Certificate caCertificate() {
        return caCert;
    }

    public Issued server(String commonName, List<String> ipAddresses, List<String> dnsNames) {
        return issue(commonName, List.of(), KeyPurposeId.id_kp_serverAuth, ipAddresses, dnsNames);
    }

    public Issued client(String user, List<String> groups) {
        return issue(user, groups, KeyPurposeId.id_kp_clientAuth, List.of(), List.of());
    }

    /** A client certificate without any extended key usage (the proxy refuses these). */
    public Issued clientWithoutEku(String user) {
        return issue(user, List.of(), null, List.of(), List.of());
    }

    /** A client certificate with exactly this subject (attribute order, string types and multi-valued RDNs kept). */
    public Issued clientWithSubject(X500Name subject) {
        return issue(subject, KeyPurposeId.id_kp_clientAuth, List.of(), List.of());
    }

    private Issued issue(String commonName, List<String> groups, KeyPurposeId usage, List<String> ips, List<String> dns) {
        X500NameBuilder subjectBuilder = new X500NameBuilder(BCStyle.INSTANCE);
        for (String group : groups) {
            subjectBuilder.addRDN(BCStyle.O, group);
        }
        if (!commonName.isEmpty()) {
            subjectBuilder.addRDN(BCStyle.CN, commonName);
        }
        return issue(subjectBuilder.build(), usage, ips, dns);
    }

    private Issued issue(X500Name subject, KeyPurposeId usage, List<String> ips, List<String> dns) {
        KeyPair keys = newKeys();
        try {
            X500Name issuer = new X500Name(caCert.getSubjectX500Principal().getName());
            org.bouncycastle.cert.X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, serial(), from(), until(), subject,
                    keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            if (usage != null) {
                builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(usage));
            }
            if (!ips.isEmpty() || !dns.isEmpty()) {
                GeneralName[] names = new GeneralName[ips.size() + dns.size()];
                int i = 0;
                for (String ip : ips) {
                    names[i++] = new GeneralName(GeneralName.iPAddress, ip);
                }
                for (String host : dns) {
                    names[i++] = new GeneralName(GeneralName.dNSName, host);
                }
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            return new Issued(sign(builder, caKeys), keys);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public void writeCa(Path file) throws IOException {
        Files.writeString(file, pem(caCert));
    }

    public static void write(Issued issued, Path certFile, Path keyFile) throws IOException {
        Files.writeString(certFile, pem(issued.certificate()));
        Files.writeString(keyFile, pkcs8(issued.keys().getPrivate()));
    }

    /** PKCS#8 PEM, what {@code openssl genpkey} writes. */
    public static String pkcs8(java.security.PrivateKey key) {
        return "-----BEGIN PRIVATE KEY-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }

    public static String pem(Object object) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        }
        return out.toString();
    }

    /** An SSLContext presenting {@code identity} (may be null) and trusting this CA. */
    public SSLContext sslContext(Issued identity) {
        return sslContext(identity, this);
    }

    /** An SSLContext presenting {@code identity} (issued by this CA; may be null) and trusting {@code trusted}'s CA. */
    public SSLContext sslContext(Issued identity, TestPki trusted) {
        try {
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(null, null);
            if (identity != null) {
                keyStore.setKeyEntry("id", identity.keys().getPrivate(), new char[0],
                        new X509Certificate[] {identity.certificate(), caCert});
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keyStore, new char[0]);
            KeyStore trustStore = KeyStore.getInstance("PKCS12");
            trustStore.load(null, null);
            trustStore.setCertificateEntry("ca", trusted.caCert);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trustStore);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
            return context;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate sign(org.bouncycastle.cert.X509v3CertificateBuilder builder, KeyPair signer) throws Exception {
        var signerBuilder = new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(builder.build(signerBuilder));
    }

    private static KeyPair newKeys() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(256);
            return generator.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static BigInteger serial() {
        return BigInteger.valueOf(SERIAL.incrementAndGet());
    }

    private static Date from() {
        return Date.from(Instant.now().minus(Duration.ofHours(1)));
    }

    private static Date until() {
        return Date.from(Instant.now().plus(Duration.ofDays(2)));
    }

    @Override
    public String toString() {
        return "TestPki[" + name + "]";
    }
}
