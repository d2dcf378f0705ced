package io.github.kubeletauthproxy.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the machine's real kubectl with an isolated kubeconfig. */
public final class Kubectl {

    /** What one run printed. */
    public record Result(int exit, String out, String err) {
    }

    private Kubectl() {
    }

    /** A kubeconfig that talks to {@code server} (verified with {@code ca}) as an x509 user, or with no user. */
    public static Path kubeconfig(Path dir, String server, Path ca, Path clientCert, Path clientKey) throws IOException {
        Path file = Files.createTempFile(dir, "kubeconfig", ".yaml");
        String user = clientCert == null ? "{}" : "{client-certificate: " + clientCert + ", client-key: " + clientKey + "}";
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: target
                  cluster: {server: %s, certificate-authority: %s}
                users:
                - name: caller
                  user: %s
                contexts:
                - name: target
                  context: {cluster: target, user: caller}
                current-context: target
                """.formatted(server, ca, user));
        return file;
    }

    public static Result run(Path kubeconfig, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().remove("KUBECONFIG");
        Path out = Files.createTempFile("kubectl", ".out");
        Path err = Files.createTempFile("kubectl", ".err");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException("kubectl " + String.join(" ", args) + " did not finish");
        }
        Result result = new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
        return result;
    }
}
