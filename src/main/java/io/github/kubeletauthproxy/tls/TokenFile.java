package io.github.kubeletauthproxy.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A bearer token read from a file that is replaced while the proxy runs (a projected ServiceAccount token is
 * rotated by the kubelet): the proxy's token toward the kubelet, or toward the API server.
 */
public final class TokenFile implements Reloadable {

    private final Path file;
    private final String name;
    private volatile String token;

    public TokenFile(Path file, String name) throws IOException {
        this.file = file;
        this.name = name;
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
        return name;
    }

    @Override
    public String describe() {
        return name + " " + file;
    }

    public String value() {
        return token;
    }
}
