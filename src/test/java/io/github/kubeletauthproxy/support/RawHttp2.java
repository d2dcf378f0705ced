package io.github.kubeletauthproxy.support;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;

/**
 * A minimal HTTP/2 client over a TLS socket for requests no real client would send: the header block is written as
 * given (any order, duplicates, pseudo-headers without a slash, upper-case names), as HPACK literals without
 * indexing, split into HEADERS and CONTINUATION frames. One request on stream 1; the answer is read until that stream
 * ends, is reset, or the connection goes away.
 */
public final class RawHttp2 {

    /** One header field as it goes on the wire. */
    public record Field(String name, String value) {
    }

    /** How stream 1 ended: the {@code :status} (0 when none came) and how it ended (end, reset, goaway, closed). */
    public record Answer(int status, String body, String ending) {
    }

    private static final int DATA = 0;
    private static final int HEADERS = 1;
    private static final int RST_STREAM = 3;
    private static final int SETTINGS = 4;
    private static final int PING = 6;
    private static final int GOAWAY = 7;
    private static final int CONTINUATION = 9;
    private static final int END_STREAM = 0x1;
    private static final int ACK = 0x1;
    private static final int END_HEADERS = 0x4;
    private static final int PADDED = 0x8;
    private static final int PRIORITY = 0x20;
    private static final int MAX_FRAME = 16_384;

    private RawHttp2() {
    }

    /** Sends {@code fields} (and {@code body}, when not null) on stream 1 of a new HTTP/2 connection and reads the answer. */
    public static Answer exchange(SSLSocket socket, List<Field> fields, byte[] body) throws IOException {
        OutputStream out = socket.getOutputStream();
        open(socket, out);
        out.flush();
        byte[] block = encode(fields);
        int flags = body == null ? END_STREAM : 0;
        int offset = 0;
        int type = HEADERS;
        do {
            int length = Math.min(MAX_FRAME, block.length - offset);
            boolean last = offset + length == block.length;
            frame(out, type, (type == HEADERS ? flags : 0) | (last ? END_HEADERS : 0), 1,
                    Arrays.copyOfRange(block, offset, offset + length));
            offset += length;
            type = CONTINUATION;
        } while (offset < block.length);
        if (body != null) {
            frame(out, DATA, END_STREAM, 1, body);
        }
        out.flush();
        return read(socket);
    }

    /**
     * A rapid-reset client (CVE-2023-44487): opens {@code streams} requests with {@code fields}, each reset at once
     * (RST_STREAM, CANCEL) right after its HEADERS, then reads until the server ends the connection. Returns how the
     * connection ended ({@code goaway} or {@code closed}) and how many streams were written before it did.
     */
    public static Answer rapidReset(SSLSocket socket, List<Field> fields, int streams) throws IOException {
        OutputStream out = new java.io.BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        open(socket, out);
        byte[] block = encode(fields);
        byte[] cancel = {0, 0, 0, 8};
        int written = 0;
        try {
            for (int i = 0; i < streams; i++) {
                int stream = 2 * i + 1;
                frameUnflushed(out, HEADERS, END_STREAM | END_HEADERS, stream, block);
                frameUnflushed(out, RST_STREAM, 0, stream, cancel);
                written++;
                if (i % 50 == 49) {
                    out.flush();
                }
            }
            out.flush();
        } catch (SocketException cutOff) {
            return new Answer(0, String.valueOf(written), "closed");
        }
        DataInputStream in = new DataInputStream(socket.getInputStream());
        try {
            while (true) {
                int length = (in.readUnsignedShort() << 8) | in.readUnsignedByte();
                int type = in.readUnsignedByte();
                in.readUnsignedByte();
                in.readInt();
                in.readNBytes(length);
                if (type == GOAWAY) {
                    return new Answer(0, String.valueOf(written), "goaway");
                }
            }
        } catch (EOFException | SocketException closed) {
            return new Answer(0, String.valueOf(written), "closed");
        }
    }

    /** Negotiates h2 by ALPN (anything else is a test failure) and writes the connection preface and empty SETTINGS. */
    private static void open(SSLSocket socket, OutputStream out) throws IOException {
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setApplicationProtocols(new String[] {"h2"});
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        if (!"h2".equals(socket.getApplicationProtocol())) {
            throw new IllegalStateException("the server did not select h2 but '" + socket.getApplicationProtocol() + "'");
        }
        out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        frameUnflushed(out, SETTINGS, 0, 0, new byte[0]);
    }

    private static void frameUnflushed(OutputStream out, int type, int flags, int stream, byte[] payload) throws IOException {
        out.write(new byte[] {(byte) (payload.length >>> 16), (byte) (payload.length >>> 8), (byte) payload.length,
                (byte) type, (byte) flags, (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream});
        out.write(payload);
    }

    private static Answer read(SSLSocket socket) throws IOException {
        DataInputStream in = new DataInputStream(socket.getInputStream());
        DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);
        ByteArrayOutputStream headerBlock = new ByteArrayOutputStream();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int status = 0;
        try {
            while (true) {
                int length = (in.readUnsignedShort() << 8) | in.readUnsignedByte();
                int type = in.readUnsignedByte();
                int flags = in.readUnsignedByte();
                int stream = in.readInt() & 0x7fffffff;
                byte[] payload = in.readNBytes(length);
                if (payload.length < length) {
                    return new Answer(status, body.toString(StandardCharsets.UTF_8), "closed");
                }
                if (type == SETTINGS && (flags & ACK) == 0) {
                    frame(socket.getOutputStream(), SETTINGS, ACK, 0, new byte[0]);
                } else if (type == PING && (flags & ACK) == 0) {
                    frame(socket.getOutputStream(), PING, ACK, 0, payload);
                } else if (type == GOAWAY) {
                    return new Answer(status, body.toString(StandardCharsets.UTF_8), "goaway");
                } else if (stream == 1 && type == RST_STREAM) {
                    return new Answer(status, body.toString(StandardCharsets.UTF_8), "reset");
                } else if (stream == 1 && (type == HEADERS || type == CONTINUATION)) {
                    headerBlock.write(type == HEADERS ? unpadded(payload, flags, true) : payload);
                    if ((flags & END_HEADERS) != 0) {
                        Http2Headers headers = decode(decoder, headerBlock.toByteArray());
                        headerBlock.reset();
                        if (headers.status() != null && status == 0) {
                            status = Integer.parseInt(headers.status().toString());
                        }
                    }
                } else if (stream == 1 && type == DATA) {
                    body.write(unpadded(payload, flags, false));
                }
                if (stream == 1 && (type == HEADERS || type == DATA) && (flags & END_STREAM) != 0) {
                    return new Answer(status, body.toString(StandardCharsets.UTF_8), "end");
                }
            }
        } catch (EOFException | SocketException closed) {
            return new Answer(status, body.toString(StandardCharsets.UTF_8), "closed");
        } catch (SocketTimeoutException stillOpen) {
            throw new AssertionError("the proxy neither answered stream 1 nor closed the connection", stillOpen);
        }
    }

    private static Http2Headers decode(DefaultHttp2HeadersDecoder decoder, byte[] block) throws IOException {
        try {
            return decoder.decodeHeaders(1, Unpooled.wrappedBuffer(block));
        } catch (Http2Exception e) {
            throw new IOException("undecodable header block from the proxy", e);
        }
    }

    private static byte[] unpadded(byte[] payload, int flags, boolean headers) {
        int start = 0;
        int end = payload.length;
        if ((flags & PADDED) != 0) {
            end -= payload[0] & 0xff;
            start = 1;
        }
        if (headers && (flags & PRIORITY) != 0) {
            start += 5;
        }
        return Arrays.copyOfRange(payload, start, end);
    }

    private static void frame(OutputStream out, int type, int flags, int stream, byte[] payload) throws IOException {
        frameUnflushed(out, type, flags, stream, payload);
        out.flush();
    }

    /** HPACK literals without indexing, new names, no Huffman: every byte as given (RFC 7541 section 6.2.2). */
    static byte[] encode(List<Field> fields) {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        for (Field field : fields) {
            block.write(0);
            string(block, field.name().getBytes(StandardCharsets.UTF_8));
            string(block, field.value().getBytes(StandardCharsets.UTF_8));
        }
        return block.toByteArray();
    }

    private static void string(ByteArrayOutputStream block, byte[] bytes) {
        // 7-bit prefix integer, H bit clear
        int value = bytes.length;
        if (value < 127) {
            block.write(value);
        } else {
            block.write(127);
            value -= 127;
            while (value >= 128) {
                block.write((value & 0x7f) | 0x80);
                value >>>= 7;
            }
            block.write(value);
        }
        block.writeBytes(bytes);
    }
}
