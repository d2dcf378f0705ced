package io.github.kubeletauthproxy.authn;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

import reactor.core.publisher.Mono;

/**
 * A client certificate, already verified against the client CA by the TLS layer: user and groups exactly as
 * Kubernetes derives them (Go's {@code pkix.Name}): the subject's attributes in encoded order, the last CN is the
 * user, every O in order is a group, nothing else counts. The leaf must carry the clientAuth extended key usage (a
 * certificate without an EKU extension is refused, stricter than Go's "no EKU means any"). An empty CN means "not
 * authenticated by this method". A subject Go could not parse is refused.
 */
public final class X509Authenticator implements Authenticator {

    static final String CLIENT_AUTH_EKU = "1.3.6.1.5.5.7.3.2";
    static final String ANY_EKU = "2.5.29.37.0";

    @Override
    public Mono<AuthenticationResult> authenticate(RequestCredentials credentials) {
        if (credentials.clientCertificates().isEmpty()) {
            return Mono.just(AuthenticationResult.notApplicable());
        }
        return Mono.fromSupplier(() -> authenticate(credentials.clientCertificates().get(0)));
    }

    static AuthenticationResult authenticate(X509Certificate leaf) {
        try {
            List<String> usages = leaf.getExtendedKeyUsage();
            if (usages == null || !(usages.contains(CLIENT_AUTH_EKU) || usages.contains(ANY_EKU))) {
                return new AuthenticationResult.Rejected("client certificate lacks the clientAuth extended key usage");
            }
        } catch (CertificateParsingException e) {
            return new AuthenticationResult.Rejected("unreadable extended key usage: " + e.getMessage());
        }
        Subject subject;
        try {
            subject = Subject.of(leaf.getSubjectX500Principal().getEncoded());
        } catch (IllegalArgumentException e) {
            return new AuthenticationResult.Rejected("unreadable certificate subject: " + e.getMessage());
        }
        if (subject.commonName().isEmpty()) {
            return AuthenticationResult.notApplicable();
        }
        return new AuthenticationResult.Authenticated(new UserInfo(subject.commonName(), "", subject.organizations(), Map.of()));
    }

    /** The two parts of a subject Kubernetes reads: Go's {@code Name.CommonName} and {@code Name.Organization}. */
    record Subject(String commonName, List<String> organizations) {

        // DER of the attribute types 2.5.4.3 (commonName) and 2.5.4.10 (organizationName)
        private static final byte[] CN = {0x55, 0x04, 0x03};
        private static final byte[] O = {0x55, 0x04, 0x0a};

        /**
         * Reads a DER Name (SEQUENCE OF SET OF SEQUENCE {type, value}) as Go does: every attribute of every RDN in
         * order, a later CN replacing an earlier one, each O appended; values must be one of the string types Go's
         * certificate parser accepts, valid for their type, or the whole certificate is unreadable.
         */
        static Subject of(byte[] der) {
            Der name = new Der(der, 0, der.length);
            Der rdns = name.next(0x30);
            name.end();
            String commonName = "";
            List<String> organizations = new ArrayList<>();
            while (rdns.hasNext()) {
                Der attributes = rdns.next(0x31);
                while (attributes.hasNext()) {
                    Der attribute = attributes.next(0x30);
                    byte[] type = attribute.next(0x06).bytes();
                    int valueTag = attribute.peekTag();
                    String value = string(valueTag, attribute.next(valueTag).bytes());
                    attribute.end();
                    if (Arrays.equals(type, CN)) {
                        commonName = value;
                    } else if (Arrays.equals(type, O)) {
                        organizations.add(value);
                    }
                }
            }
            return new Subject(commonName, List.copyOf(organizations));
        }

        /** Go's parseASN1String: the string types a certificate may use, each checked as Go checks it. */
        private static String string(int tag, byte[] value) {
            return switch (tag) {
                case 0x0c -> utf8(value);
                case 0x13 -> ascii(value, "PrintableString", Subject::printable);
                case 0x16 -> ascii(value, "IA5String", b -> b < 0x80);
                case 0x12 -> ascii(value, "NumericString", b -> (b >= '0' && b <= '9') || b == ' ');
                // Go keeps a T61String's bytes as they are: as a string of Latin-1 characters
                case 0x14 -> new String(value, StandardCharsets.ISO_8859_1);
                case 0x1e -> bmp(value);
                default -> throw new IllegalArgumentException("attribute value of unsupported ASN.1 type " + tag);
            };
        }

        /** UCS-2 big-endian, a trailing NUL dropped, unpaired surrogates replaced: Go's parseBMPString. */
        private static String bmp(byte[] value) {
            if (value.length % 2 != 0) {
                throw new IllegalArgumentException("BMPString of odd length");
            }
            int length = value.length;
            if (length >= 2 && value[length - 1] == 0 && value[length - 2] == 0) {
                length -= 2;
            }
            return new String(value, 0, length, StandardCharsets.UTF_16BE);
        }

        private static boolean printable(int b) {
            return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
                    || " '()+,-./:=?*&".indexOf(b) >= 0;
        }

        private static String ascii(byte[] value, String type, IntPredicate allowed) {
            for (byte b : value) {
                if (!allowed.test(b & 0xff)) {
                    throw new IllegalArgumentException("invalid " + type);
                }
            }
            return new String(value, StandardCharsets.US_ASCII);
        }

        private static String utf8(byte[] value) {
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException("invalid UTF8String");
            }
        }
    }

    /** A cursor over DER elements between two offsets: tags below 31, definite lengths only (as DER requires). */
    private static final class Der {

        private final byte[] der;
        private final int end;
        private int position;

        Der(byte[] der, int start, int end) {
            this.der = der;
            this.position = start;
            this.end = end;
        }

        boolean hasNext() {
            return position < end;
        }

        int peekTag() {
            if (position >= end) {
                throw new IllegalArgumentException("truncated DER");
            }
            return der[position] & 0xff;
        }

        /** The next element, which must have {@code tag}: a cursor over its contents. */
        Der next(int tag) {
            if (peekTag() != tag) {
                throw new IllegalArgumentException("unexpected DER tag " + peekTag() + ", wanted " + tag);
            }
            position++;
            if (position >= end) {
                throw new IllegalArgumentException("truncated DER");
            }
            int length = der[position++] & 0xff;
            if (length >= 0x80) {
                int octets = length & 0x7f;
                if (octets == 0 || octets > 3 || octets > end - position) {
                    throw new IllegalArgumentException("unsupported DER length");
                }
                length = 0;
                for (int i = 0; i < octets; i++) {
                    length = (length << 8) | (der[position++] & 0xff);
                }
            }
            if (length > end - position) {
                throw new IllegalArgumentException("truncated DER");
            }
            Der contents = new Der(der, position, position + length);
            position += length;
            return contents;
        }

        byte[] bytes() {
            return Arrays.copyOfRange(der, position, end);
        }

        void end() {
            if (position != end) {
                throw new IllegalArgumentException("trailing DER bytes");
            }
        }
    }
}
