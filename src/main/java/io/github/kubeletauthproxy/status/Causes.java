package io.github.kubeletauthproxy.status;

/** A failure told in one line for an audit record or a log: the innermost cause, with its type when it says little. */
public final class Causes {

    private Causes() {
    }

    public static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null || message.isBlank() ? root.getClass().getSimpleName()
                : root.getClass().getSimpleName() + ": " + message;
    }
}
