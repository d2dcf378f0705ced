package io.github.kubeletauthproxy.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.HttpHeaders;
import io.github.kubeletauthproxy.tls.TokenFile;

class UpstreamRequestHeadersTokenTest {

    @TempDir
    Path dir;

    @Test
    void aRotatedTokenFileIsSentFromTheNextRequestOnAndAnEmptyFileIsRefused() throws Exception {
        Path file = dir.resolve("token");
        Files.writeString(file, "first-token\n");
        TokenFile token = new TokenFile(file, "upstream-token");
        UpstreamRequestHeaders headers = new UpstreamRequestHeaders(Optional.of(token));

        assertThat(headers.forKubelet(new HttpHeaders()).getFirst(HttpHeaders.AUTHORIZATION)).isEqualTo("Bearer first-token");

        Files.writeString(file, "second-token");
        assertThat(token.reload()).isTrue();
        assertThat(token.reload()).isFalse();
        assertThat(headers.forKubelet(new HttpHeaders()).getFirst(HttpHeaders.AUTHORIZATION)).isEqualTo("Bearer second-token");

        Files.writeString(file, "  \n");
        assertThatThrownBy(token::reload).hasMessageContaining("empty");
        assertThat(token.value()).isEqualTo("second-token");
    }
}
