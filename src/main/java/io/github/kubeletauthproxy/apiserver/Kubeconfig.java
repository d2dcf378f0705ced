package io.github.kubeletauthproxy.apiserver;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import org.springframework.boot.ssl.pem.PemContent;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Finds the API server the way client tools do: a kubeconfig named by the setting, else {@code $KUBECONFIG}, else
 * {@code ~/.kube/config}, else the pod's ServiceAccount (in-cluster). Only what a proxy needs is read: the current
 * context's server, CA, and a token, token file or client certificate. Anything a kubeconfig may say that would
 * change how the proxy connects or who it is (exec and auth-provider plugins, basic auth, impersonation, a proxy,
 * another TLS server name) is refused with a message rather than quietly ignored.
 */
public final class Kubeconfig {

    public static final Path SERVICE_ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

    private static final Set<String> CLUSTER_KEYS = Set.of("server", "certificate-authority", "certificate-authority-data",
            "insecure-skip-tls-verify", "disable-compression", "extensions");
    private static final Set<String> USER_KEYS = Set.of("token", "tokenFile", "client-certificate", "client-certificate-data",
            "client-key", "client-key-data", "extensions");

    private Kubeconfig() {
    }

    /**
     * @param setting the configured kubeconfig path, or null
     * @param env     the process environment
     * @param home    the user's home directory
     * @param serviceAccount the mounted ServiceAccount directory (token, ca.crt)
     */
    public static ApiServerTarget resolve(String setting, Map<String, String> env, Path home, Path serviceAccount) {
        if (setting != null) {
            return read(Path.of(setting));
        }
        String fromEnv = env.get("KUBECONFIG");
        if (fromEnv != null && !fromEnv.isBlank()) {
            // a list of files is merged by kubectl; the proxy takes the first that exists
            for (String candidate : fromEnv.split(java.io.File.pathSeparator)) {
                if (!candidate.isBlank() && Files.exists(Path.of(candidate))) {
                    return read(Path.of(candidate));
                }
            }
        }
        Path userConfig = home.resolve(".kube").resolve("config");
        if (Files.exists(userConfig)) {
            return read(userConfig);
        }
        if (env.get("KUBERNETES_SERVICE_HOST") != null) {
            return inCluster(env, serviceAccount);
        }
        throw new IllegalArgumentException("no API server: set the kubeconfig setting, $KUBECONFIG, or run in a pod "
                + "with a ServiceAccount token");
    }

    static ApiServerTarget inCluster(Map<String, String> env, Path serviceAccount) {
        String host = env.get("KUBERNETES_SERVICE_HOST");
        String port = env.getOrDefault("KUBERNETES_SERVICE_PORT", "443");
        Path token = serviceAccount.resolve("token");
        Path ca = serviceAccount.resolve("ca.crt");
        if (!Files.isReadable(token) || !Files.isReadable(ca)) {
            throw new IllegalArgumentException("in-cluster: cannot read " + token + " and " + ca
                    + " (is a ServiceAccount token mounted?)");
        }
        String source = "in-cluster ServiceAccount";
        URI server = uri("https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port, source);
        return new ApiServerTarget(server, certificates(readString(ca, source), source), false, List.of(), null, null, token,
                source);
    }

    /** Reads the current context of one kubeconfig file; relative paths in it are relative to the file. */
    public static ApiServerTarget read(Path file) {
        String source = "kubeconfig " + file;
        Map<String, Object> root = map(new Yaml(new SafeConstructor(new LoaderOptions())).load(readString(file, source)),
                source);
        Object current = root.get("current-context");
        if (!(current instanceof String contextName) || contextName.isBlank()) {
            throw new IllegalArgumentException(source + ": no current-context");
        }
        Map<String, Object> context = named(root, "contexts", "context", contextName, source);
        String clusterName = string(context, "cluster", source + " context " + contextName);
        // a context without a user talks to the API server without credentials
        String userName = context.get("user") == null ? "" : string(context, "user", source + " context " + contextName);
        Map<String, Object> cluster = named(root, "clusters", "cluster", clusterName, source);
        String clusterSource = source + " cluster " + clusterName;
        refuseUnknown(cluster, CLUSTER_KEYS, clusterSource);
        Path dir = file.toAbsolutePath().getParent();
        Function<String, Path> relative = name -> dir.resolve(name);

        URI server = uri(string(cluster, "server", clusterSource), clusterSource);
        String caPem = pem(cluster, "certificate-authority", relative, clusterSource);
        boolean insecure = Boolean.TRUE.equals(cluster.get("insecure-skip-tls-verify"));
        if (insecure && caPem != null) {
            throw new IllegalArgumentException(clusterSource + ": insecure-skip-tls-verify and a certificate authority "
                    + "exclude each other");
        }

        Map<String, Object> user = userName.isEmpty() ? Map.of() : named(root, "users", "user", userName, source);
        String userSource = source + " user " + userName;
        refuseUnknown(user, USER_KEYS, userSource);
        String certPem = pem(user, "client-certificate", relative, userSource);
        String keyPem = pem(user, "client-key", relative, userSource);
        List<X509Certificate> chain = certPem == null ? List.of() : certificates(certPem, userSource);
        PrivateKey key = keyPem == null ? null : privateKey(keyPem, userSource);
        Object token = user.get("token");
        Object tokenFile = user.get("tokenFile");
        return new ApiServerTarget(server, caPem == null ? List.of() : certificates(caPem, clusterSource), insecure, chain,
                key, token instanceof String t && !t.isBlank() ? t : null,
                tokenFile instanceof String f && !f.isBlank() ? relative.apply(f) : null, source);
    }

    private static void refuseUnknown(Map<String, Object> section, Set<String> known, String source) {
        for (String key : section.keySet()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException(source + ": '" + key + "' is not supported by kubelet-auth-proxy "
                        + "(supported: a token, a tokenFile or a client certificate, and the cluster's server and CA)");
            }
        }
    }

    /** The PEM text of {@code key}-data (base64) or of the file {@code key} names. */
    private static String pem(Map<String, Object> section, String key, Function<String, Path> relative, String source) {
        Object data = section.get(key + "-data");
        Object file = section.get(key);
        if (data instanceof String d && !d.isBlank()) {
            try {
                return new String(Base64.getDecoder().decode(d.strip()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ": " + key + "-data is not base64", e);
            }
        }
        if (file instanceof String f && !f.isBlank()) {
            return readString(relative.apply(f), source + " " + key);
        }
        return null;
    }

    private static List<X509Certificate> certificates(String pem, String source) {
        List<X509Certificate> certificates = PemContent.of(pem).getCertificates();
        if (certificates == null || certificates.isEmpty()) {
            throw new IllegalArgumentException(source + ": no PEM certificate found");
        }
        return certificates;
    }

    private static PrivateKey privateKey(String pem, String source) {
        try {
            PrivateKey key = PemContent.of(pem).getPrivateKey();
            if (key == null) {
                throw new IllegalArgumentException("no PEM private key found");
            }
            return key;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(source + ": client key: " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> named(Map<String, Object> root, String listKey, String entryKey, String name,
            String source) {
        if (root.get(listKey) instanceof List<?> entries) {
            for (Object entry : entries) {
                Map<String, Object> item = map(entry, source + " " + listKey);
                if (name.equals(item.get("name"))) {
                    return item.get(entryKey) == null ? Map.of() : map(item.get(entryKey), source + " " + listKey + " " + name);
                }
            }
        }
        throw new IllegalArgumentException(source + ": no " + entryKey + " named '" + name + "'");
    }

    private static String string(Map<String, Object> section, String key, String source) {
        Object value = section.get(key);
        if (value == null) {
            throw new IllegalArgumentException(source + ": no " + key);
        }
        if (!(value instanceof String text)) {
            throw new IllegalArgumentException(source + ": " + key + " must be a string");
        }
        return text;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value, String source) {
        if (!(value instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(source + ": not a YAML mapping");
        }
        return (Map<String, Object>) map;
    }

    private static URI uri(String text, String source) {
        try {
            URI uri = new URI(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
            if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
                throw new IllegalArgumentException(source + ": server must be an https:// URL, got '" + text + "'");
            }
            if (uri.getHost() == null) {
                throw new URISyntaxException(text, "no host");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(source + ": server '" + text + "' is not a URL", e);
        }
    }

    private static String readString(Path file, String source) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
