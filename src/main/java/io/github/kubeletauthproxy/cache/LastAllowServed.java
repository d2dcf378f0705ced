package io.github.kubeletauthproxy.cache;

import java.time.Duration;

/**
 * An allow answered from memory because the API server did not answer: how long ago the API server gave it, and the
 * failure it stood in for. Travels with the answer to the audit line.
 */
public record LastAllowServed(Duration age, String failure) {
}
