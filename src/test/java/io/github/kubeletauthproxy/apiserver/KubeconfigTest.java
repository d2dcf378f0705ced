package io.github.kubeletauthproxy.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import io.github.kubeletauthproxy.support.TestPki;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KubeconfigTest {

    @TempDir
    Path dir;

    TestPki pki = new TestPki("kubeconfig-test");
    TestPki.Issued client = pki.client("proxy", List.of("system:masters"));
    String caPem;

    @BeforeEach
    void files() throws IOException {
        pki.writeCa(dir.resolve("ca.crt"));
        TestPki.write(client, dir.resolve("client.crt"), dir.resolve("client.key"));
        caPem = Files.readString(dir.resolve("ca.crt"));
    }

    Path kubeconfig(String cluster, String user) throws IOException {
        Path file = dir.resolve("kubeconfig");
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                current-context: main
                contexts:
                - name: other
                  context: {cluster: nowhere, user: nobody}
                - name: main
                  context: {cluster: local, user: proxy, namespace: kube-system}
                clusters:
                - name: local
                  cluster:
                %s
                users:
                - name: proxy
                  user:
                %s
                """.formatted(cluster.indent(4).stripTrailing(), user.indent(4).stripTrailing()));
        return file;
    }

    static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theCurrentContextsServerCaAndClientCertificateFilesRelativeToTheKubeconfig() throws IOException {
        ApiServerTarget target = Kubeconfig.read(kubeconfig("""
                server: https://10.0.0.1:6443/
                certificate-authority: ca.crt""", """
                client-certificate: client.crt
                client-key: client.key"""));
        assertThat(target.server()).isEqualTo(URI.create("https://10.0.0.1:6443"));
        assertThat(target.ca()).containsExactly(pki.caCertificate());
        assertThat(target.insecure()).isFalse();
        assertThat(target.clientCertificates()).containsExactly(client.certificate());
        assertThat(target.clientKey().getEncoded()).isEqualTo(client.keys().getPrivate().getEncoded());
        assertThat(target.token()).isNull();
        assertThat(target.tokenFile()).isNull();
    }

    @Test
    void inlineDataAndATokenFileThatWinsOverAToken() throws IOException {
        ApiServerTarget target = Kubeconfig.read(kubeconfig("""
                server: https://api.example:443
                certificate-authority-data: %s""".formatted(base64(caPem)), """
                token: fixed
                tokenFile: token"""));
        assertThat(target.ca()).containsExactly(pki.caCertificate());
        assertThat(target.token()).isEqualTo("fixed");
        assertThat(target.tokenFile()).isEqualTo(dir.resolve("token"));
        assertThat(target.clientCertificates()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            an exec plugin | server: https://a:1 | exec: {command: gcloud} | 'exec' is not supported
            an auth provider | server: https://a:1 | auth-provider: {name: oidc} | 'auth-provider' is not supported
            basic auth | server: https://a:1 | username: admin | 'username' is not supported
            impersonation | server: https://a:1 | as: admin | 'as' is not supported
            a proxy | proxy-url: http://p:3128 | token: t | 'proxy-url' is not supported
            another TLS server name | tls-server-name: x | token: t | 'tls-server-name' is not supported
            no server | insecure-skip-tls-verify: true | token: t | no server
            a server that is not a URL | server: not a url | token: t | is not a URL
            a plain host | server: a.example:6443 | token: t | must be an https:// URL
            a CA file that is missing | server: https://a:1\\ncertificate-authority: missing.crt | token: t | cannot read
            a key without certificate | server: https://a:1 | client-key: client.key | needs its key
            insecure with a CA | server: https://a:1\\ninsecure-skip-tls-verify: true\\ncertificate-authority: ca.crt | token: t | exclude each other
            """)
    void whatWouldChangeWhoTheProxyIsOrHowItConnectsIsRefusedWithTheReason(String what, String cluster, String user,
            String message) throws IOException {
        Path file = kubeconfig(cluster.replace("\\n", "\n"), user);
        assertThatThrownBy(() -> Kubeconfig.read(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message).hasMessageContaining(file.toString());
    }

    @Test
    void aContextThatNamesNoSuchClusterIsRefused() throws IOException {
        Path file = kubeconfig("server: https://a:1", "token: t");
        Files.writeString(file, Files.readString(file).replace("current-context: main", "current-context: other"));
        assertThatThrownBy(() -> Kubeconfig.read(file)).hasMessageContaining("no cluster named 'nowhere'");
        Files.writeString(file, Files.readString(file).replace("current-context: other", "current-context: ''"));
        assertThatThrownBy(() -> Kubeconfig.read(file)).hasMessageContaining("no current-context");
    }

    @Test
    void withoutASettingKubeconfigEnvThenHomeThenTheServiceAccount() throws IOException {
        Path explicit = kubeconfig("server: https://explicit:1", "token: t");
        Path home = Files.createDirectories(dir.resolve("home"));
        Path serviceAccount = Files.createDirectories(dir.resolve("sa"));
        Files.writeString(serviceAccount.resolve("token"), "sa-token");
        Files.copy(dir.resolve("ca.crt"), serviceAccount.resolve("ca.crt"));
        Map<String, String> inPod = Map.of("KUBERNETES_SERVICE_HOST", "fd00::1", "KUBERNETES_SERVICE_PORT", "443");

        assertThat(Kubeconfig.resolve(explicit.toString(), inPod, home, serviceAccount).server())
                .isEqualTo(URI.create("https://explicit:1"));
        ApiServerTarget pod = Kubeconfig.resolve(null, inPod, home, serviceAccount);
        assertThat(pod.server()).isEqualTo(URI.create("https://[fd00::1]:443"));
        assertThat(pod.tokenFile()).isEqualTo(serviceAccount.resolve("token"));
        assertThat(pod.ca()).containsExactly(pki.caCertificate());
        assertThat(Kubeconfig.resolve(null, Map.of("KUBECONFIG", dir.resolve("absent") + ":" + explicit), home,
                serviceAccount).server()).isEqualTo(URI.create("https://explicit:1"));

        Files.createDirectories(home.resolve(".kube"));
        Files.copy(explicit, home.resolve(".kube/config"));
        assertThat(Kubeconfig.resolve(null, inPod, home, serviceAccount).server()).isEqualTo(URI.create("https://explicit:1"));

        assertThatThrownBy(() -> Kubeconfig.resolve(null, Map.of(), dir.resolve("nohome"), serviceAccount))
                .hasMessageContaining("no API server");
        assertThatThrownBy(() -> Kubeconfig.resolve(null, inPod, dir.resolve("nohome"), dir.resolve("nosa")))
                .hasMessageContaining("is a ServiceAccount token mounted");
    }
}
