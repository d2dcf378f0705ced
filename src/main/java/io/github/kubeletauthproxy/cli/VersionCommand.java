package io.github.kubeletauthproxy.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * {@code --version}: the application's name and version as the build recorded them in
 * {@code META-INF/build-info.properties} (what {@code /actuator/info} shows too), printed without starting the server.
 */
public final class VersionCommand {

    static final String BUILD_INFO = "META-INF/build-info.properties";

    private VersionCommand() {
    }

    public static int run(PrintStream out) {
        out.println(describe(VersionCommand.class.getClassLoader()));
        return 0;
    }

    /** {@code kubelet-auth-proxy 0.1.0}; classes the build did not make (an IDE's) have no recorded version. */
    public static String describe(ClassLoader loader) {
        Properties build = new Properties();
        try (InputStream in = loader.getResourceAsStream(BUILD_INFO)) {
            if (in == null) {
                return "kubelet-auth-proxy (version unknown: no " + BUILD_INFO + ")";
            }
            build.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return build.getProperty("build.name", "kubelet-auth-proxy") + " " + build.getProperty("build.version", "(version unknown)");
    }
}
