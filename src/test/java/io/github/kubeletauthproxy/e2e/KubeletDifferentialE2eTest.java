package io.github.kubeletauthproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import io.github.kubeletauthproxy.e2e.Identities.Grant;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The kubelet is the oracle: every identity × request is sent directly to the real kubelet with the caller's
 * own credential and through the proxy, and both must answer with the same status and the same denial text,
 * except where the proxy is deliberately stricter (listed in {@link #deliberateDifference}).
 */
@ExtendWith(LocalNode.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubeletDifferentialE2eTest {

    /** A caller: a bearer token, an x509 user, or nothing. */
    record Caller(String name, String token, Identities.X509User certificate, boolean mayCreateProxy, boolean mayGetProxy) {
    }

    /** One request of the matrix, sent as raw HTTP/1.1 so that paths are not normalised on the way. */
    record Call(String method, String target) {
    }

    /** What one side answered. */
    record Answer(int status, String body) {
    }

    LocalNode.Node node;
    ProxyUnderTest proxy;
    final Map<String, Caller> callers = new LinkedHashMap<>();

    @BeforeAll
    void setUp(LocalNode.Node node) throws Exception {
        this.node = node;
        Identities ids = node.identities();
        callers.put("no credential", new Caller("no credential", null, null, false, false));
        callers.put("invalid token", new Caller("invalid token", "not-a-real-token", null, false, false));
        callers.put("no binding", token(ids, "no-binding", false, false));
        callers.put("stats only", token(ids, "stats-only", false, false, Grant.of("stats", "get", "create")));
        callers.put("metrics only", token(ids, "metrics-only", false, false, Grant.of("metrics", "get")));
        callers.put("log only", token(ids, "log-only", false, false, Grant.of("log", "get")));
        callers.put("pods only", token(ids, "pods-only", false, false, Grant.of("pods", "get")));
        callers.put("proxy get", token(ids, "proxy-get", false, true, Grant.of("proxy", "get")));
        callers.put("proxy create", token(ids, "proxy-create", true, false, Grant.of("proxy", "create")));
        callers.put("wrong audience", new Caller("wrong audience",
                ids.serviceAccountToken("wrong-audience", List.of("some-other-audience"), Grant.of("stats", "get")),
                null, false, false));
        callers.put("expired token", new Caller("expired token",
                ids.expiredServiceAccountToken("expired", Grant.of("stats", "get")), null, false, false));
        // a tenant's own pod permissions in the namespace of the matrix's pod, and nothing on nodes: with pod-scoped
        // access off (the default) the proxy refuses every one of its requests exactly as the kubelet does
        callers.put("pod rights in default", new Caller("pod rights in default", ids.namespacedServiceAccountToken("default",
                "kap-e2e-pod-rights", Identities.NamespacedGrant.of("pods/log", "get"), Identities.NamespacedGrant.of("pods/exec", "create"),
                Identities.NamespacedGrant.of("pods/attach", "create"), Identities.NamespacedGrant.of("pods/portforward", "create"),
                Identities.NamespacedGrant.of("pods", "list")), null, false, false));
        ids.bindGroup("kap-e2e-readers", Grant.of("stats", "get"), Grant.of("metrics", "get"), Grant.of("healthz", "get"));
        callers.put("group binding (x509)", new Caller("group binding (x509)", null,
                ids.x509User("kap-e2e-grouped", List.of("kap-e2e-readers")), false, false));
        callers.put("x509 user", new Caller("x509 user", null,
                ids.x509User("kap-e2e-x509", List.of(), Grant.of("pods", "get"), Grant.of("configz", "get")), false, false));
        ids.awaitGrants();
        proxy = ProxyUnderTest.start(node, Map.of());
    }

    Caller token(Identities ids, String name, boolean create, boolean get, Grant... grants) {
        return new Caller(name, ids.serviceAccountToken(name, List.of(), grants), null, create, get);
    }

    @AfterAll
    void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
    }

    static final List<Call> CALLS = List.of(
            new Call("GET", "/pods"),
            new Call("GET", "/runningpods/"),
            new Call("GET", "/runningpods"),
            new Call("GET", "/healthz"),
            new Call("GET", "/healthz/ping"),
            new Call("GET", "/healthz/syncloop"),
            new Call("GET", "/configz"),
            new Call("PUT", "/configz"),
            new Call("GET", "/statusz"),
            new Call("GET", "/flagz"),
            new Call("GET", "/stats"),
            new Call("GET", "/stats/"),
            new Call("GET", "/stats/summary"),
            new Call("POST", "/stats/summary"),
            new Call("GET", "/metrics"),
            new Call("GET", "/metrics/cadvisor"),
            new Call("GET", "/metrics/resource"),
            new Call("GET", "/metricsfoo"),
            new Call("GET", "/logs/"),
            new Call("GET", "/logsfoo"),
            new Call("GET", "/debug/pprof/"),
            new Call("POST", "/checkpoint/default/logger/logger"),
            new Call("POST", "/attach/default/logger/logger?stdout=true"),
            new Call("POST", "/portForward/default/logger?port=18080"),
            new Call("GET", "/containerLogs/default/logger/logger?tailLines=1"),
            new Call("DELETE", "/pods"),
            new Call("POST", "/exec/default/logger/logger?command=id&output=1"),
            new Call("GET", "/exec/default/logger/logger?command=id&output=1"),
            new Call("POST", "/run/default/logger/logger?cmd=true"),
            new Call("HEAD", "/pods"),
            new Call("GET", "/stats/../pods"),
            new Call("GET", "/%70ods"));

    /** Why the proxy may answer differently from the kubelet here, or null when it must not. */
    static String deliberateDifference(Caller caller, Call call, Answer kubelet, Answer proxy) {
        if (call.method().equals("HEAD")) {
            return proxy.status() == 405 ? "405 for methods without a kubelet verb" : null;
        }
        if (call.target().contains("..") || call.target().contains("%70")) {
            return proxy.status() == 400 ? "400 for non-canonical paths" : null;
        }
        boolean kubeletMuxAnswer = kubelet.status() == 404 || kubelet.status() == 301 || kubelet.status() == 307;
        if (kubeletMuxAnswer && (proxy.status() == 401 || proxy.status() == 403)) {
            return "the kubelet's router answers " + kubelet.status() + " before authenticating; the proxy authorizes first";
        }
        boolean stream = call.target().startsWith("/exec/") || call.target().startsWith("/run/");
        if (stream && call.method().equals("GET")) {
            if (kubelet.status() == 403 && proxy.status() == 403
                    && proxy.body().equals(kubelet.body().replace("verb=get,", "verb=create,"))) {
                return "streams are authorized as create";
            }
            if (caller.mayGetProxy() && !caller.mayCreateProxy() && proxy.status() == 403 && proxy.body().contains("verb=create")) {
                return "streams need create: get nodes/proxy is not enough";
            }
            if (caller.mayCreateProxy() && kubelet.status() == 403 && proxy.status() != 403) {
                return "streams need create, which this caller has";
            }
        }
        return null;
    }

    @Test
    void theProxyAnswersLikeTheKubeletForEveryIdentityAndRequest() throws Exception {
        List<String> table = new ArrayList<>();
        List<String> unexplained = new ArrayList<>();
        table.add(String.format("%-22s %-55s %8s %8s  %s", "identity", "request", "kubelet", "proxy", "note"));
        for (Caller caller : callers.values()) {
            for (Call call : CALLS) {
                Answer direct = send(URI.create(node.kubeletUrl()), sslFor(caller, node.file("KUBELET_CA_FILE")), caller, call);
                Answer proxied = send(URI.create(proxy.url()), sslFor(caller, proxy.servingCa()), caller, call);
                String note = "";
                boolean same = direct.status() == proxied.status()
                        && (direct.status() != 401 && direct.status() != 403 || direct.body().equals(proxied.body()));
                if (!same) {
                    String reason = deliberateDifference(caller, call, direct, proxied);
                    if (reason == null) {
                        note = "UNEXPLAINED: kubelet said " + abbreviate(direct.body()) + " / proxy said " + abbreviate(proxied.body());
                        unexplained.add(caller.name() + " " + call + ": " + note);
                    } else {
                        note = "deliberate: " + reason;
                    }
                }
                table.add(String.format("%-22s %-55s %8d %8d  %s", caller.name(), call.method() + " " + call.target(),
                        direct.status(), proxied.status(), note));
            }
        }
        System.out.println("\n== differential matrix: real kubelet " + node.env().get("KUBERNETES_VERSION") + " vs kubelet-auth-proxy\n"
                + String.join("\n", table) + "\n");
        assertThat(unexplained).isEmpty();
    }

    @Test
    void allowedStaticAnswersAreTheSameBytes() throws Exception {
        Caller caller = callers.get("proxy get");
        for (Call call : List.of(new Call("GET", "/configz"), new Call("GET", "/healthz"))) {
            Answer direct = send(URI.create(node.kubeletUrl()), sslFor(caller, node.file("KUBELET_CA_FILE")), caller, call);
            Answer proxied = send(URI.create(proxy.url()), sslFor(caller, proxy.servingCa()), caller, call);
            assertThat(direct.status()).isEqualTo(200);
            assertThat(proxied).isEqualTo(direct);
        }
    }

    @Test
    void allowedPodListsAreTheSameModuloVolatileFields() throws Exception {
        Caller caller = callers.get("pods only");
        Call call = new Call("GET", "/pods");
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var direct = json.readTree(send(URI.create(node.kubeletUrl()), sslFor(caller, node.file("KUBELET_CA_FILE")), caller, call).body());
        var proxied = json.readTree(send(URI.create(proxy.url()), sslFor(caller, proxy.servingCa()), caller, call).body());

        assertThat(proxied.path("kind").asText()).isEqualTo(direct.path("kind").asText()).isEqualTo("PodList");
        assertThat(names(proxied)).isEqualTo(names(direct)).contains("default/logger");
    }

    /**
     * The kubelet's refusal names the user it derived from the certificate; the proxy must derive the same one from
     * every subject shape (Go's pkix.Name: the last CN, every O, nothing else).
     */
    @Test
    void certificateSubjectsNameTheSameUserAtTheProxyAndAtTheKubelet() throws Exception {
        Map<String, X500Name> subjects = new LinkedHashMap<>();
        subjects.put("two CNs", subject(cn("kap-e2e-first"), cn("kap-e2e-second")));
        subjects.put("three CNs, Os between", subject(cn("kap-e2e-a"), o("kap-e2e-g1"), cn("kap-e2e-b"), o("kap-e2e-g2"), cn("kap-e2e-c")));
        subjects.put("OU, serialNumber, email", subject(rdn(BCStyle.OU, new DERUTF8String("unit")),
                rdn(BCStyle.SERIALNUMBER, new DERPrintableString("42")), rdn(BCStyle.EmailAddress, new DERIA5String("a@b.c")),
                cn("kap-e2e-attrs")));
        subjects.put("PrintableString CN", subject(rdn(BCStyle.CN, new DERPrintableString("kap-e2e-printable"))));
        subjects.put("UTF8String CN", subject(rdn(BCStyle.CN, new DERUTF8String("kap-e2e-printable"))));
        subjects.put("BMPString CN", subject(rdn(BCStyle.CN, new DERBMPString("kap-e2e-bmp"))));
        subjects.put("spaces in CN", subject(cn("kap e2e  spaced ")));
        subjects.put("unicode CN", subject(cn("kap-e2e-jürgen-名前")));
        subjects.put("multi-valued RDN", subject(new RDN(new AttributeTypeAndValue[] {
                new AttributeTypeAndValue(BCStyle.CN, new DERUTF8String("kap-e2e-multi")),
                new AttributeTypeAndValue(BCStyle.O, new DERUTF8String("kap-e2e-mg"))})));
        subjects.put("empty CN", subject(cn("")));
        subjects.put("a later empty CN", subject(cn("kap-e2e-dropped"), cn("")));
        Call call = new Call("GET", "/configz");
        List<String> table = new ArrayList<>();
        for (var entry : subjects.entrySet()) {
            Caller caller = new Caller(entry.getKey(), null, node.identities().x509Subject(entry.getKey(), entry.getValue()), false, false);
            Answer direct = send(URI.create(node.kubeletUrl()), sslFor(caller, node.file("KUBELET_CA_FILE")), caller, call);
            Answer proxied = send(URI.create(proxy.url()), sslFor(caller, proxy.servingCa()), caller, call);
            table.add(String.format("%-26s kubelet %d %s / proxy %d %s", entry.getKey(), direct.status(), abbreviate(direct.body()),
                    proxied.status(), abbreviate(proxied.body())));
            assertThat(proxied.status()).as(entry.getKey()).isEqualTo(direct.status()).isIn(401, 403);
            assertThat(proxied.body()).as(entry.getKey()).isEqualTo(direct.body());
        }
        System.out.println("\n== certificate subjects: the user the kubelet and the proxy name\n" + String.join("\n", table) + "\n");
    }

    static X500Name subject(RDN... rdns) {
        return new X500Name(rdns);
    }

    static RDN cn(String value) {
        return rdn(BCStyle.CN, new DERUTF8String(value));
    }

    static RDN o(String value) {
        return rdn(BCStyle.O, new DERUTF8String(value));
    }

    static RDN rdn(ASN1ObjectIdentifier type, ASN1Encodable value) {
        return new RDN(type, value);
    }

    static List<String> names(com.fasterxml.jackson.databind.JsonNode podList) {
        List<String> names = new ArrayList<>();
        podList.path("items").forEach(pod -> names.add(pod.path("metadata").path("namespace").asText() + "/"
                + pod.path("metadata").path("name").asText() + "@" + pod.path("metadata").path("uid").asText()));
        return names.stream().map(name -> name.substring(0, name.indexOf('@'))).sorted().toList();
    }

    @Test
    void followedContainerLogsStreamThroughTheProxyAsThePodWritesThem() throws Exception {
        Caller caller = callers.get("proxy get");
        HttpClient client = HttpClient.newBuilder().sslContext(sslFor(caller, proxy.servingCa())).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(proxy.url() + "/containerLogs/default/logger/logger?follow=true&tailLines=1"))
                .header("Authorization", "Bearer " + caller.token()).build();
        HttpResponse<java.io.InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        try (var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String first = reader.readLine();
            String second = reader.readLine();
            String third = reader.readLine();
            // the pod writes one numbered line a second: three lines arriving means they were streamed, not buffered
            assertThat(List.of(first, second, third)).allSatisfy(line -> assertThat(line).isNotBlank());
            assertThat(number(third)).isGreaterThan(number(second)).isGreaterThan(number(first));
        }
    }

    static long number(String line) {
        return Long.parseLong(line.replaceAll("\\D+", " ").trim().split(" ")[0]);
    }

    SSLContext sslFor(Caller caller, java.nio.file.Path trustedCa) {
        return Identities.sslContext(caller.certificate(), trustedCa);
    }

    /** Sends {@code call} as raw HTTP/1.1 over TLS and reads the status and (for small answers) the body. */
    static Answer send(URI base, SSLContext ssl, Caller caller, Call call) throws Exception {
        try (SSLSocket socket = (SSLSocket) ssl.getSocketFactory().createSocket(base.getHost(), base.getPort())) {
            socket.setSoTimeout((int) Duration.ofSeconds(30).toMillis());
            StringBuilder request = new StringBuilder()
                    .append(call.method()).append(' ').append(call.target()).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(base.getHost()).append(':').append(base.getPort()).append("\r\n")
                    .append("Connection: close\r\n");
            if (caller.token() != null) {
                request.append("Authorization: Bearer ").append(caller.token()).append("\r\n");
            }
            if (call.method().equals("POST") || call.method().equals("PUT")) {
                request.append("Content-Length: 0\r\n");
            }
            request.append("\r\n");
            socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            byte[] all = socket.getInputStream().readAllBytes();
            String text = new String(all, StandardCharsets.UTF_8);
            int status = Integer.parseInt(text.substring(9, 12));
            int bodyStart = text.indexOf("\r\n\r\n");
            String head = text.substring(0, bodyStart).toLowerCase();
            String body = bodyStart < 0 ? "" : text.substring(bodyStart + 4);
            if (head.contains("transfer-encoding: chunked")) {
                body = dechunk(body);
            }
            return new Answer(status, body);
        }
    }

    static String dechunk(String chunked) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (at < chunked.length()) {
            int lineEnd = chunked.indexOf("\r\n", at);
            if (lineEnd < 0) {
                break;
            }
            int size = Integer.parseInt(chunked.substring(at, lineEnd).split(";")[0].trim(), 16);
            if (size == 0) {
                break;
            }
            out.append(chunked, lineEnd + 2, Math.min(chunked.length(), lineEnd + 2 + size));
            at = lineEnd + 2 + size + 2;
        }
        return out.toString();
    }

    static String abbreviate(String body) {
        String oneLine = body.replace("\n", "\\n");
        return "'" + (oneLine.length() > 120 ? oneLine.substring(0, 120) + "…" : oneLine) + "'";
    }
}
