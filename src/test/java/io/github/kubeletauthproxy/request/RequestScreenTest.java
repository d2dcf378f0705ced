package io.github.kubeletauthproxy.request;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.kubeletauthproxy.authz.KubeletRequestAttributes;
import io.github.kubeletauthproxy.authz.PodScope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.HttpHeaders;

class RequestScreenTest {

    private final RequestScreen screen = new RequestScreen(KubeletRequestAttributes.Options.DEFAULTS);

    @ParameterizedTest
    @ValueSource(strings = {"/stats/../exec/ns/pod/c", "/pods/./x", "/./pods", "/pods/..", "//pods", "/pods//x",
            "/%2e%2e/exec", "/%2E/pods", "/logs%2fkubelet.log", "/logs%2F..", "/pods%5c..", "/pods;x=1", "/pods;",
            "/%70ods", "/p%6fds", "/pods%", "/pods%2", "/pods%zz", "/pods%00", "/pods%0a", "/pods%25", "/pods\\x",
            "/pods x", "/pods\t", "/p\u00f6ds", "pods", "", "/logs/%ff",
            // targets that are not origin-form: an authority (with userinfo), absolute-form, a relative path, "*"
            "a:b@c/stats/summary", "stats/summary", "http://127.0.0.1:10250/stats/summary", "*", "/pods#x"})
    void nonCanonicalPathsAreRefusedWith400(String rawPath) {
        Screening screening = screen.screen("GET", rawPath, new HttpHeaders());

        assertThat(screening).isInstanceOfSatisfying(Screening.Refused.class, refused -> {
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.message()).startsWith("non-canonical request path");
        });
    }

    @ParameterizedTest
    @CsvSource({"/pods,/pods", "/logs/,/logs/", "/logs/a%20b.log,/logs/a b.log", "/logs/%C3%A9.log,/logs/é.log",
            "/containerLogs/default/pod/c,/containerLogs/default/pod/c", "/runningpods/,/runningpods/",
            "/metrics/cadvisor,/metrics/cadvisor"})
    void canonicalPathsPassDecodedOnlyWhereEscapingIsNeeded(String rawPath, String decoded) {
        Screening screening = screen.screen("GET", rawPath, new HttpHeaders());

        assertThat(screening).isInstanceOfSatisfying(Screening.Accepted.class,
                accepted -> assertThat(accepted.path()).isEqualTo(decoded));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"content-length|400", "Transfer-Encoding|400", "keep-alive, Content-Length|400",
            "HOST|400", "authorization|400", "keep-alive|0", "close|0", "Upgrade|0", "te, keep-alive|0"})
    void connectionMayNotNameTheHeadersThatFrameTheBodyOrCarryHostAndCredentials(String connection, int refusedWith) {
        HttpHeaders headers = new HttpHeaders();
        headers.add(HttpHeaders.CONNECTION, connection);

        Screening screening = screen.screen("POST", "/stats/summary", headers);

        if (refusedWith == 0) {
            assertThat(screening).isInstanceOf(Screening.Accepted.class);
        } else {
            assertThat(screening).isInstanceOfSatisfying(Screening.Refused.class, refused -> {
                assertThat(refused.status()).isEqualTo(refusedWith);
                assertThat(refused.message()).startsWith("Connection must not name ");
            });
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"HEAD", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"})
    void methodsWithoutAVerbAreRefusedWith405(String method) {
        assertThat(screen.screen(method, "/pods", new HttpHeaders()))
                .isInstanceOfSatisfying(Screening.Refused.class, refused -> assertThat(refused.status()).isEqualTo(405));
    }

    @ParameterizedTest
    @CsvSource({"/pods,websocket,400", "/stats/summary,SPDY/3.1,400", "/containerLogs/a/b/c,websocket,400",
            "/exec/a/b/c,h2c,400", "/exec/a/b/c,websocket,0", "/exec/a/b/c,SPDY/3.1,0", "/attach/a/b/c,WebSocket,0",
            "/portForward/a/b,spdy/3.1,0"})
    void upgradeIsOnlyForStreamingEndpointsAndKnownProtocols(String path, String upgrade, int refusedWith) {
        HttpHeaders headers = new HttpHeaders();
        headers.add(HttpHeaders.UPGRADE, upgrade);
        headers.add(HttpHeaders.CONNECTION, "Upgrade");

        Screening screening = screen.screen("GET", path, headers);

        if (refusedWith == 0) {
            assertThat(screening).isInstanceOf(Screening.Accepted.class);
        } else {
            assertThat(screening).isInstanceOfSatisfying(Screening.Refused.class,
                    refused -> assertThat(refused.status()).isEqualTo(refusedWith));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/exec/A/pod/c", "/containerLogs/a_b/pod/c", "/portForward/a/Pod", "/attach/a/p%20q/c"})
    void withPodScopedAccessAPodNameTheApiServerWouldRefuseIsA400(String rawPath) {
        RequestScreen podScoped = new RequestScreen(new KubeletRequestAttributes.Options(true, true, true));

        assertThat(podScoped.screen("GET", rawPath, new HttpHeaders())).isInstanceOfSatisfying(Screening.Refused.class, refused -> {
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.message()).contains("is not a valid");
        });
        // without it the kubelet's rule stands: the node-level reviews decide, and the kubelet answers what it answers
        assertThat(screen.screen("GET", rawPath, new HttpHeaders())).isInstanceOf(Screening.Accepted.class);
    }

    @ParameterizedTest
    @CsvSource({"/exec/a/web-0/c,OnePod", "/pods,PodList", "/stats/summary,None"})
    void withPodScopedAccessTheAttributesSayWhatElseMayAllow(String path, String access) {
        RequestScreen podScoped = new RequestScreen(new KubeletRequestAttributes.Options(true, true, true));

        assertThat(podScoped.screen("GET", path, new HttpHeaders())).isInstanceOfSatisfying(Screening.Accepted.class,
                accepted -> assertThat(accepted.attributes().podAccess().getClass().getSimpleName()).isEqualTo(access));
        assertThat(screen.screen("GET", path, new HttpHeaders())).isInstanceOfSatisfying(Screening.Accepted.class,
                accepted -> assertThat(accepted.attributes().podAccess()).isEqualTo(PodScope.NONE));
    }
}
