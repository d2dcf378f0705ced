package io.github.kubeletauthproxy.status;

/** A failure told in one line for an answer, an audit record or a log: the innermost cause's type and message. */
public final class Causes {

    private Causes() {
    }

    public static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }
}
