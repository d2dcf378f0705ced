package io.github.kubeletauthproxy.support;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * How the kubelet (Go) reads a request path, written independently of the proxy's screen so that tests can judge it:
 * a line-by-line port of Go's {@code path.Clean}, net/http's {@code cleanPath} (the form the kubelet's mux routes
 * on without a redirect) and a percent-decoder. A path is unambiguous when Go would read it exactly one way: decoded
 * it is already clean, and nothing in it was encoded that changes how it splits into segments.
 */
public final class KubeletPaths {

    private KubeletPaths() {
    }

    /** Go's {@code path.Clean} (src/path/path.go), ported line by line; works on chars as Go works on bytes. */
    public static String clean(String path) {
        if (path.isEmpty()) {
            return ".";
        }
        boolean rooted = path.charAt(0) == '/';
        int n = path.length();
        StringBuilder out = new StringBuilder(n);
        int r = 0;
        int dotdot = 0;
        if (rooted) {
            out.append('/');
            r = 1;
            dotdot = 1;
        }
        while (r < n) {
            if (path.charAt(r) == '/') {
                r++; // empty path element
            } else if (path.charAt(r) == '.' && (r + 1 == n || path.charAt(r + 1) == '/')) {
                r++; // . element
            } else if (path.charAt(r) == '.' && path.charAt(r + 1) == '.' && (r + 2 == n || path.charAt(r + 2) == '/')) {
                r += 2; // .. element: remove to last /
                if (out.length() > dotdot) {
                    int w = out.length() - 1;
                    while (w > dotdot && out.charAt(w) != '/') {
                        w--;
                    }
                    out.setLength(w);
                } else if (!rooted) {
                    if (out.length() > 0) {
                        out.append('/');
                    }
                    out.append("..");
                    dotdot = out.length();
                }
            } else {
                // real path element: add slash if needed
                if (rooted && out.length() != 1 || !rooted && out.length() != 0) {
                    out.append('/');
                }
                for (; r < n && path.charAt(r) != '/'; r++) {
                    out.append(path.charAt(r));
                }
            }
        }
        return out.length() == 0 ? "." : out.toString();
    }

    /** net/http's {@code cleanPath}: rooted, {@link #clean}ed, with a trailing slash kept (the mux redirects otherwise). */
    public static String muxClean(String path) {
        if (path.isEmpty()) {
            return "/";
        }
        if (path.charAt(0) != '/') {
            path = "/" + path;
        }
        String cleaned = clean(path);
        if (path.charAt(path.length() - 1) == '/' && !cleaned.equals("/")) {
            cleaned += "/";
        }
        return cleaned;
    }

    /** The decoded path, or empty when the percent-encoding is broken or the bytes are not UTF-8. */
    public static Optional<String> unescape(String raw) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length() || Character.digit(raw.charAt(i + 1), 16) < 0 || Character.digit(raw.charAt(i + 2), 16) < 0) {
                    return Optional.empty();
                }
                bytes.write(Integer.parseInt(raw.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray())).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    /** Why Go could read {@code raw} (a request path, still encoded) more than one way; empty when it could not. */
    public static Optional<String> ambiguity(String raw) {
        if (!raw.startsWith("/")) {
            return Optional.of("not rooted");
        }
        String lower = raw.toLowerCase(Locale.ROOT);
        for (String encoded : new String[] {"%2f", "%2e", "%5c", "%25", "%3b"}) {
            if (lower.contains(encoded)) {
                return Optional.of("encodes " + encoded);
            }
        }
        for (char c : raw.toCharArray()) {
            if (c <= 0x20 || c >= 0x7f || c == '\\' || c == ';' || c == '#' || c == '?') {
                return Optional.of("raw character 0x" + Integer.toHexString(c));
            }
        }
        Optional<String> decoded = unescape(raw);
        if (decoded.isEmpty()) {
            return Optional.of("broken percent-encoding or not UTF-8");
        }
        if (!muxClean(decoded.get()).equals(decoded.get())) {
            return Optional.of("not clean: Go reads it as " + muxClean(decoded.get()));
        }
        return Optional.empty();
    }
}
