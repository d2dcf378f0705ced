package io.github.kubeletauthproxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.github.kubeletauthproxy.KubeletAuthProxyApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code --version} prints what the build recorded and exits, with no server started. */
class VersionCommandTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            // build-info.properties, or - for none | the line
            "build.name=kubelet-auth-proxy\\nbuild.version=1.2.3 | kubelet-auth-proxy 1.2.3",
            "build.name=kubelet-auth-proxy\\nbuild.version=0.1.0-SNAPSHOT | kubelet-auth-proxy 0.1.0-SNAPSHOT",
            "build.version=1.2.3 | kubelet-auth-proxy 1.2.3",
            "build.name=kubelet-auth-proxy | kubelet-auth-proxy (version unknown)",
            "- | kubelet-auth-proxy (version unknown: no META-INF/build-info.properties)"})
    void theLineSaysWhatTheBuildRecorded(String buildInfo, String line, @TempDir Path classes) throws IOException {
        if (buildInfo != null) {
            Files.createDirectories(classes.resolve("META-INF"));
            Files.writeString(classes.resolve(VersionCommand.BUILD_INFO), buildInfo.replace("\\n", "\n"));
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, null)) {
            assertThat(VersionCommand.describe(loader)).isEqualTo(line);
        }
    }

    @Test
    void theEntryPointPrintsTheBuildsVersionAndExitsWithoutStartingTheServer(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        Process java = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), KubeletAuthProxyApplication.class.getName(), "--version")
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();

        assertThat(java.waitFor(2, TimeUnit.MINUTES)).as("exited").isTrue();
        assertThat(java.exitValue()).isZero();
        // the build's own record (the build runs build-info before the tests), and nothing of a start
        assertThat(Files.readString(out, StandardCharsets.UTF_8))
                .isEqualTo(VersionCommand.describe(getClass().getClassLoader()) + System.lineSeparator())
                .matches("kubelet-auth-proxy \\d+\\.\\d+\\.\\d+\\S*\\R");
        assertThat(Files.readString(err, StandardCharsets.UTF_8)).isEmpty();
    }
}
