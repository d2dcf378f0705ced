package io.github.kubeletauthproxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.github.kubeletauthproxy.support.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReloadingKeyManagerTest {

    static final TestPki PKI = new TestPki("reload");

    @TempDir
    Path dir;

    @Test
    void aRotatedPairIsPickedUpAndTheOldAliasStaysReadableForHandshakesInFlight() throws Exception {
        Path cert = dir.resolve("tls.crt");
        Path key = dir.resolve("tls.key");
        TestPki.write(PKI.server("first", List.of("127.0.0.1"), List.of()), cert, key);
        var manager = new ReloadingKeyManager("test", cert, key);
        String firstAlias = manager.chooseEngineServerAlias("EC", null, null);

        assertThat(manager.reload()).as("unchanged files").isFalse();
        TestPki.write(PKI.server("second", List.of("127.0.0.1"), List.of()), cert, key);
        assertThat(manager.reload()).isTrue();

        String secondAlias = manager.chooseEngineServerAlias("EC", null, null);
        assertThat(secondAlias).isNotEqualTo(firstAlias);
        assertThat(manager.getCertificateChain(secondAlias)[0].getSubjectX500Principal().getName()).isEqualTo("CN=second");
        assertThat(manager.getCertificateChain(firstAlias)[0].getSubjectX500Principal().getName()).isEqualTo("CN=first");
        assertThat(manager.chooseEngineServerAlias("RSA", null, null)).as("an EC key serves no RSA suite").isNull();
    }

    @Test
    void aHalfWrittenRotationKeepsTheOldPair() throws Exception {
        Path cert = dir.resolve("tls.crt");
        Path key = dir.resolve("tls.key");
        TestPki.write(PKI.server("first", List.of(), List.of()), cert, key);
        var manager = new ReloadingKeyManager("test", cert, key);

        Files.writeString(cert, TestPki.pem(PKI.server("second", List.of(), List.of()).certificate()));

        assertThatThrownBy(manager::reload).hasMessageContaining("does not match");
        assertThat(manager.currentChain()[0].getSubjectX500Principal().getName()).isEqualTo("CN=first");
    }

    @Test
    void aCaBundleWithoutCertificatesIsRefused() throws Exception {
        Path ca = dir.resolve("ca.crt");
        PKI.writeCa(ca);
        var trust = new ReloadingTrustManager("test", ca);
        assertThat(trust.getAcceptedIssuers()).hasSize(1);

        Files.writeString(ca, "not a certificate\n");

        assertThatThrownBy(trust::reload).hasMessageContaining("no PEM certificate");
        assertThat(trust.getAcceptedIssuers()).hasSize(1);
    }
}
