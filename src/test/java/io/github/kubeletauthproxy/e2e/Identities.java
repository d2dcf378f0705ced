package io.github.kubeletauthproxy.e2e;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewSpec;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewSpecBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.SubjectBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.springframework.boot.ssl.pem.PemContent;

/**
 * Makes identities in the real API server: ServiceAccounts with TokenRequest tokens (with audiences) and x509
 * users signed by the cluster CA, bound to ClusterRoles on {@code nodes/<subresource>} with chosen verbs.
 */
public final class Identities {

    public static final String NAMESPACE = "kap-e2e";
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final KubernetesClient admin;
    private final X509Certificate clusterCa;
    private final PrivateKey clusterCaKey;
    private final Map<String, String> env;
    // reviews that must allow once RBAC has seen the bindings made since the last awaitGrants()
    private final List<SubjectAccessReviewSpec> pendingGrants = new ArrayList<>();

    /** {@code verbs} on {@code nodes/<subresource>}. */
    public record Grant(String subresource, List<String> verbs) {
        public static Grant of(String subresource, String... verbs) {
            return new Grant(subresource, List.of(verbs));
        }
    }

    /** {@code verbs} on a namespaced resource of the core group, e.g. {@code pods/log} or {@code pods}. */
    public record NamespacedGrant(String resource, List<String> verbs) {
        public static NamespacedGrant of(String resource, String... verbs) {
            return new NamespacedGrant(resource, List.of(verbs));
        }
    }

    /** An x509 identity: certificate and key, usable as a client TLS identity. */
    public record X509User(String name, X509Certificate certificate, PrivateKey key) {
    }

    Identities(KubernetesClient admin, Map<String, String> env) {
        this.admin = admin;
        this.env = env;
        try {
            this.clusterCa = PemContent.load(Path.of(env.get("CLUSTER_CA_FILE"))).getCertificates().get(0);
            this.clusterCaKey = PemContent.load(Path.of(env.get("CLUSTER_CA_KEY_FILE"))).getPrivateKey();
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the cluster CA: " + e.getMessage(), e);
        }
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
                .createOr(existing -> existing.update());
    }

    /** A ServiceAccount bound to {@code grants}; returns a fresh token for {@code audiences} (empty: the API server's). */
    public String serviceAccountToken(String name, List<String> audiences, Grant... grants) {
        admin.serviceAccounts().inNamespace(NAMESPACE)
                .resource(new ServiceAccountBuilder().withNewMetadata().withName(name).endMetadata().build())
                .createOr(existing -> existing.update());
        bind("ServiceAccount", name, grants);
        var request = new TokenRequestBuilder().withNewSpec().withAudiences(audiences.isEmpty() ? null : audiences)
                .withExpirationSeconds(3600L).endSpec().build();
        return admin.serviceAccounts().inNamespace(NAMESPACE).withName(name).tokenRequest(request).getStatus().getToken();
    }

    /**
     * A token for a real ServiceAccount, signed with the API server's own service-account key and well-formed in
     * every way but one: it expired an hour ago. The API server must refuse it for that reason alone.
     */
    public String expiredServiceAccountToken(String name, Grant... grants) {
        serviceAccountToken(name, List.of(), grants);
        String uid = admin.serviceAccounts().inNamespace(NAMESPACE).withName(name).get().getMetadata().getUid();
        long now = Instant.now().getEpochSecond();
        String claims = """
                {"iss":"https://kubernetes.default.svc","aud":["https://kubernetes.default.svc"],\
                "sub":"%s","iat":%d,"nbf":%d,"exp":%d,\
                "kubernetes.io":{"namespace":"%s","serviceaccount":{"name":"%s","uid":"%s"}}}"""
                .formatted(serviceAccountUser(name), now - 7200, now - 7200, now - 3600, NAMESPACE, name, uid);
        try {
            PrivateKey key = PemContent.load(Path.of(env.get("SERVICE_ACCOUNT_KEY_FILE"))).getPrivateKey();
            var encoder = java.util.Base64.getUrlEncoder().withoutPadding();
            String unsigned = encoder.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                    + "." + encoder.encodeToString(claims.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            java.security.Signature signer = java.security.Signature.getInstance("SHA256withRSA");
            signer.initSign(key);
            signer.update(unsigned.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return unsigned + "." + encoder.encodeToString(signer.sign());
        } catch (Exception e) {
            throw new IllegalStateException("cannot sign an expired token: " + e.getMessage(), e);
        }
    }

    public static String serviceAccountUser(String name) {
        return serviceAccountUser(NAMESPACE, name);
    }

    public static String serviceAccountUser(String namespace, String name) {
        return "system:serviceaccount:" + namespace + ":" + name;
    }

    /** Creates {@code namespace} if needed, with the {@code default} ServiceAccount pod admission wants (no controller runs). */
    public void namespace(String namespace) {
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
                .createOr(existing -> existing.update());
        admin.serviceAccounts().inNamespace(namespace)
                .resource(new ServiceAccountBuilder().withNewMetadata().withName("default").endMetadata().build())
                .createOr(existing -> existing.update());
    }

    /**
     * A ServiceAccount of {@code namespace} whose only permissions are {@code grants} in that namespace (a Role and a
     * RoleBinding there, nothing on nodes); returns a fresh token for the API server's audience.
     */
    public String namespacedServiceAccountToken(String namespace, String name, NamespacedGrant... grants) {
        namespace(namespace);
        admin.serviceAccounts().inNamespace(namespace)
                .resource(new ServiceAccountBuilder().withNewMetadata().withName(name).endMetadata().build())
                .createOr(existing -> existing.update());
        List<io.fabric8.kubernetes.api.model.rbac.PolicyRule> rules = new ArrayList<>();
        for (NamespacedGrant grant : grants) {
            rules.add(new PolicyRuleBuilder().withApiGroups("").withResources(grant.resource()).withVerbs(grant.verbs()).build());
            String[] resource = grant.resource().split("/", 2);
            for (String verb : grant.verbs()) {
                pendingGrants.add(new SubjectAccessReviewSpecBuilder().withUser(serviceAccountUser(namespace, name))
                        .withGroups(List.of("system:serviceaccounts", "system:serviceaccounts:" + namespace))
                        .withNewResourceAttributes().withNamespace(namespace).withVerb(verb).withResource(resource[0])
                        .withSubresource(resource.length > 1 ? resource[1] : null).endResourceAttributes().build());
            }
        }
        String roleName = "kap-e2e-" + name;
        admin.rbac().roles().inNamespace(namespace).resource(new RoleBuilder().withNewMetadata().withName(roleName).endMetadata()
                .withRules(rules).build()).createOr(existing -> existing.update());
        admin.rbac().roleBindings().inNamespace(namespace).resource(new RoleBindingBuilder().withNewMetadata().withName(roleName)
                .endMetadata().withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName(roleName).endRoleRef()
                .withSubjects(new SubjectBuilder().withKind("ServiceAccount").withName(name).withNamespace(namespace).build())
                .build()).createOr(existing -> existing.update());
        var request = new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build();
        return admin.serviceAccounts().inNamespace(namespace).withName(name).tokenRequest(request).getStatus().getToken();
    }

    /** Binds a group (e.g. a cert's O) to {@code grants}. */
    public void bindGroup(String group, Grant... grants) {
        bind("Group", group, grants);
    }

    /** An x509 user signed by the cluster CA (CN = name, O = groups), with the user bound to {@code grants}. */
    public X509User x509User(String name, List<String> groups, Grant... grants) {
        if (grants.length > 0) {
            bind("User", name, grants);
        }
        X500NameBuilder subject = new X500NameBuilder(BCStyle.INSTANCE);
        groups.forEach(group -> subject.addRDN(BCStyle.O, group));
        subject.addRDN(BCStyle.CN, name);
        return x509Subject(name, subject.build());
    }

    /** A client certificate signed by the cluster CA with exactly this subject (order and string types kept). */
    public X509User x509Subject(String name, X500Name subject) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(256);
            KeyPair keys = generator.generateKeyPair();
            var builder = new JcaX509v3CertificateBuilder(new X500Name(clusterCa.getSubjectX500Principal().getName()),
                    BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(Instant.now().minus(Duration.ofMinutes(5))),
                    Date.from(Instant.now().plus(Duration.ofDays(1))), subject, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
            String algorithm = clusterCaKey.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            X509Certificate certificate = new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder(algorithm).build(clusterCaKey)));
            return new X509User(name, certificate, keys.getPrivate());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** An SSLContext trusting the PEM CA bundles given and presenting {@code user} (may be null). */
    public static SSLContext sslContext(X509User user, Path... trustedCaFiles) {
        try {
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(null, null);
            if (user != null) {
                keyStore.setKeyEntry("user", user.key(), new char[0], new X509Certificate[] {user.certificate()});
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keyStore, new char[0]);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (Path file : trustedCaFiles) {
                for (X509Certificate ca : PemContent.load(file).getCertificates()) {
                    trust.setCertificateEntry("ca-" + i++, ca);
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code user} as PEM files (for kubectl). */
    public static void writePem(X509User user, Path certFile, Path keyFile) throws Exception {
        Files.writeString(certFile, io.github.kubeletauthproxy.support.TestPki.pem(user.certificate()));
        Files.writeString(keyFile, io.github.kubeletauthproxy.support.TestPki.pkcs8(user.key()));
    }

    /**
     * Waits until the API server's authorizer answers every grant made since the last call as allowed: RBAC learns
     * new bindings through its informers, a moment after they are written. Polls SubjectAccessReviews, bounded.
     */
    public void awaitGrants() {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        for (SubjectAccessReviewSpec spec : List.copyOf(pendingGrants)) {
            while (!allowed(spec)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("RBAC did not allow " + spec.getResourceAttributes() + " for "
                            + spec.getUser() + " " + spec.getGroups() + " within 30 s");
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            pendingGrants.remove(spec);
        }
    }

    private boolean allowed(SubjectAccessReviewSpec spec) {
        var review = new SubjectAccessReviewBuilder().withSpec(spec).build();
        return Boolean.TRUE.equals(admin.authorization().v1().subjectAccessReview().create(review).getStatus().getAllowed());
    }

    private void bind(String kind, String name, Grant... grants) {
        if (grants.length == 0) {
            return;
        }
        for (Grant grant : grants) {
            for (String verb : grant.verbs()) {
                // the identity as the API server will see it: a ServiceAccount's groups, or a member of the group
                String user = switch (kind) {
                    case "ServiceAccount" -> serviceAccountUser(name);
                    case "User" -> name;
                    default -> "kap-e2e-member-of-" + name;
                };
                List<String> groups = switch (kind) {
                    case "ServiceAccount" -> List.of("system:serviceaccounts", "system:serviceaccounts:" + NAMESPACE);
                    case "User" -> List.of();
                    default -> List.of(name);
                };
                pendingGrants.add(new SubjectAccessReviewSpecBuilder().withUser(user).withGroups(groups)
                        .withNewResourceAttributes().withVerb(verb).withResource("nodes").withSubresource(grant.subresource())
                        .withName("any").endResourceAttributes().build());
            }
        }
        String roleName = "kap-e2e-" + kind.toLowerCase() + "-" + name.replace(':', '-').toLowerCase();
        List<io.fabric8.kubernetes.api.model.rbac.PolicyRule> rules = new ArrayList<>();
        for (Grant grant : grants) {
            rules.add(new PolicyRuleBuilder().withApiGroups("").withResources("nodes/" + grant.subresource())
                    .withVerbs(grant.verbs()).build());
        }
        admin.rbac().clusterRoles().resource(new ClusterRoleBuilder().withNewMetadata().withName(roleName).endMetadata()
                .withRules(rules).build()).createOr(existing -> existing.update());
        var subject = new SubjectBuilder().withKind(kind).withName(name);
        if (kind.equals("ServiceAccount")) {
            subject.withNamespace(NAMESPACE);
        } else {
            subject.withApiGroup("rbac.authorization.k8s.io");
        }
        admin.rbac().clusterRoleBindings().resource(new ClusterRoleBindingBuilder().withNewMetadata().withName(roleName).endMetadata()
                .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole").withName(roleName).endRoleRef()
                .withSubjects(subject.build()).build()).createOr(existing -> existing.update());
    }
}
