package io.github.kubeletauthproxy.authn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;

import io.github.kubeletauthproxy.support.TestPki;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBMPString;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.DERUniversalString;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * User and groups from a client certificate's subject are what Kubernetes derives (Go's pkix.Name): attributes in
 * encoded order, the last CN wins, every O in order, nothing else; a subject Go cannot parse is refused.
 */
class X509AuthenticatorTest {

    static final TestPki PKI = new TestPki("x509-subjects");

    static Stream<Arguments> subjects() {
        return Stream.of(
                // subject (RDNs in encoded order)                         user             groups
                row("one CN", name(cn("alice")), "alice", List.of()),
                row("two CNs: the last wins", name(cn("first"), cn("second")), "second", List.of()),
                row("three CNs", name(cn("a"), cn("b"), cn("c")), "c", List.of()),
                row("Os before and after the CN, in order", name(o("g1"), cn("u"), o("g2")), "u", List.of("g1", "g2")),
                row("OU, serialNumber, emailAddress, C, L ignored",
                        name(rdn(BCStyle.OU, utf8("unit")), rdn(BCStyle.SERIALNUMBER, printable("123")),
                                rdn(BCStyle.EmailAddress, new DERIA5String("u@example.com")), rdn(BCStyle.C, printable("DE")),
                                rdn(BCStyle.L, utf8("Berlin")), cn("u"), o("g")), "u", List.of("g")),
                row("PrintableString CN", name(rdn(BCStyle.CN, printable("plain")), o("g")), "plain", List.of("g")),
                row("UTF8String CN", name(rdn(BCStyle.CN, utf8("plain")), o("g")), "plain", List.of("g")),
                row("IA5String CN", name(rdn(BCStyle.CN, new DERIA5String("ia5 user"))), "ia5 user", List.of()),
                row("BMPString CN", name(rdn(BCStyle.CN, new DERBMPString("bmp-jürgen"))), "bmp-jürgen", List.of()),
                row("spaces kept", name(cn(" jane  doe ")), " jane  doe ", List.of()),
                row("unicode kept", name(cn("jürgen 😀 名前"), o("grüppe")), "jürgen 😀 名前", List.of("grüppe")),
                row("multi-valued RDN CN+O", name(new RDN(new AttributeTypeAndValue[] {
                        new AttributeTypeAndValue(BCStyle.CN, utf8("multi")), new AttributeTypeAndValue(BCStyle.O, utf8("mg"))})),
                        "multi", List.of("mg")),
                row("only Os: not this method", name(o("g")), null, null),
                row("empty CN: not this method", name(cn("")), null, null),
                row("a later empty CN empties the user", name(cn("u"), cn("")), null, null),
                row("PrintableString with a character Go refuses", name(rdn(BCStyle.CN, new DERPrintableString("a@b", false))),
                        "refused", null),
                row("UniversalString Go cannot read", name(cn("u"), rdn(BCStyle.OU, new DERUniversalString(new byte[] {0, 0, 0, 0x41}))),
                        "refused", null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void userAndGroupsAreWhatKubernetesDerives(String description, X500Name subject, String user, List<String> groups) {
        AuthenticationResult result = X509Authenticator.authenticate(PKI.clientWithSubject(subject).certificate());

        if (user == null) {
            assertThat(result).isEqualTo(AuthenticationResult.notApplicable());
        } else if (user.equals("refused")) {
            assertThat(result).isInstanceOf(AuthenticationResult.Rejected.class);
        } else {
            assertThat(result).isInstanceOfSatisfying(AuthenticationResult.Authenticated.class, ok -> {
                assertThat(ok.user().name()).isEqualTo(user);
                assertThat(ok.user().groups()).containsExactlyElementsOf(groups);
            });
        }
    }

    static Arguments row(String description, X500Name subject, String user, List<String> groups) {
        return Arguments.of(description, subject, user, groups);
    }

    static X500Name name(RDN... rdns) {
        return new X500Name(rdns);
    }

    static RDN cn(String value) {
        return rdn(BCStyle.CN, utf8(value));
    }

    static RDN o(String value) {
        return rdn(BCStyle.O, utf8(value));
    }

    static RDN rdn(ASN1ObjectIdentifier type, ASN1Encodable value) {
        return new RDN(type, value);
    }

    static ASN1Encodable utf8(String value) {
        return new DERUTF8String(value);
    }

    static ASN1Encodable printable(String value) {
        return new DERPrintableString(value);
    }
}
