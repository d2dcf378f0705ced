package io.github.kubeletauthproxy.apiserver;

/** The API server answered, with an HTTP code other than 2xx. */
public final class ApiServerException extends RuntimeException {

    private final int code;

    public ApiServerException(int code, String message) {
        super("API server answered " + code + ": " + message);
        this.code = code;
    }

    public int code() {
        return code;
    }
}
