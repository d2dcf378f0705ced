package io.github.kubeletauthproxy.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.Base64;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import org.springframework.boot.ssl.pem.PemContent;

/**
 * The tests' fabric8 clients (admin work on the real API server), on the JDK HTTP client. fabric8 assumes RSA
 * for a PKCS#8 {@code PRIVATE KEY} in a kubeconfig, so EC client keys (k3s, our local node) would fail to load:
 * the key's real algorithm is read here and handed to fabric8.
 */
public final class KubernetesClients {

    private KubernetesClients() {
    }

    /** A client from a kubeconfig file, or from the usual places (in-cluster, $KUBECONFIG) when null. */
    public static KubernetesClient create(String kubeconfig, java.util.function.UnaryOperator<ConfigBuilder> tuning) {
        Config base = kubeconfig == null ? Config.autoConfigure(null) : Config.fromKubeconfig(new File(kubeconfig));
        ConfigBuilder builder = new ConfigBuilder(base);
        clientKeyAlgorithm(base).ifPresent(builder::withClientKeyAlgo);
        return new KubernetesClientBuilder().withConfig(tuning.apply(builder).build())
                .withHttpClientFactory(new JdkHttpClientFactory()).build();
    }

    static java.util.Optional<String> clientKeyAlgorithm(Config config) {
        try {
            String pem = null;
            if (config.getClientKeyData() != null) {
                pem = new String(Base64.getDecoder().decode(config.getClientKeyData().trim()), StandardCharsets.UTF_8);
            } else if (config.getClientKeyFile() != null) {
                pem = Files.readString(Path.of(config.getClientKeyFile()));
            }
            if (pem == null) {
                return java.util.Optional.empty();
            }
            PrivateKey key = PemContent.of(pem).getPrivateKey();
            return java.util.Optional.ofNullable(key).map(PrivateKey::getAlgorithm);
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }
}
