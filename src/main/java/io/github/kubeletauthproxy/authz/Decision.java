package io.github.kubeletauthproxy.authz;

/** An authorizer's answer, as the apiserver's authorizer interface has it. */
public record Decision(Kind kind, String reason) {

    public enum Kind { ALLOW, DENY, NO_OPINION }

    public boolean allowed() {
        return kind == Kind.ALLOW;
    }
}
