package dev.graft.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A reader of the protocol-buffers wire format over a {@link ByteBuffer}, written here so that the
 * ONNX importer needs no generated classes and no schema copy: ONNX's messages use only varints,
 * fixed 32/64-bit values and length-delimited fields (strings, bytes, sub-messages, packed
 * repeated scalars), and this class reads exactly those.
 *
 * <p>Every length read from the input is checked against the bytes that remain before it is used,
 * so a truncated or hostile file gives an {@link OnnxException} naming the field and the offset,
 * never an allocation of a size taken on trust. Nested messages are read through
 * {@link #message()}, which returns a reader over a slice: it cannot run past its parent.
 */
public final class ProtoReader {
    /** Wire types of the protobuf encoding. */
    public static final int VARINT = 0;
    public static final int FIXED64 = 1;
    public static final int LEN = 2;
    public static final int FIXED32 = 5;

    private final ByteBuffer buf;
    private final String what;
    private final long base;
    private int tag;

    /** A reader over the remaining bytes of {@code buf}; {@code what} names the input in errors. */
    public ProtoReader(ByteBuffer buf, String what) {
        this(buf, what, 0);
    }

    private ProtoReader(ByteBuffer buf, String what, long base) {
        this.buf = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
        this.what = what;
        this.base = base;
    }

    /** True while bytes remain. */
    public boolean hasNext() {
        return buf.hasRemaining();
    }

    /** Reads the next field key; returns its field number. */
    public int next() {
        long key = varint();
        int wire = (int) (key & 7);
        long field = key >>> 3;
        if (field == 0 || field > 536_870_911L || wire == 3 || wire == 4 || wire > 5) {
            throw error("invalid field key " + key + " (field " + field + ", wire type " + wire + ")");
        }
        tag = (int) key;
        return (int) field;
    }

    /** The wire type of the field read by the last {@link #next()}. */
    public int wireType() {
        return tag & 7;
    }

    /** Skips the value of the current field. */
    public void skip() {
        switch (wireType()) {
            case VARINT -> varint();
            case FIXED64 -> advance(8);
            case LEN -> advance(length());
            case FIXED32 -> advance(4);
            default -> throw error("cannot skip wire type " + wireType());
        }
    }

    public long varint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!buf.hasRemaining()) {
                throw error("truncated varint");
            }
            byte b = buf.get();
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw error("varint longer than 10 bytes");
    }

    /** An int64/int32/enum/bool field; checks the wire type. */
    public long int64() {
        expect(VARINT);
        return varint();
    }

    public float float32() {
        expect(FIXED32);
        need(4);
        return buf.getFloat();
    }

    public double float64() {
        expect(FIXED64);
        need(8);
        return buf.getDouble();
    }

    public String string() {
        ByteBuffer b = bytes();
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return new String(a, StandardCharsets.UTF_8);
    }

    /** A length-delimited value as a read-only slice of the input (no copy). */
    public ByteBuffer bytes() {
        expect(LEN);
        int n = length();
        ByteBuffer slice = buf.slice(buf.position(), n).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(buf.position() + n);
        return slice;
    }

    /** A nested message: a reader over its bytes, whose errors report offsets in the whole input. */
    public ProtoReader message() {
        long start = base + buf.position();
        return new ProtoReader(bytes(), what, start + 0);
    }

    /** Appends a repeated varint field (packed or not) to {@code out}. */
    public void varints(LongList out) {
        if (wireType() == LEN) {
            ProtoReader packed = new ProtoReader(bytes(), what, base);
            while (packed.hasNext()) {
                out.add(packed.varint());
            }
        } else {
            out.add(int64());
        }
    }

    /** Appends a repeated float field (packed or not) to {@code out}. */
    public void floats(FloatList out) {
        if (wireType() == LEN) {
            ByteBuffer b = bytes();
            if (b.remaining() % 4 != 0) {
                throw error("packed float field of " + b.remaining() + " bytes is not a multiple of 4");
            }
            while (b.hasRemaining()) {
                out.add(b.getFloat());
            }
        } else {
            out.add(float32());
        }
    }

    /** Appends a repeated double field (packed or not) to {@code out}. */
    public void doubles(DoubleList out) {
        if (wireType() == LEN) {
            ByteBuffer b = bytes();
            if (b.remaining() % 8 != 0) {
                throw error("packed double field of " + b.remaining() + " bytes is not a multiple of 8");
            }
            while (b.hasRemaining()) {
                out.add(b.getDouble());
            }
        } else {
            out.add(float64());
        }
    }

    private int length() {
        long n = varint();
        if (n < 0 || n > buf.remaining()) {
            throw error("length " + n + " runs past the end (" + buf.remaining() + " bytes remain)");
        }
        return (int) n;
    }

    private void advance(int n) {
        need(n);
        buf.position(buf.position() + n);
    }

    private void need(int n) {
        if (buf.remaining() < n) {
            throw error("truncated: need " + n + " bytes, " + buf.remaining() + " remain");
        }
    }

    private void expect(int wire) {
        if (wireType() != wire) {
            throw error("field " + (tag >>> 3) + " has wire type " + wireType() + ", expected " + wire);
        }
    }

    /** An error naming the input and the absolute offset. */
    public OnnxException error(String msg) {
        return new OnnxException(what + ": malformed protobuf at byte " + (base + buf.position()) + ": " + msg);
    }

    /** A growable long array. */
    public static final class LongList {
        private long[] a = new long[8];
        private int n;

        public void add(long v) {
            if (n == a.length) {
                a = java.util.Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        public int size() {
            return n;
        }

        public long[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }

    /** A growable float array. */
    public static final class FloatList {
        private float[] a = new float[8];
        private int n;

        public void add(float v) {
            if (n == a.length) {
                a = java.util.Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        public int size() {
            return n;
        }

        public float[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }

    /** A growable double array. */
    public static final class DoubleList {
        private double[] a = new double[8];
        private int n;

        public void add(double v) {
            if (n == a.length) {
                a = java.util.Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        public int size() {
            return n;
        }

        public double[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }
}
