package io.github.kubeletauthproxy.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The chart without a cluster, through {@code scripts/helm-check}: strict lint of every value set in ci/, renders
 * equal to the committed snapshots, the README equal to helm-docs' rendering of values.yaml, bad values refused by
 * values.schema.json, no nodes/proxy in the proxy's ClusterRole when streams, container logs and proxy are off,
 * renders that do not change between two runs for GitOps (existing Secret, cert-manager), the chart as a file://
 * subchart of an umbrella chart with global values. (The {@code helm test} pod's arguments: CheckInstallChartTest; the
 * real install, with {@code helm test}, is HelmInstallE2eTest.)
 */
class HelmChartTest {

    @Test
    void theChartPassesLintSnapshotsSchemaAndLeastPrivilegeChecks() throws Exception {
        Path repo = Path.of("").toAbsolutePath();
        Path log = Files.createTempFile("helm-check", ".log");
        Process check = new ProcessBuilder(repo.resolve("scripts/helm-check").toString()).directory(repo.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean finished = check.waitFor(20, TimeUnit.MINUTES);
        String output = Files.readString(log, StandardCharsets.UTF_8);

        assertThat(finished).as("scripts/helm-check finished").isTrue();
        assertThat(check.exitValue()).as(output).isZero();
        assertThat(output).contains("refused as it should: an unknown top-level key", "least-privilege ClusterRole ok",
                "README up to date with values.yaml (helm-docs)", "renders twice the same (GitOps-stable): existing-secret",
                "refused as it should: a kubelet ServiceMonitor tlsConfig typo", "global accepts what a parent chart shares",
                "umbrella chart ok", "all checks passed");
    }
}
