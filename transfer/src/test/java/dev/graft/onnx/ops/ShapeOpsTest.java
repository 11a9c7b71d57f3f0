package dev.graft.onnx.ops;

import dev.graft.autograd.GradCheck;
import dev.graft.onnx.OnnxAttribute;
import dev.graft.onnx.OnnxException;
import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ShapeOps called directly through the op SPI: ONNX semantics on small hand-checked cases (the
 * node suite covers the rest), gradients of the float paths against float64 central differences,
 * and the load-time refusals.
 */
class ShapeOpsTest {
    private static final OpRegistry REG = OpRegistry.standard();
    private static final long INT64_MAX = Long.MAX_VALUE;
    private static final long INT64_MIN = Long.MIN_VALUE;

    // ------------------------------------------------------------------ helpers

    private static OnnxNode node(String op, int inputs, int outputs, OnnxAttribute... attrs) {
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

    private static OnnxAttribute i(String name, long v) {
        return new OnnxAttribute(name, OnnxAttribute.Type.INT, 0, v, null, null, null, null, null, null, null);
    }

    private static OnnxAttribute f(String name, float v) {
        return new OnnxAttribute(name, OnnxAttribute.Type.FLOAT, v, 0, null, null, null, null, null, null, null);
    }

    private static OnnxAttribute ints(String name, long... v) {
        return new OnnxAttribute(name, OnnxAttribute.Type.INTS, 0, 0, null, null, null, null, v, null, null);
    }

    private static OnnxAttribute s(String name, String v) {
        return new OnnxAttribute(name, OnnxAttribute.Type.STRING, 0, 0, v, null, null, null, null, null, null);
    }

    private static OnnxAttribute t(String name, Tensor v) {
        return new OnnxAttribute(name, OnnxAttribute.Type.TENSOR, 0, 0, null, v, null, null, null, null, null);
    }

    private static Tensor[] run(OnnxNode n, int opset, Tensor... inputs) {
        OnnxOp op = REG.find("", n.opType());
        assertNull(op.unsupportedReason(n, opset), "refused at load");
        return op.apply(new OpContext(n, opset, inputs));
    }

    private static Tensor run1(String op, int opset, Tensor[] inputs, OnnxAttribute... attrs) {
        return run(node(op, inputs.length, 1, attrs), opset, inputs)[0];
    }

    private static Tensor longs(long... v) {
        return Tensor.fromArray(v);
    }

    private static Tensor longScalar(long v) {
        return Tensor.fromArray(new long[] {v}).reshape();
    }

    private static Tensor floats(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[n];
        for (int k = 0; k < n; k++) {
            v[k] = k;
        }
        return Tensor.fromArray(v, shape);
    }

    private static Tensor randomF64(long seed, int... shape) {
        return Tensor.uniform(new Generator(seed), -1, 1, DType.FLOAT64, shape).requiresGrad(true);
    }

    private static void gradcheck(String name, Function<Tensor[], Tensor> fn, Tensor... inputs) {
        GradCheck.Result r = GradCheck.check(name, fn, inputs);
        assertTrue(r.passed(), r.toString());
    }

    private static void assertValues(Tensor t, double... expected) {
        assertArrayEquals(expected, t.contiguous().toDoubleArray(), 0, t.toString());
    }

    // ------------------------------------------------------------------ shape arithmetic as MiniLM does it

    @Test
    void shapeGatherUnsqueezeConcatReshapeOnInt64() {
        Tensor x = floats(new int[] {2, 3, 4});
        Tensor shape = run1("Shape", 11, new Tensor[] {x});
        assertEquals(DType.INT64, shape.dtype());
        assertValues(shape, 2, 3, 4);
        Tensor batch = run1("Gather", 11, new Tensor[] {shape, longScalar(0)}, i("axis", 0));
        assertArrayEquals(new int[0], batch.shape());
        Tensor last = run1("Gather", 11, new Tensor[] {shape, longScalar(-1)});
        assertEquals(4, last.getLong());
        Tensor b1 = run1("Unsqueeze", 11, new Tensor[] {batch}, ints("axes", 0));
        assertArrayEquals(new int[] {1}, b1.shape());
        Tensor target = run1("Concat", 11, new Tensor[] {b1, longs(-1), longs(2)}, i("axis", 0));
        assertValues(target, 2, -1, 2);
        Tensor y = run1("Reshape", 11, new Tensor[] {x, target});
        assertArrayEquals(new int[] {2, 6, 2}, y.shape());
        Tensor z = run1("Reshape", 11, new Tensor[] {x, longs(0, 0, -1, 2)});
        assertArrayEquals(new int[] {2, 3, 2, 2}, z.shape());
        assertEquals(24, run1("Size", 11, new Tensor[] {x}).getLong());
        assertArrayEquals(new int[0], run1("Size", 11, new Tensor[] {x}).shape());
    }

    @Test
    void reshapeAllowZeroAndErrors() {
        Tensor empty = Tensor.zeros(0, 3);
        Tensor r = run1("Reshape", 14, new Tensor[] {empty, longs(3, 0)}, i("allowzero", 1));
        assertArrayEquals(new int[] {3, 0}, r.shape());
        OnnxException e = assertThrows(OnnxException.class,
                () -> run1("Reshape", 14, new Tensor[] {floats(new int[] {2, 3}), longs(4, 2)}));
        assertTrue(e.getMessage().contains("Reshape node 'n'") && e.getMessage().contains("[4, 2]")
                && e.getMessage().contains("[2, 3]"), e.getMessage());
        assertThrows(OnnxException.class, () -> run1("Reshape", 14, new Tensor[] {floats(new int[] {6}), longs(-1, -1)}));
        assertThrows(OnnxException.class,
                () -> run1("Reshape", 14, new Tensor[] {empty, longs(0, -1)}, i("allowzero", 1)));
    }

    @Test
    void flattenSqueezeUnsqueezeTranspose() {
        Tensor x = floats(new int[] {2, 3, 4});
        assertArrayEquals(new int[] {1, 24}, run1("Flatten", 13, new Tensor[] {x}, i("axis", 0)).shape());
        assertArrayEquals(new int[] {6, 4}, run1("Flatten", 13, new Tensor[] {x}, i("axis", -1)).shape());
        assertArrayEquals(new int[] {24, 1}, run1("Flatten", 13, new Tensor[] {x}, i("axis", 3)).shape());
        Tensor u = run1("Unsqueeze", 13, new Tensor[] {x, longs(-1, 0)});
        assertArrayEquals(new int[] {1, 2, 3, 4, 1}, u.shape());
        assertArrayEquals(new int[] {2, 3, 4, 1}, run1("Squeeze", 13, new Tensor[] {u, longs(0)}).shape());
        assertArrayEquals(new int[] {2, 3, 4}, run1("Squeeze", 11, new Tensor[] {u}, ints("axes", 0, -1)).shape());
        assertArrayEquals(new int[] {2, 3, 4}, run1("Squeeze", 13, new Tensor[] {u}).shape());
        assertThrows(OnnxException.class, () -> run1("Squeeze", 13, new Tensor[] {x, longs(1)}));
        Tensor tr = run1("Transpose", 13, new Tensor[] {x});
        assertArrayEquals(new int[] {4, 3, 2}, tr.shape());
        assertEquals(x.get(1, 2, 3), tr.get(3, 2, 1));
        assertThrows(OnnxException.class, () -> run1("Transpose", 13, new Tensor[] {x}, ints("perm", 0, 0, 1)));
    }

    @Test
    void splitForms() {
        Tensor x = floats(new int[] {7});
        Tensor[] parts = run(node("Split", 1, 3, i("num_outputs", 3)), 18, x);
        assertArrayEquals(new int[] {3}, parts[0].shape());
        assertArrayEquals(new int[] {3}, parts[1].shape());
        assertArrayEquals(new int[] {1}, parts[2].shape());
        Tensor[] byAttr = run(node("Split", 1, 2, ints("split", 2, 5)), 11, x);
        assertValues(byAttr[0], 0, 1);
        Tensor[] byInput = run(node("Split", 2, 2), 13, x, longs(4, 3));
        assertValues(byInput[1], 4, 5, 6);
        assertThrows(OnnxException.class, () -> run(node("Split", 2, 2), 13, x, longs(4, 4)));
    }

    // ------------------------------------------------------------------ Slice, Gather

    @Test
    void sliceClampsHugeAndNegativeIndices() {
        Tensor x = floats(new int[] {10});
        assertValues(run1("Slice", 13, new Tensor[] {x, longs(2), longs(INT64_MAX)}), 2, 3, 4, 5, 6, 7, 8, 9);
        assertValues(run1("Slice", 13, new Tensor[] {x, longs(-3), longs(INT64_MAX)}), 7, 8, 9);
        assertValues(run1("Slice", 13, new Tensor[] {x, longs(INT64_MAX), longs(INT64_MIN), longs(0), longs(-3)}), 9, 6, 3, 0);
        assertValues(run1("Slice", 13, new Tensor[] {x, longs(-1), longs(-11), longs(0), longs(-1)}), 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
        assertValues(run1("Slice", 13, new Tensor[] {x, longs(1), longs(8), longs(-1), longs(INT64_MAX)}), 1);
        assertArrayEquals(new int[] {0}, run1("Slice", 13, new Tensor[] {x, longs(5), longs(2)}).shape());
        assertValues(run1("Slice", 9, new Tensor[] {x}, ints("starts", 1), ints("ends", 3)), 1, 2);
        Tensor m = floats(new int[] {3, 4});
        assertValues(run1("Slice", 13, new Tensor[] {m, longs(3, 1), longs(0, 3), longs(-1, 0), longs(-2, 1)}), 7, 5, 11, 9);
        assertThrows(OnnxException.class, () -> run1("Slice", 13, new Tensor[] {x, longs(0), longs(5), longs(0), longs(0)}));
    }

    @Test
    void gatherWrapsNegativeIndicesOfAnyRank() {
        Tensor x = floats(new int[] {4, 2});
        Tensor g = run1("Gather", 13, new Tensor[] {x, Tensor.fromArray(new long[] {-1, 0, 2, -4}, 2, 2)});
        assertArrayEquals(new int[] {2, 2, 2}, g.shape());
        assertValues(g, 6, 7, 0, 1, 4, 5, 0, 1);
        Tensor col = run1("Gather", 13, new Tensor[] {x, Tensor.fromArray(new int[] {-1}).reshape()}, i("axis", 1));
        assertValues(col, 1, 3, 5, 7);
        assertArrayEquals(new int[] {4}, col.shape());
        OnnxException e = assertThrows(OnnxException.class, () -> run1("Gather", 13, new Tensor[] {x, longs(4)}));
        assertTrue(e.getMessage().contains("index 4 is out of range"), e.getMessage());
        Tensor ge = run1("GatherElements", 13, new Tensor[] {x, Tensor.fromArray(new long[] {-1, 0}, 1, 2)}, i("axis", 0));
        assertValues(ge, 6, 1);
    }

    // ------------------------------------------------------------------ Cast, constants, Dropout

    @Test
    void castWrapsRoundsAndTruncates() {
        Tensor x = Tensor.fromArray(new float[] {-1.7f, 2.9f, 300f, 70000f, 0f});
        assertValues(run1("Cast", 13, new Tensor[] {x}, i("to", 7)), -1, 2, 300, 70000, 0);
        Tensor i8 = run1("Cast", 13, new Tensor[] {x}, i("to", 3));
        assertEquals(DType.INT32, i8.dtype());
        assertValues(i8, -1, 2, 44, 112, 0);
        assertValues(run1("Cast", 13, new Tensor[] {x}, i("to", 4)), 65535, 2, 300, 4464, 0);
        assertValues(run1("Cast", 13, new Tensor[] {x}, i("to", 2)), 255, 2, 44, 112, 0);
        assertValues(run1("Cast", 13, new Tensor[] {x}, i("to", 12)), 4294967295.0, 2, 300, 70000, 0);
        Tensor b = run1("Cast", 13, new Tensor[] {x}, i("to", 9));
        assertEquals(DType.BOOL, b.dtype());
        assertValues(b, 1, 1, 1, 1, 0);
        Tensor h = run1("Cast", 13, new Tensor[] {Tensor.fromArray(new float[] {1.0001f, 70000f, 0.1f})}, i("to", 10));
        assertEquals(DType.FLOAT32, h.dtype());
        assertValues(h, 1.0, Double.POSITIVE_INFINITY, Float.float16ToFloat(Float.floatToFloat16(0.1f)));
        Tensor bf = run1("Cast", 13, new Tensor[] {Tensor.fromArray(new float[] {1.00390625f * 1.5f})}, i("to", 16));
        assertValues(bf, Float.intBitsToFloat(Float.floatToIntBits(1.5f) + 0x10000 & 0xFFFF0000));
        Tensor like = run1("CastLike", 15, new Tensor[] {x, Tensor.zeros(DType.INT64, 1)});
        assertEquals(DType.INT64, like.dtype());
    }

    @Test
    void constantsAndConstantOfShape() {
        Tensor c = run1("Constant", 13, new Tensor[0], i("value_int", INT64_MAX));
        assertArrayEquals(new int[0], c.shape());
        assertEquals(INT64_MAX, c.getLong());
        Tensor cf = run1("Constant", 13, new Tensor[0], f("value_float", 2.5f));
        assertEquals(DType.FLOAT32, cf.dtype());
        assertValues(run1("Constant", 13, new Tensor[0], ints("value_ints", 1, 2)), 1, 2);
        Tensor scalar = run1("ConstantOfShape", 13, new Tensor[] {Tensor.zeros(DType.INT64, 0)});
        assertArrayEquals(new int[0], scalar.shape());
        assertEquals(DType.FLOAT32, scalar.dtype());
        Tensor big = run1("ConstantOfShape", 13, new Tensor[] {longs(2, 2)}, t("value", Tensor.fromArray(new long[] {INT64_MAX - 1})));
        assertEquals(DType.INT64, big.dtype());
        assertEquals(INT64_MAX - 1, big.getLong(1, 1));
        assertThrows(OnnxException.class, () -> run1("ConstantOfShape", 13, new Tensor[] {longs(1 << 20, 1 << 20)}));
    }

    @Test
    void dropoutInferenceAndSeededTraining() {
        Tensor x = floats(new int[] {2, 3});
        Tensor[] r = run(node("Dropout", 3, 2), 13, x, Tensor.scalar(0.5), Tensor.scalar(0, DType.BOOL));
        assertSame(x, r[0]);
        assertEquals(DType.BOOL, r[1].dtype());
        assertValues(r[1], 1, 1, 1, 1, 1, 1);
        OnnxException e = assertThrows(OnnxException.class,
                () -> run(node("Dropout", 3, 1), 13, x, Tensor.scalar(0.5), Tensor.scalar(1, DType.BOOL)));
        assertTrue(e.getMessage().contains("seed"), e.getMessage());
        // numpy.random.seed(0); numpy.random.uniform(0, 1, 3) = [0.5488135, 0.71518937, 0.60276338]
        Tensor[] seeded = run(node("Dropout", 3, 2, i("seed", 0)), 13, Tensor.ones(3), Tensor.scalar(0.6), Tensor.scalar(1, DType.BOOL));
        assertValues(seeded[1], 0, 1, 1);
        assertArrayEquals(new float[] {0, 2.5f, 2.5f}, seeded[0].toFloatArray(), 1e-6f);
    }

    // ------------------------------------------------------------------ Pad, Expand, Tile, extras

    @Test
    void padModesAndNegativePads() {
        Tensor x = floats(new int[] {1, 4});
        assertValues(run1("Pad", 13, new Tensor[] {x, longs(0, 2, 0, -1), Tensor.scalar(9)}), 9, 9, 0, 1, 2);
        assertValues(run1("Pad", 13, new Tensor[] {x, longs(0, 2, 0, 1)}, s("mode", "reflect")), 2, 1, 0, 1, 2, 3, 2);
        assertValues(run1("Pad", 13, new Tensor[] {x, longs(0, -1, 0, 2)}, s("mode", "edge")), 1, 2, 3, 3, 3);
        assertValues(run1("Pad", 10, new Tensor[] {x}, ints("pads", 0, 1, 0, 0), f("value", 5)), 5, 0, 1, 2, 3);
        assertValues(run1("Pad", 18, new Tensor[] {x, longs(1, 0), null, longs(-1)}), 0, 0, 1, 2, 3);
    }

    @Test
    void expandTileAndFriends() {
        Tensor x = floats(new int[] {3, 1});
        assertArrayEquals(new int[] {2, 3, 4}, run1("Expand", 13, new Tensor[] {x, longs(2, 1, 4)}).shape());
        assertArrayEquals(new int[] {3, 1}, run1("Expand", 13, new Tensor[] {x, longs(1)}).shape());
        assertThrows(OnnxException.class, () -> run1("Expand", 13, new Tensor[] {x, longs(2, 1)}));
        assertValues(run1("Tile", 13, new Tensor[] {floats(new int[] {2}), longs(3)}), 0, 1, 0, 1, 0, 1);
        assertValues(run1("Trilu", 14, new Tensor[] {floats(new int[] {2, 3}), longScalar(1)}), 0, 1, 2, 0, 0, 5);
        assertValues(run1("Trilu", 14, new Tensor[] {floats(new int[] {2, 3})}, i("upper", 0)), 0, 0, 0, 3, 4, 0);
        Tensor oh = run1("OneHot", 11, new Tensor[] {longs(0, -1, 5), longScalar(3), Tensor.fromArray(new float[] {0, 1})});
        assertValues(oh, 1, 0, 0, 0, 0, 1, 0, 0, 0);
        Tensor nz = run1("NonZero", 13, new Tensor[] {Tensor.fromArray(new float[] {0, 1, 0, 2}, 2, 2)});
        assertArrayEquals(new int[] {2, 2}, nz.shape());
        assertValues(nz, 0, 1, 1, 1);
        assertValues(run1("Compress", 11, new Tensor[] {floats(new int[] {2, 2}), Tensor.fromArray(new boolean[] {false, true})}, i("axis", 1)), 1, 3);
        assertValues(run1("EyeLike", 9, new Tensor[] {Tensor.zeros(2, 3)}, i("k", 1)), 0, 1, 0, 0, 0, 1);
    }

    @Test
    void scattersCombineLikeOnnxRuntime() {
        Tensor data = Tensor.zeros(5);
        Tensor idx = longs(1, -1, 1);
        Tensor upd = Tensor.fromArray(new float[] {1, 2, 3});
        assertValues(run1("ScatterElements", 13, new Tensor[] {data, idx, upd}), 0, 3, 0, 0, 2);
        assertValues(run1("ScatterElements", 16, new Tensor[] {data, idx, upd}, s("reduction", "add")), 0, 4, 0, 0, 2);
        assertValues(run1("ScatterElements", 18, new Tensor[] {Tensor.ones(5), idx, upd}, s("reduction", "max")), 1, 3, 1, 1, 2);
        Tensor nd = run1("ScatterND", 16, new Tensor[] {Tensor.ones(2, 2), Tensor.fromArray(new long[] {1}, 1, 1),
                Tensor.fromArray(new float[] {5, 6}, 1, 2)}, s("reduction", "mul"));
        assertValues(nd, 1, 1, 5, 6);
        Tensor gnd = run1("GatherND", 13, new Tensor[] {floats(new int[] {2, 2}), Tensor.fromArray(new long[] {1, 0, 0, -1}, 2, 2)});
        assertValues(gnd, 2, 1);
    }

    @Test
    void uniqueAndReverseSequence() {
        Tensor x = Tensor.fromArray(new float[] {2, 1, -0f, 1, 0});
        Tensor[] u = run(node("Unique", 1, 4), 11, x);
        assertValues(u[0], 0, 1, 2);
        assertValues(u[1], 2, 1, 0);
        assertValues(u[2], 2, 1, 0, 1, 0);
        assertValues(u[3], 2, 2, 1);
        Tensor[] unsorted = run(node("Unique", 1, 4, i("sorted", 0)), 11, x);
        assertValues(unsorted[0], 2, 1, 0);
        Tensor rows = Tensor.fromArray(new long[] {3, 4, 1, 2, 3, 4}, 3, 2);
        Tensor[] ur = run(node("Unique", 1, 4, i("axis", 0)), 11, rows);
        assertValues(ur[0], 1, 2, 3, 4);
        assertValues(ur[2], 1, 0, 1);
        Tensor rs = run1("ReverseSequence", 10, new Tensor[] {floats(new int[] {2, 4}), longs(3, 1)}, i("batch_axis", 0), i("time_axis", 1));
        assertValues(rs, 2, 1, 0, 3, 4, 5, 6, 7);
    }

    // ------------------------------------------------------------------ gradients

    @Test
    void gradientsFlowThroughDataMovement() {
        gradcheck("Reshape+Transpose", in -> run1("Transpose", 13,
                new Tensor[] {run1("Reshape", 14, new Tensor[] {in[0], longs(0, -1)})}, ints("perm", 1, 0)), randomF64(1, 2, 3, 2));
        gradcheck("Slice negative step", in -> run1("Slice", 13,
                new Tensor[] {in[0], longs(-1, 0), longs(INT64_MIN, 3), longs(1, 0), longs(-2, 2)}), randomF64(2, 3, 5));
        gradcheck("Gather", in -> run1("Gather", 13, new Tensor[] {in[0], longs(-1, 0, -1)}, i("axis", 1)), randomF64(3, 2, 3));
        gradcheck("GatherElements", in -> run1("GatherElements", 13,
                new Tensor[] {in[0], Tensor.fromArray(new long[] {-1, 0, 1, 1}, 2, 2)}, i("axis", 1)), randomF64(4, 2, 3));
        gradcheck("GatherND", in -> run1("GatherND", 13,
                new Tensor[] {in[0], Tensor.fromArray(new long[] {1, 0}, 2, 1)}), randomF64(5, 2, 3));
        gradcheck("Concat+Split", in -> {
            Tensor c = run1("Concat", 13, new Tensor[] {in[0], in[1]}, i("axis", -1));
            return run(node("Split", 2, 2, i("axis", -1)), 13, c, longs(1, 4))[1];
        }, randomF64(6, 2, 2), randomF64(7, 2, 3));
        gradcheck("Expand+Tile", in -> run1("Tile", 13,
                new Tensor[] {run1("Expand", 13, new Tensor[] {in[0], longs(2, 1, 3)}), longs(1, 2, 1)}), randomF64(8, 3, 1));
        gradcheck("Pad constant", in -> run1("Pad", 13, new Tensor[] {in[0], longs(1, -1, 0, 2), Tensor.scalar(0.5, DType.FLOAT64)}),
                randomF64(9, 3, 3));
        gradcheck("Pad reflect", in -> run1("Pad", 13, new Tensor[] {in[0], longs(0, 2, 0, 1)}, s("mode", "reflect")),
                randomF64(10, 2, 4));
        gradcheck("Pad edge", in -> run1("Pad", 13, new Tensor[] {in[0], longs(1, -1, 2, 1)}, s("mode", "edge")),
                randomF64(11, 2, 4));
        gradcheck("ScatterElements none", in -> run1("ScatterElements", 13,
                new Tensor[] {in[0], Tensor.fromArray(new long[] {0, 0, -1}, 1, 3), in[1]}, i("axis", 0)),
                randomF64(12, 3, 3), randomF64(13, 1, 3));
        gradcheck("ScatterND add", in -> run1("ScatterND", 16,
                new Tensor[] {in[0], Tensor.fromArray(new long[] {1, 1}, 2, 1), in[1]}, s("reduction", "add")),
                randomF64(14, 3, 2), randomF64(15, 2, 2));
        gradcheck("Trilu", in -> run1("Trilu", 14, new Tensor[] {in[0]}, i("upper", 0)), randomF64(16, 3, 3));
        gradcheck("OneHot values", in -> run1("OneHot", 11, new Tensor[] {longs(2, 0), longScalar(3), in[0]}), randomF64(17, 2));
        gradcheck("DepthToSpace CRD", in -> run1("DepthToSpace", 13, new Tensor[] {in[0]}, i("blocksize", 2), s("mode", "CRD")),
                randomF64(18, 1, 8, 2, 1));
        gradcheck("SpaceToDepth", in -> run1("SpaceToDepth", 13, new Tensor[] {in[0]}, i("blocksize", 2)), randomF64(19, 1, 2, 2, 4));
        gradcheck("Compress", in -> run1("Compress", 11, new Tensor[] {in[0], Tensor.fromArray(new boolean[] {true, false, true})}),
                randomF64(20, 2, 2));
        gradcheck("Unique values", in -> run(node("Unique", 1, 4, i("axis", 1)), 11,
                run1("Concat", 13, new Tensor[] {in[0], in[0]}, i("axis", 1)))[0], randomF64(23, 2, 2));
        gradcheck("ReverseSequence", in -> run1("ReverseSequence", 10, new Tensor[] {in[0], longs(2, 0, 3)}),
                randomF64(24, 3, 3, 2));
        gradcheck("seeded training Dropout", in -> run(node("Dropout", 3, 1, i("seed", 3)), 13,
                in[0], Tensor.scalar(0.3), Tensor.scalar(1, DType.BOOL))[0], randomF64(21, 4, 4));
    }

    @Test
    void castGradientIsTheIdentityEvenWhenRounding() {
        Tensor x = Tensor.fromArray(new float[] {0.1f, 1000.3f, -2.7f}).requiresGrad(true);
        Tensor h = run1("Cast", 13, new Tensor[] {x}, i("to", 10));
        assertValues(h.detach(), Float.float16ToFloat(Float.floatToFloat16(0.1f)), 1000.5, -2.69921875);
        h.mul(Tensor.fromArray(new float[] {1, 2, 3})).sum().backward();
        assertValues(x.grad(), 1, 2, 3);
        Tensor d = randomF64(22, 3);
        run1("Cast", 13, new Tensor[] {d}, i("to", 1)).sum().backward();
        assertValues(d.grad(), 1, 1, 1);
    }

    // ------------------------------------------------------------------ load-time refusals

    @Test
    void refusalsAtLoadTime() {
        assertEquals("casting to STRING is not supported (Graft has no STRING tensors)",
                REG.find("", "Cast").unsupportedReason(node("Cast", 1, 1, i("to", 8)), 13));
        assertEquals("attribute 'sparse_value' is not supported (Graft has no sparse tensors)",
                REG.find("", "Constant").unsupportedReason(node("Constant", 0, 1,
                        new OnnxAttribute("sparse_value", OnnxAttribute.Type.SPARSE_TENSOR, 0, 0, null, null, null, null, null, null, null)), 13));
        assertEquals("attribute 'value_string' is not supported (Graft has no string tensors)",
                REG.find("", "Constant").unsupportedReason(node("Constant", 0, 1, s("value_string", "x")), 13));
        assertEquals("mode 'wrap' is not supported (constant, reflect and edge are)",
                REG.find("", "Pad").unsupportedReason(node("Pad", 2, 1, s("mode", "wrap")), 19));
        assertEquals("reduction 'avg' is not supported (none, add, mul, max, min are)",
                REG.find("", "ScatterElements").unsupportedReason(node("ScatterElements", 3, 1, s("reduction", "avg")), 18));
        assertEquals("mode 'XYZ' is not DCR or CRD",
                REG.find("", "DepthToSpace").unsupportedReason(node("DepthToSpace", 1, 1, s("mode", "XYZ")), 13));
        assertNull(REG.find("", "Cast").unsupportedReason(node("Cast", 1, 1, i("to", 10)), 13));
        assertNull(REG.find("", "Pad").unsupportedReason(node("Pad", 2, 1, s("mode", "edge")), 13));
    }
}
