package io.github.kubeletauthproxy.upstream;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import io.github.kubeletauthproxy.tls.Reloadable;

/** The proxy's own bearer token toward the kubelet (e.g. a projected ServiceAccount token), re-read when rotated. */
public final class UpstreamToken implements Reloadable {

    private final Path file;
    private volatile String token;

    public UpstreamToken(Path file) throws IOException {
        this.file = file;
        reload();
    }

    @Override
    public boolean reload() throws IOException {
        String read = Files.readString(file, StandardCharsets.UTF_8).trim();
        if (read.isEmpty()) {
            throw new IOException(file + " is empty");
        }
        if (read.equals(token)) {
            return false;
        }
        token = read;
        return true;
    }

    @Override
    public String name() {
        return "upstream-token";
    }

    @Override
    public String describe() {
        return "upstream token " + file;
    }

    public String value() {
        return token;
    }
}
