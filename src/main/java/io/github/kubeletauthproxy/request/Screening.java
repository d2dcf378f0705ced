package io.github.kubeletauthproxy.request;

import io.github.kubeletauthproxy.authz.KubeletRequestAttributes;

/** The result of screening a request before any credential is looked at. */
public sealed interface Screening {

    /** Fit to authorize: the decoded path (what the kubelet routes on) and its attributes. */
    record Accepted(String path, KubeletRequestAttributes.Attributes attributes) implements Screening {
    }

    /** Refused by the proxy itself, with an HTTP status and a message for the caller. */
    record Refused(int status, String reason, String message) implements Screening {
    }
}
