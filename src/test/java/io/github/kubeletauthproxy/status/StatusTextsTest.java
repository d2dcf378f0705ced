package io.github.kubeletauthproxy.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The refusal texts, byte for byte as the kubelet writes them (checked against a real kubelet in the e2e suite). */
class StatusTextsTest {

    @Test
    void forbiddenListsEverySubresourceTriedWithATrailingNewline() {
        assertThat(StatusTexts.forbidden("jane", "get", List.of("pods", "proxy"), false))
                .isEqualTo("Forbidden (user=jane, verb=get, resource=nodes, subresource(s)=[pods proxy])\n");
    }

    @Test
    void theLegacyFormNamesTheFirstSubresourceOnly() {
        assertThat(StatusTexts.forbidden("jane", "get", List.of("pods", "proxy"), true))
                .isEqualTo("Forbidden (user=jane, verb=get, resource=nodes, subresource=pods)");
    }

    @Test
    void aRefusalWithoutSubresourcesIsStillA403TextNotAnError() {
        assertThat(StatusTexts.forbidden("jane", "get", List.of(), true))
                .isEqualTo("Forbidden (user=jane, verb=get, resource=nodes, subresource=)");
        assertThat(StatusTexts.forbidden("jane", "get", List.of(), false))
                .isEqualTo("Forbidden (user=jane, verb=get, resource=nodes, subresource(s)=[])\n");
    }

    @Test
    void authorizationErrorsAndUnauthorizedHaveNoNewline() {
        assertThat(StatusTexts.authorizationError("jane", "verb=get, resource=nodes, subresource=stats"))
                .isEqualTo("Authorization error (user=jane, verb=get, resource=nodes, subresource=stats)");
        assertThat(StatusTexts.unauthorized()).isEqualTo("Unauthorized");
    }

    @Test
    void statusObjectsEscapeTheirMessage() {
        assertThat(StatusTexts.statusJson(400, "BadRequest", "bad \"path\"\n"))
                .isEqualTo("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                        + "\"message\":\"bad \\\"path\\\"\\n\",\"reason\":\"BadRequest\",\"code\":400}\n");
    }
}
