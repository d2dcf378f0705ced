package io.github.kubeletauthproxy.authz;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which requests a last allow may answer (default scope metrics, stats): the scrapers' GETs reviewed on those records
 * alone, whatever the kubelet's table says of the rest.
 */
class LastAllowScopeTest {

    static final LastAllowScope SCRAPERS = LastAllowScope.of(List.of("metrics", "stats"));
    static final KubeletRequestAttributes.Options POD_SCOPED = new KubeletRequestAttributes.Options(true, true, true);

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
            "GET,    /metrics,                   true",
            "GET,    /metrics/cadvisor,          true",
            "GET,    /stats/summary,             true",
            "POST,   /stats/summary,             false",
            "GET,    /pods,                      false",
            "GET,    /healthz,                   false",
            "GET,    /logs/syslog,               false",
            "GET,    /exec/default/web-0/c,      false",
            "POST,   /exec/default/web-0/c,      false",
            "GET,    /containerLogs/default/w/c, false",
            "GET,    /metricsfoo,                false",
    })
    void coversOnlyTheScrapersReads(String method, String path, boolean covered) {
        var attributes = KubeletRequestAttributes.of(method, path, POD_SCOPED).orElseThrow();

        assertThat(SCRAPERS.covers(attributes)).isEqualTo(covered);
        assertThat(LastAllowScope.NONE.covers(attributes)).isFalse();
    }
}
