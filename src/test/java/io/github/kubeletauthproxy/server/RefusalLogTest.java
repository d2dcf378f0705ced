package io.github.kubeletauthproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class RefusalLogTest {

    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final RefusalLog refusals = new RefusalLog(Duration.ofSeconds(10), now::get);

    @Test
    void oneLinePerStatusAndIntervalThatCountsWhatItStandsFor() {
        assertThat(refusals.note(503, "API server answered 503: etcd")).isEqualTo(
                "answered 503 (1 time since the last line): API server answered 503: etcd");
        assertThat(refusals.note(503, "connection refused")).isNull();
        assertThat(refusals.note(503, "connection refused")).isNull();
        assertThat(refusals.note(401, "token expired")).as("another status has its own window").isNotNull();

        now.addAndGet(Duration.ofSeconds(10).toNanos());
        assertThat(refusals.note(503, "connection refused")).isEqualTo(
                "answered 503 (3 times since the last line): connection refused");
        assertThat(refusals.note(503, "connection refused")).isNull();
    }

    @Test
    void aRefusalWithoutAReasonIsNotLogged() {
        assertThat(refusals.note(403, "")).isNull();
    }
}
