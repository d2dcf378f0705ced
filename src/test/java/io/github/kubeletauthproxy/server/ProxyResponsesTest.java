package io.github.kubeletauthproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The refusal texts, byte for byte as the kubelet writes them (checked against a real kubelet in the e2e suite). */
class ProxyResponsesTest {

    @Test
    void forbiddenListsEverySubresourceTriedWithATrailingNewline() {
        assertThat(ProxyResponses.forbiddenText("jane", "get", List.of("pods", "proxy"), false))
                .isEqualTo("Forbidden (user=jane, verb=get, resource=nodes, subresource(s)=[pods proxy])\n");
    }

    @Test
    void theLegacyFormNamesTheFirstSubresourceOnly() {
        assertThat(ProxyResponses.forbiddenText("jane", "get", List.of("pods", "proxy"), true))
                .isEqualTo("Forbidden (user=jane, verb=get, resource=nodes, subresource=pods)");
    }

    @Test
    void authorizationErrorsAndUnauthorizedHaveNoNewline() {
        assertThat(ProxyResponses.authorizationErrorText("jane", "get", "stats"))
                .isEqualTo("Authorization error (user=jane, verb=get, resource=nodes, subresource=stats)");
        assertThat(ProxyResponses.unauthorizedText()).isEqualTo("Unauthorized");
    }

    @Test
    void statusObjectsEscapeTheirMessage() {
        assertThat(ProxyResponses.statusJson(400, "BadRequest", "bad \"path\"\n"))
                .isEqualTo("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                        + "\"message\":\"bad \\\"path\\\"\\n\",\"reason\":\"BadRequest\",\"code\":400}\n");
    }
}
