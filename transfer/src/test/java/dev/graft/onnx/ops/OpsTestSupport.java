package dev.graft.onnx.ops;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.graft.autograd.GradCheck;
import dev.graft.onnx.OnnxAttribute;
import dev.graft.onnx.OnnxModel;
import dev.graft.onnx.OnnxModule;
import dev.graft.onnx.OnnxNode;
import dev.graft.onnx.ProtoWriter;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Helpers shared by the op tests of this package ({@link MathOpsTest}, {@link NnOpsTest},
 * {@link ShapeOpsTest}, {@link QuantOpsTest}): building an {@link OnnxNode} and running one op
 * through the SPI, the float64 central-difference gradient check, and single-node ONNX models
 * (written with {@link ProtoWriter}) run by both Graft and ONNX Runtime.
 */
final class OpsTestSupport {
    static final OpRegistry REG = OpRegistry.standard();

    /** ONNX TensorProto.DataType codes. */
    static final int FLOAT = 1, UINT8 = 2, INT8 = 3, UINT16 = 4, INT16 = 5, INT32 = 6, INT64 = 7, BOOL = 9, FLOAT16 = 10,
            DOUBLE = 11, UINT32 = 12, UINT64 = 13;

    private OpsTestSupport() {
    }

    // ------------------------------------------------------------------ nodes and attributes

    /** A node named 'n' with inputs in0.. and outputs out0.. */
    static OnnxNode node(String op, int inputs, int outputs, OnnxAttribute... attrs) {
        List<String> in = new ArrayList<>();
        for (int i = 0; i < inputs; i++) {
            in.add("in" + i);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            out.add("out" + i);
        }
        Map<String, OnnxAttribute> a = new LinkedHashMap<>();
        for (OnnxAttribute x : attrs) {
            a.put(x.name(), x);
        }
        return new OnnxNode("n", op, "", in, out, a);
    }

    static OnnxAttribute i(String name, long v) {
        return new OnnxAttribute(name, OnnxAttribute.Type.INT, 0, v, null, null, null, null, null, null, null);
    }

    static OnnxAttribute f(String name, float v) {
        return new OnnxAttribute(name, OnnxAttribute.Type.FLOAT, v, 0, null, null, null, null, null, null, null);
    }

    static OnnxAttribute s(String name, String v) {
        return new OnnxAttribute(name, OnnxAttribute.Type.STRING, 0, 0, v, null, null, null, null, null, null);
    }

    static OnnxAttribute ints(String name, long... v) {
        return new OnnxAttribute(name, OnnxAttribute.Type.INTS, 0, 0, null, null, null, null, v, null, null);
    }

    static OnnxAttribute t(String name, Tensor v) {
        return new OnnxAttribute(name, OnnxAttribute.Type.TENSOR, 0, 0, null, v, null, null, null, null, null);
    }

    // ------------------------------------------------------------------ running one op

    /** Runs the node's op (default domain) after checking it is registered and accepted at load. */
    static Tensor[] runNode(OnnxNode n, int opset, Tensor... inputs) {
        OnnxOp impl = REG.find("", n.opType());
        assertNotNull(impl, n.opType() + " is not registered");
        assertNull(impl.unsupportedReason(n, opset), "refused at load");
        return impl.apply(new OpContext(n, opset, inputs));
    }

    /** Runs {@code op} on a node with one input per tensor and {@code outputs} outputs. */
    static Tensor[] runAll(String op, int opset, int outputs, OnnxAttribute[] attrs, Tensor... inputs) {
        return runNode(node(op, inputs.length, outputs, attrs), opset, inputs);
    }

    // ------------------------------------------------------------------ gradients

    /** Gradients of {@code fn} against float64 central differences ({@link GradCheck}). */
    static void gradCheck(String name, Function<Tensor[], Tensor> fn, Tensor... inputs) {
        GradCheck.Result r = GradCheck.check(name, fn, inputs);
        assertTrue(r.passed(), r.toString());
    }

    // ------------------------------------------------------------------ single-node ONNX models

    /** An AttributeProto with a short text for failure messages. */
    record Attr(ProtoWriter proto, String text) {
    }

    static Attr ai(String name, long v) {
        return new Attr(new ProtoWriter().string(1, name).varint(20, 2).varint(3, v), name + "=" + v);
    }

    static Attr af(String name, float v) {
        return new Attr(new ProtoWriter().string(1, name).varint(20, 1).f32(2, v), name + "=" + v);
    }

    static Attr as(String name, String v) {
        return new Attr(new ProtoWriter().string(1, name).varint(20, 3).string(4, v), name + "=" + v);
    }

    static Attr ais(String name, long... v) {
        ProtoWriter p = new ProtoWriter().string(1, name).varint(20, 7);
        for (long x : v) {
            p.varint(8, x);
        }
        return new Attr(p, name + "=" + Arrays.toString(v));
    }

    static Attr afs(String name, float... v) {
        ProtoWriter p = new ProtoWriter().string(1, name).varint(20, 6);
        for (float x : v) {
            p.f32(7, x);
        }
        return new Attr(p, name + "=" + Arrays.toString(v));
    }

    static Attr astrs(String name, String... v) {
        ProtoWriter p = new ProtoWriter().string(1, name).varint(20, 8);
        for (String x : v) {
            p.string(9, x);
        }
        return new Attr(p, name + "=" + Arrays.toString(v));
    }

    /** A TENSOR attribute holding one INT64 or FLOAT scalar of {@code value}. */
    static Attr tensorAttr(String name, int type, long value) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        if (type == INT64) {
            b.putLong(value);
        } else {
            b.putFloat(value).limit(4);
        }
        byte[] raw = Arrays.copyOf(b.array(), type == INT64 ? 8 : 4);
        return new Attr(new ProtoWriter().string(1, name).varint(20, 4)
                .message(5, new ProtoWriter().varint(1, 1).varint(2, type).bytes(9, raw)), name + "=tensor(" + value + ")");
    }

    static Attr[] none() {
        return new Attr[0];
    }

    static String describe(Attr[] attrs) {
        return Arrays.stream(attrs).map(Attr::text).toList().toString();
    }

    /** A graph input's declaration: name, ONNX element type and fixed shape. */
    interface GraphInput {
        String name();

        int type();

        int[] shape();
    }

    /**
     * The bytes of a model (IR 9) with one node 'n' of {@code op}: inputs in order (null: an omitted
     * optional input), outputs y0, y1.. typed by {@code outTypes} (0: an omitted output).
     */
    static byte[] singleNodeModel(String op, int opset, Attr[] attrs, GraphInput[] inputs, int... outTypes) {
        ProtoWriter node = new ProtoWriter();
        for (GraphInput x : inputs) {
            node.string(1, x == null ? "" : x.name());
        }
        for (int k = 0; k < outTypes.length; k++) {
            node.string(2, outTypes[k] == 0 ? "" : "y" + k);
        }
        node.string(3, "n").string(4, op);
        for (Attr a : attrs) {
            node.message(5, a.proto());
        }
        ProtoWriter graph = new ProtoWriter().message(1, node).string(2, "g");
        for (GraphInput x : inputs) {
            if (x != null) {
                ProtoWriter dims = new ProtoWriter();
                for (int d : x.shape()) {
                    dims.message(1, new ProtoWriter().varint(1, d));
                }
                graph.message(11, new ProtoWriter().string(1, x.name()).message(2, new ProtoWriter().message(1,
                        new ProtoWriter().varint(1, x.type()).message(2, dims))));
            }
        }
        for (int k = 0; k < outTypes.length; k++) {
            if (outTypes[k] != 0) {
                graph.message(12, new ProtoWriter().string(1, "y" + k).message(2, new ProtoWriter().message(1,
                        new ProtoWriter().varint(1, outTypes[k]))));
            }
        }
        return new ProtoWriter().varint(1, 9).message(8, new ProtoWriter().string(1, "").varint(2, opset)).message(7, graph)
                .toByteArray();
    }

    /** ONNX Runtime's environment, or the test is aborted where it is not available. */
    static OrtEnvironment ortOrAbort() {
        try {
            return OrtEnvironment.getEnvironment();
        } catch (Throwable t) {
            Assumptions.abort("ONNX Runtime is not available here: " + t);
            throw new AssertionError("unreachable");
        }
    }

    /** A graph input with its values (integers and bools as whole doubles). */
    record In(String name, int type, int[] shape, double[] values) implements GraphInput {
    }

    static In[] ins(In... x) {
        return x;
    }

    /**
     * Builds the single-node model, runs Graft and ONNX Runtime on it and compares every output in
     * type, shape and value (1e-5 absolute + 1e-4 relative).
     */
    static void check(String op, int opset, Attr[] attrs, In[] ins, int... outTypes) {
        byte[] model = singleNodeModel(op, opset, attrs, ins, outTypes);
        String what = op + " opset " + opset + " " + describe(attrs);

        Map<String, Tensor> feeds = new LinkedHashMap<>();
        for (In x : ins) {
            if (x != null) {
                feeds.put(x.name(), graftTensor(x));
            }
        }
        Map<String, Tensor> ours = OnnxModule.of(OnnxModel.parse(ByteBuffer.wrap(model), what, null), REG).infer(feeds);

        OrtEnvironment env = ortOrAbort();
        try (OrtSession session = env.createSession(model, new OrtSession.SessionOptions())) {
            Map<String, OnnxTensor> ortFeeds = new LinkedHashMap<>();
            try {
                for (In x : ins) {
                    if (x != null) {
                        ortFeeds.put(x.name(), ortTensor(env, x));
                    }
                }
                try (OrtSession.Result r = session.run(ortFeeds)) {
                    for (int k = 0; k < outTypes.length; k++) {
                        if (outTypes[k] != 0) {
                            OnnxTensor t = (OnnxTensor) r.get("y" + k).orElseThrow();
                            compare(what + " output " + k, t, ours.get("y" + k));
                        }
                    }
                }
            } finally {
                ortFeeds.values().forEach(OnnxTensor::close);
            }
        } catch (OrtException e) {
            throw new AssertionError(what + ": ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    private static Tensor graftTensor(In x) {
        Tensor t = Tensor.fromArray(x.values().clone(), x.values().length).reshape(x.shape());
        return switch (x.type()) {
            case FLOAT -> t.to(DType.FLOAT32);
            case DOUBLE -> t;
            case INT32 -> t.to(DType.INT32);
            case INT64 -> t.to(DType.INT64);
            case UINT8 -> t.to(DType.UINT8);
            case BOOL -> t.ne(0);
            default -> throw new IllegalArgumentException("type " + x.type());
        };
    }

    private static OnnxTensor ortTensor(OrtEnvironment env, In x) throws OrtException {
        long[] shape = Arrays.stream(x.shape()).asLongStream().toArray();
        double[] values = x.values();
        int n = values.length;
        return switch (x.type()) {
            case FLOAT -> {
                float[] v = new float[n];
                for (int k = 0; k < n; k++) {
                    v[k] = (float) values[k];
                }
                yield OnnxTensor.createTensor(env, FloatBuffer.wrap(v), shape);
            }
            case DOUBLE -> OnnxTensor.createTensor(env, DoubleBuffer.wrap(values.clone()), shape);
            case INT32 -> OnnxTensor.createTensor(env, IntBuffer.wrap(Arrays.stream(values).mapToInt(d -> (int) d).toArray()), shape);
            case INT64 -> OnnxTensor.createTensor(env, LongBuffer.wrap(Arrays.stream(values).mapToLong(d -> (long) d).toArray()), shape);
            case UINT8, BOOL -> {
                ByteBuffer b = ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder());
                for (double d : values) {
                    b.put((byte) (x.type() == BOOL ? (d != 0 ? 1 : 0) : (int) d));
                }
                b.rewind();
                yield OnnxTensor.createTensor(env, b, shape, x.type() == BOOL ? OnnxJavaType.BOOL : OnnxJavaType.UINT8);
            }
            default -> throw new IllegalArgumentException("type " + x.type());
        };
    }

    private static void compare(String what, OnnxTensor expected, Tensor actual) {
        assertNotNull(actual, what + " was not produced");
        int[] shape = Arrays.stream(expected.getInfo().getShape()).mapToInt(d -> (int) d).toArray();
        assertArrayEquals(shape, actual.shape(), what + ": shape");
        int n = actual.numel();
        double[] e = new double[n];
        DType want;
        switch (expected.getInfo().type) {
            case FLOAT -> {
                want = DType.FLOAT32;
                FloatBuffer b = expected.getFloatBuffer();
                for (int k = 0; k < n; k++) {
                    e[k] = b.get(k);
                }
            }
            case DOUBLE -> {
                want = DType.FLOAT64;
                DoubleBuffer b = expected.getDoubleBuffer();
                for (int k = 0; k < n; k++) {
                    e[k] = b.get(k);
                }
            }
            case INT32 -> {
                want = DType.INT32;
                IntBuffer b = expected.getIntBuffer();
                for (int k = 0; k < n; k++) {
                    e[k] = b.get(k);
                }
            }
            case INT64 -> {
                want = DType.INT64;
                LongBuffer b = expected.getLongBuffer();
                for (int k = 0; k < n; k++) {
                    e[k] = b.get(k);
                }
            }
            case UINT8, BOOL -> {
                want = expected.getInfo().type == OnnxJavaType.BOOL ? DType.BOOL : DType.UINT8;
                ByteBuffer b = expected.getByteBuffer();
                for (int k = 0; k < n; k++) {
                    e[k] = b.get(k) & 0xFF;
                }
            }
            default -> throw new AssertionError(what + ": unexpected ORT type " + expected.getInfo().type);
        }
        assertEquals(want, actual.dtype(), what + ": dtype");
        double[] a = actual.contiguous().toDoubleArray();
        for (int k = 0; k < n; k++) {
            boolean ok = Double.isNaN(e[k]) ? Double.isNaN(a[k]) : a[k] == e[k] || Math.abs(a[k] - e[k]) <= 1e-5 + 1e-4 * Math.abs(e[k]);
            assertTrue(ok, what + ": element " + k + " is " + a[k] + ", ONNX Runtime gives " + e[k]);
        }
    }
}
