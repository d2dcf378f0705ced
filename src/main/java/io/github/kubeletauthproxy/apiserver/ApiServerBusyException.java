package io.github.kubeletauthproxy.apiserver;

/**
 * The call was not made: every API-server connection is busy and the most calls allowed to wait for one already do.
 * Not transient for the retry loop: waiting longer is what the bound refuses.
 */
public final class ApiServerBusyException extends RuntimeException {

    public ApiServerBusyException(int maxWaiting) {
        super("the API server is not keeping up: " + maxWaiting + " calls already wait for a connection");
    }
}
