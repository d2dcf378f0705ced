package io.github.kubeletauthproxy.tls;

import java.io.IOException;

/** TLS material (or a credential) read from files that may be replaced while the proxy runs. */
public interface Reloadable {

    /** Re-reads the files; returns true when something changed. Throws, keeping the old material, on bad files. */
    boolean reload() throws IOException;

    /** A short, fixed name for metrics: serving, client-ca, upstream-ca, upstream-client, upstream-token, apiserver-token. */
    String name();

    /** What this is and where it comes from, for logs. */
    String describe();
}
