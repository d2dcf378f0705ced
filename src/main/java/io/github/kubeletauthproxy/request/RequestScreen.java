package io.github.kubeletauthproxy.request;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import io.github.kubeletauthproxy.authz.KubeletRequestAttributes;
import io.github.kubeletauthproxy.authz.PodScope;
import org.springframework.http.HttpHeaders;

/**
 * Screens a request before authentication: the method must have a kubelet verb, the path must be canonical,
 * and {@code Upgrade} is only for the streaming endpoints. A canonical path decodes to itself except for
 * characters that need escaping, so the path that is authorized is exactly the path that is forwarded and
 * the path the kubelet routes on.
 */
public final class RequestScreen {

    private static final Set<String> PROTECTED_HEADERS = Set.of("content-length", "transfer-encoding", "host", "authorization");

    private final KubeletRequestAttributes.Options options;

    public RequestScreen(KubeletRequestAttributes.Options options) {
        this.options = options;
    }

    public Screening screen(String method, String rawPath, HttpHeaders headers) {
        if (KubeletRequestAttributes.verbFor(method).isEmpty()) {
            return new Screening.Refused(405, "MethodNotAllowed",
                    "method " + method + " is not supported: the kubelet maps only GET, POST, PUT, PATCH and DELETE to verbs");
        }
        String path;
        try {
            path = canonicalPath(rawPath);
        } catch (NonCanonicalPathException e) {
            return new Screening.Refused(400, "BadRequest", "non-canonical request path: " + e.getMessage());
        }
        for (String connection : headers.getOrEmpty(HttpHeaders.CONNECTION)) {
            for (String token : connection.split(",")) {
                String option = token.trim().toLowerCase(Locale.ROOT);
                // a hop-by-hop header is removed before forwarding: naming one of these would strip the body's
                // framing or the host and credentials the proxy sets
                if (PROTECTED_HEADERS.contains(option)) {
                    return new Screening.Refused(400, "BadRequest", "Connection must not name " + option);
                }
            }
        }
        List<String> upgrade = headers.getOrEmpty(HttpHeaders.UPGRADE);
        if (!upgrade.isEmpty()) {
            if (!KubeletRequestAttributes.acceptsUpgrade(path)) {
                return new Screening.Refused(400, "BadRequest",
                        "Upgrade is only accepted on /exec, /attach and /portForward");
            }
            String protocol = String.join(",", upgrade).trim().toLowerCase(Locale.ROOT);
            if (!protocol.equals("websocket") && !protocol.equals("spdy/3.1")) {
                return new Screening.Refused(400, "BadRequest", "only the websocket and SPDY/3.1 upgrades are accepted");
            }
        }
        KubeletRequestAttributes.Attributes attributes = KubeletRequestAttributes.of(method, path, options).orElseThrow();
        if (attributes.podAccess() instanceof PodScope.InvalidName invalid) {
            return new Screening.Refused(400, "BadRequest", invalid.message());
        }
        return new Screening.Accepted(path, attributes);
    }

    /** Thrown for a path that is not in canonical form; the message says why. */
    static final class NonCanonicalPathException extends Exception {
        NonCanonicalPathException(String message) {
            super(message);
        }
    }

    /**
     * The path of a request target exactly as the client wrote it: everything before the query. Not parsed as a URI,
     * which would read {@code stats/summary} or {@code a:b@c/stats/summary} as an authority and a path; the screen
     * must see, and refuse, what was sent.
     */
    public static String pathOf(String target) {
        int query = target.indexOf('?');
        return query < 0 ? target : target.substring(0, query);
    }

    /** Decodes a raw (still percent-encoded) path, refusing every form that could be read two ways. */
    static String canonicalPath(String rawPath) throws NonCanonicalPathException {
        if (rawPath == null || !rawPath.startsWith("/")) {
            throw new NonCanonicalPathException("the request target must start with '/' (origin-form)");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(rawPath.length());
        for (int i = 0; i < rawPath.length(); i++) {
            char c = rawPath.charAt(i);
            if (c == '%') {
                if (i + 2 >= rawPath.length() || hex(rawPath.charAt(i + 1)) < 0 || hex(rawPath.charAt(i + 2)) < 0) {
                    throw new NonCanonicalPathException("broken percent-encoding");
                }
                int b = hex(rawPath.charAt(i + 1)) * 16 + hex(rawPath.charAt(i + 2));
                if (isUnreserved(b) || b == '/' || b == '\\' || b == '%' || b == ';' || b < 0x20 || b == 0x7f) {
                    throw new NonCanonicalPathException("needless or dangerous percent-encoding %" + rawPath.substring(i + 1, i + 3));
                }
                bytes.write(b);
                i += 2;
            } else if (c < 0x21 || c >= 0x7f || c == '\\' || c == ';' || c == '#') {
                throw new NonCanonicalPathException("character 0x" + Integer.toHexString(c) + " is not allowed");
            } else {
                bytes.write(c);
            }
        }
        String path;
        try {
            path = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new NonCanonicalPathException("percent-encoded bytes are not UTF-8");
        }
        if (path.contains("//")) {
            throw new NonCanonicalPathException("empty path segment");
        }
        for (String segment : path.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                throw new NonCanonicalPathException("'.' and '..' segments are not allowed");
            }
        }
        return path;
    }

    private static boolean isUnreserved(int b) {
        return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
                || b == '-' || b == '.' || b == '_' || b == '~';
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }
}
