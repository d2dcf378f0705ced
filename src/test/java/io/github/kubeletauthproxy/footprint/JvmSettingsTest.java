package io.github.kubeletauthproxy.footprint;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.Test;

/**
 * The settings every launch path shares (src/main/jvm/jvm.options with the heap share of JAVA_TOOL_OPTIONS) are
 * accepted by this JDK and mean what their comments say, and Netty finds BoringSSL.
 */
class JvmSettingsTest {

    private static final Path OPTIONS = Path.of("src/main/jvm/jvm.options");

    @Test
    void jvmOptionsGiveASmallBoundedJvm() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // a 320 Mi pod as the chart makes it: the limit emulated, the heap share as JAVA_TOOL_OPTIONS sets it
        Process process = new ProcessBuilder(java, "@" + OPTIONS, "-XX:MaxRAM=320m", "-XX:MaxRAMPercentage=25",
                "-XX:MinRAMPercentage=25", "-XX:InitialRAMPercentage=5", "-XX:+PrintFlagsFinal", "-version").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();
        Map<String, String> flags = flags(output);

        assertThat(flags).containsEntry("UseSerialGC", "true")
                .containsEntry("MaxHeapSize", Long.toString(80L << 20))
                .containsEntry("MaxMetaspaceSize", Long.toString(128L << 20))
                .containsEntry("ReservedCodeCacheSize", Long.toString(48L << 20))
                .containsEntry("ThreadStackSize", "512")
                .containsEntry("TrimNativeHeapInterval", "2000")
                .containsEntry("ExitOnOutOfMemoryError", "true");
    }

    @Test
    void nettyUsesBoringSsl() {
        assertThat(OpenSsl.isAvailable()).as("netty-tcnative: %s", OpenSsl.unavailabilityCause()).isTrue();
        assertThat(OpenSsl.versionString()).contains("BoringSSL");
        assertThat(SslContext.defaultServerProvider()).isEqualTo(SslProvider.OPENSSL);
        assertThat(SslContext.defaultClientProvider()).isEqualTo(SslProvider.OPENSSL);
    }

    private static Map<String, String> flags(String printFlagsFinal) {
        Map<String, String> flags = new HashMap<>();
        Matcher line = Pattern.compile("^\\s*\\S+\\s+(\\w+)\\s+=\\s+(\\S+)", Pattern.MULTILINE).matcher(printFlagsFinal);
        while (line.find()) {
            flags.put(line.group(1), line.group(2));
        }
        for (String name : List.of("UseSerialGC", "MaxHeapSize")) {
            assertThat(flags).as("-XX:+PrintFlagsFinal lists %s", name).containsKey(name);
        }
        return flags;
    }
}
