package dev.graft.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A protobuf wire-format writer for building ONNX messages in tests. Public (in test code only) so
 * that the op tests in {@code dev.graft.onnx.ops} build their single-node models with it too.
 */
public final class ProtoWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public ProtoWriter varint(int field, long v) {
        key(field, 0);
        raw(v);
        return this;
    }

    public ProtoWriter f32(int field, float v) {
        key(field, 5);
        byte[] b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array();
        out.writeBytes(b);
        return this;
    }

    public ProtoWriter bytes(int field, byte[] b) {
        key(field, 2);
        raw(b.length);
        out.writeBytes(b);
        return this;
    }

    public ProtoWriter string(int field, String s) {
        return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    public ProtoWriter message(int field, ProtoWriter m) {
        return bytes(field, m.toByteArray());
    }

    public ProtoWriter packedVarints(int field, long... v) {
        ProtoWriter p = new ProtoWriter();
        for (long x : v) {
            p.raw(x);
        }
        return bytes(field, p.toByteArray());
    }

    public ProtoWriter packedFloats(int field, float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return bytes(field, b.array());
    }

    public byte[] toByteArray() {
        return out.toByteArray();
    }

    private void key(int field, int wire) {
        raw(((long) field << 3) | wire);
    }

    private void raw(long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    // ---------------------------------------------------------------- ONNX message helpers

    /** A float TensorProto with raw_data. */
    static ProtoWriter floatTensor(String name, long[] dims, float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return new ProtoWriter().packedVarints(1, dims).varint(2, 1).string(8, name).bytes(9, b.array());
    }

    static ProtoWriter node(String name, String op, String[] in, String[] out, ProtoWriter... attrs) {
        ProtoWriter n = new ProtoWriter();
        for (String s : in) {
            n.string(1, s);
        }
        for (String s : out) {
            n.string(2, s);
        }
        n.string(3, name).string(4, op);
        for (ProtoWriter a : attrs) {
            n.message(5, a);
        }
        return n;
    }

    static ProtoWriter intAttr(String name, long v) {
        return new ProtoWriter().string(1, name).varint(20, 2).varint(3, v);
    }

    /** ValueInfoProto of a float tensor with fixed dims (negative = symbolic 'N'). */
    static ProtoWriter valueInfo(String name, int elemType, long... dims) {
        ProtoWriter shape = new ProtoWriter();
        for (long d : dims) {
            shape.message(1, d >= 0 ? new ProtoWriter().varint(1, d) : new ProtoWriter().string(2, "N"));
        }
        ProtoWriter tensorType = new ProtoWriter().varint(1, elemType).message(2, shape);
        return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
    }

    static byte[] model(int opset, ProtoWriter graph) {
        return new ProtoWriter().varint(1, 8).string(2, "graft-test")
                .message(8, new ProtoWriter().string(1, "").varint(2, opset))
                .message(7, graph).toByteArray();
    }
}
