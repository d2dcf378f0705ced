package io.github.kubeletauthproxy.upstream;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import io.github.kubeletauthproxy.server.ScreeningWebFilter;
import org.springframework.http.server.reactive.ServerHttpRequest;

/**
 * The request target the kubelet receives: the one the screen read its path from, byte for byte. Never parsed as a
 * URI and rebuilt, which could re-encode or normalise what was authorized.
 */
final class ForwardedTarget {

    private ForwardedTarget() {
    }

    /**
     * The client's target, without a fragment: a fragment is no part of a request target, and the screen refuses a
     * {@code #} in the path, so only a query can lose one (the gateway's URI dropped it too).
     */
    static String of(ServerHttpRequest request) {
        String target = ScreeningWebFilter.requestTarget(request);
        int fragment = target.indexOf('#');
        return fragment < 0 ? target : target.substring(0, fragment);
    }

    /**
     * The same target for a writer that encodes the request line as UTF-8 (Reactor Netty's client), such that it
     * writes the client's very bytes: the server read one character per byte. Empty when those bytes are not UTF-8 (raw
     * bytes in a query): no string makes that writer send them, and something else must not be sent instead.
     */
    static Optional<String> forUtf8Writer(String target) {
        boolean ascii = true;
        for (int i = 0; i < target.length() && ascii; i++) {
            ascii = target.charAt(i) < 0x80;
        }
        if (ascii) {
            return Optional.of(target);
        }
        byte[] bytes = new byte[target.length()];
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c > 0xff) {
                return Optional.empty();
            }
            bytes[i] = (byte) c;
        }
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
