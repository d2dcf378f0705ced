package io.github.kubeletauthproxy.request;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.kubeletauthproxy.authz.KubeletRequestAttributes;
import io.github.kubeletauthproxy.support.KubeletPaths;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.HttpHeaders;

/**
 * Fuzzes the screen and the attribute mapping together against an oracle written apart from them
 * ({@link KubeletPaths}, a port of Go's path cleaning): every accepted target's path is one Go reads one way only
 * (already clean, with nothing encoded that changes how it splits: no {@code %2f %2e %5c %25 %3b}), the accepted path
 * is that path decoded, its attributes are {@code KubeletRequestAttributes.of(method, path)}, and every refusal is a
 * 400, or a 405 exactly when the method has no kubelet verb.
 *
 * <p>An input is a request line's start as bytes, read as ISO-8859-1: the method up to the first space, the target
 * after it. {@code ./mvnw test} replays the inputs in {@code RequestScreenFuzzTestInputs/} (regression mode);
 * {@code JAZZER_FUZZ=1 ./mvnw test -Dtest=RequestScreenFuzzTest} fuzzes for {@code maxDuration} and adds what fails
 * there (README, "Fuzzing"). Since replaying only covers the inputs kept, every build also judges targets generated
 * from a grammar of dangerous pieces under fixed seeds.
 */
class RequestScreenFuzzTest {

    static final RequestScreen SCREEN = new RequestScreen(KubeletRequestAttributes.Options.DEFAULTS);

    @FuzzTest(maxDuration = "10m")
    void acceptedTargetsAreCanonicalAndRefusalsAre400Or405(byte[] input) {
        String line = new String(input, StandardCharsets.ISO_8859_1);
        int space = line.indexOf(' ');
        String method = space < 0 ? "GET" : line.substring(0, space);
        String target = space < 0 ? line : line.substring(space + 1);
        assertScreenedRight(method, target);
    }

    static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT",
            "get", "");

    /** The grammar's pieces: separators and dots in every spelling, broken and overlong encodings, controls, look-alikes. */
    static final List<String> PIECES = List.of("/", "/", "/", "//", ".", "..", "%2e", "%2E", "%2f", "%2F", "%5c", "%5C", "%25",
            "%252e", "%252f", "%3b", "%3B", ";", "\\", "%c0%ae", "%c0%af", "%e0%80%ae", "%ef%bc%8e", "%e2%80%a4", "%00", "%0a",
            "%0d", "%09", "%20", "%7f", "%ff", "%", "%4", "%zz", "%70", "%41", "%7e", "%3f", "%23", "%40", "?", "#", "@", ":",
            "pods", "stats", "exec", "run", "logs", "checkpoint", "metrics", "healthz", "portForward", "Pods", "EXEC",
            "\u00e9", "%c3%a9", "\u0000", "\t", " ", "\r\n", "a", "~", "-", "_", "x=1", "*", "http:", "..;", ".%2e");

    /** Every build: targets generated from the grammar under fixed seeds, judged by the same oracle. */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 12, 2026})
    void generatedTargetsAreScreenedRight(long seed) {
        Random random = new Random(seed);
        for (int i = 0; i < 20_000; i++) {
            StringBuilder target = new StringBuilder(random.nextInt(10) == 0 ? "" : "/");
            for (int pieces = 1 + random.nextInt(8); pieces > 0; pieces--) {
                target.append(PIECES.get(random.nextInt(PIECES.size())));
            }
            assertScreenedRight(METHODS.get(random.nextInt(METHODS.size())), target.toString());
        }
    }

    static void assertScreenedRight(String method, String target) {
        String rawPath = RequestScreen.pathOf(target);
        Screening screening = SCREEN.screen(method, rawPath, new HttpHeaders());

        if (screening instanceof Screening.Accepted accepted) {
            assertThat(KubeletPaths.ambiguity(rawPath)).as("accepted %s %s", method, target).isEmpty();
            assertThat(accepted.path()).isEqualTo(KubeletPaths.unescape(rawPath).orElseThrow());
            assertThat(accepted.attributes()).isEqualTo(
                    KubeletRequestAttributes.of(method, accepted.path(), KubeletRequestAttributes.Options.DEFAULTS).orElseThrow());
        } else {
            Screening.Refused refused = (Screening.Refused) screening;
            int expected = KubeletRequestAttributes.verbFor(method).isEmpty() ? 405 : 400;
            assertThat(refused.status()).as("refused %s %s: %s", method, target, refused.message()).isEqualTo(expected);
        }
    }
}
