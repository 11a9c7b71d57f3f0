package dev.graft.onnx.ops;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.graft.onnx.OnnxAttribute;
import dev.graft.onnx.OnnxDataType;
import dev.graft.onnx.OnnxException;
import dev.graft.onnx.OnnxModel;
import dev.graft.onnx.OnnxModule;
import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.graft.onnx.ops.OpsTestSupport.*;
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
    private static final long INT64_MAX = Long.MAX_VALUE;
    private static final long INT64_MIN = Long.MIN_VALUE;

    // ------------------------------------------------------------------ helpers

    private static Tensor run1(String op, int opset, Tensor[] inputs, OnnxAttribute... attrs) {
        return runNode(node(op, inputs.length, 1, attrs), opset, inputs)[0];
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
        Tensor[] parts = runNode(node("Split", 1, 3, i("num_outputs", 3)), 18, x);
        assertArrayEquals(new int[] {3}, parts[0].shape());
        assertArrayEquals(new int[] {3}, parts[1].shape());
        assertArrayEquals(new int[] {1}, parts[2].shape());
        Tensor[] byAttr = runNode(node("Split", 1, 2, ints("split", 2, 5)), 11, x);
        assertValues(byAttr[0], 0, 1);
        Tensor[] byInput = runNode(node("Split", 2, 2), 13, x, longs(4, 3));
        assertValues(byInput[1], 4, 5, 6);
        assertThrows(OnnxException.class, () -> runNode(node("Split", 2, 2), 13, x, longs(4, 4)));
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
        Tensor[] r = runNode(node("Dropout", 3, 2), 13, x, Tensor.scalar(0.5), Tensor.scalar(0, DType.BOOL));
        assertSame(x, r[0]);
        assertEquals(DType.BOOL, r[1].dtype());
        assertValues(r[1], 1, 1, 1, 1, 1, 1);
        OnnxException e = assertThrows(OnnxException.class,
                () -> runNode(node("Dropout", 3, 1), 13, x, Tensor.scalar(0.5), Tensor.scalar(1, DType.BOOL)));
        assertTrue(e.getMessage().contains("seed"), e.getMessage());
        // numpy.random.seed(0); numpy.random.uniform(0, 1, 3) = [0.5488135, 0.71518937, 0.60276338]
        Tensor[] seeded = runNode(node("Dropout", 3, 2, i("seed", 0)), 13, Tensor.ones(3), Tensor.scalar(0.6), Tensor.scalar(1, DType.BOOL));
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
        Tensor[] u = runNode(node("Unique", 1, 4), 11, x);
        assertValues(u[0], 0, 1, 2);
        assertValues(u[1], 2, 1, 0);
        assertValues(u[2], 2, 1, 0, 1, 0);
        assertValues(u[3], 2, 2, 1);
        Tensor[] unsorted = runNode(node("Unique", 1, 4, i("sorted", 0)), 11, x);
        assertValues(unsorted[0], 2, 1, 0);
        Tensor rows = Tensor.fromArray(new long[] {3, 4, 1, 2, 3, 4}, 3, 2);
        Tensor[] ur = runNode(node("Unique", 1, 4, i("axis", 0)), 11, rows);
        assertValues(ur[0], 1, 2, 3, 4);
        assertValues(ur[2], 1, 0, 1);
        Tensor rs = run1("ReverseSequence", 10, new Tensor[] {floats(new int[] {2, 4}), longs(3, 1)}, i("batch_axis", 0), i("time_axis", 1));
        assertValues(rs, 2, 1, 0, 3, 4, 5, 6, 7);
    }

    // ------------------------------------------------------------------ gradients

    @Test
    void gradientsFlowThroughDataMovement() {
        gradCheck("Reshape+Transpose", in -> run1("Transpose", 13,
                new Tensor[] {run1("Reshape", 14, new Tensor[] {in[0], longs(0, -1)})}, ints("perm", 1, 0)), randomF64(1, 2, 3, 2));
        gradCheck("Slice negative step", in -> run1("Slice", 13,
                new Tensor[] {in[0], longs(-1, 0), longs(INT64_MIN, 3), longs(1, 0), longs(-2, 2)}), randomF64(2, 3, 5));
        gradCheck("Gather", in -> run1("Gather", 13, new Tensor[] {in[0], longs(-1, 0, -1)}, i("axis", 1)), randomF64(3, 2, 3));
        gradCheck("GatherElements", in -> run1("GatherElements", 13,
                new Tensor[] {in[0], Tensor.fromArray(new long[] {-1, 0, 1, 1}, 2, 2)}, i("axis", 1)), randomF64(4, 2, 3));
        gradCheck("GatherND", in -> run1("GatherND", 13,
                new Tensor[] {in[0], Tensor.fromArray(new long[] {1, 0}, 2, 1)}), randomF64(5, 2, 3));
        gradCheck("Concat+Split", in -> {
            Tensor c = run1("Concat", 13, new Tensor[] {in[0], in[1]}, i("axis", -1));
            return runNode(node("Split", 2, 2, i("axis", -1)), 13, c, longs(1, 4))[1];
        }, randomF64(6, 2, 2), randomF64(7, 2, 3));
        gradCheck("Expand+Tile", in -> run1("Tile", 13,
                new Tensor[] {run1("Expand", 13, new Tensor[] {in[0], longs(2, 1, 3)}), longs(1, 2, 1)}), randomF64(8, 3, 1));
        gradCheck("Pad constant", in -> run1("Pad", 13, new Tensor[] {in[0], longs(1, -1, 0, 2), Tensor.scalar(0.5, DType.FLOAT64)}),
                randomF64(9, 3, 3));
        gradCheck("Pad reflect", in -> run1("Pad", 13, new Tensor[] {in[0], longs(0, 2, 0, 1)}, s("mode", "reflect")),
                randomF64(10, 2, 4));
        gradCheck("Pad edge", in -> run1("Pad", 13, new Tensor[] {in[0], longs(1, -1, 2, 1)}, s("mode", "edge")),
                randomF64(11, 2, 4));
        gradCheck("ScatterElements none", in -> run1("ScatterElements", 13,
                new Tensor[] {in[0], Tensor.fromArray(new long[] {0, 0, -1}, 1, 3), in[1]}, i("axis", 0)),
                randomF64(12, 3, 3), randomF64(13, 1, 3));
        gradCheck("ScatterND add", in -> run1("ScatterND", 16,
                new Tensor[] {in[0], Tensor.fromArray(new long[] {1, 1}, 2, 1), in[1]}, s("reduction", "add")),
                randomF64(14, 3, 2), randomF64(15, 2, 2));
        gradCheck("Trilu", in -> run1("Trilu", 14, new Tensor[] {in[0]}, i("upper", 0)), randomF64(16, 3, 3));
        gradCheck("OneHot values", in -> run1("OneHot", 11, new Tensor[] {longs(2, 0), longScalar(3), in[0]}), randomF64(17, 2));
        gradCheck("DepthToSpace CRD", in -> run1("DepthToSpace", 13, new Tensor[] {in[0]}, i("blocksize", 2), s("mode", "CRD")),
                randomF64(18, 1, 8, 2, 1));
        gradCheck("SpaceToDepth", in -> run1("SpaceToDepth", 13, new Tensor[] {in[0]}, i("blocksize", 2)), randomF64(19, 1, 2, 2, 4));
        gradCheck("Compress", in -> run1("Compress", 11, new Tensor[] {in[0], Tensor.fromArray(new boolean[] {true, false, true})}),
                randomF64(20, 2, 2));
        gradCheck("Unique values", in -> runNode(node("Unique", 1, 4, i("axis", 1)), 11,
                run1("Concat", 13, new Tensor[] {in[0], in[0]}, i("axis", 1)))[0], randomF64(23, 2, 2));
        gradCheck("ReverseSequence", in -> run1("ReverseSequence", 10, new Tensor[] {in[0], longs(2, 0, 3)}),
                randomF64(24, 3, 3, 2));
        gradCheck("seeded training Dropout", in -> runNode(node("Dropout", 3, 1, i("seed", 3)), 13,
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
        assertEquals("dtype COMPLEX64 is not supported (Graft has no COMPLEX64 tensors)",
                REG.find("", "EyeLike").unsupportedReason(node("EyeLike", 1, 1, i("dtype", 14)), 9));
        assertNull(REG.find("", "Cast").unsupportedReason(node("Cast", 1, 1, i("to", 10)), 13));
        assertNull(REG.find("", "Pad").unsupportedReason(node("Pad", 2, 1, s("mode", "edge")), 13));
    }

    // ------------------------------------------------------------------ ONNX Runtime as the oracle

    /**
     * Random single-node models run by ONNX Runtime (a test dependency) and by an {@link OnnxModule}:
     * the index clamping, wrapping, broadcasting and attribute/input forms that the node suite
     * samples only a few points of. Data movement and casts are exact, so outputs must agree in
     * ONNX type, shape and every value.
     */
    @Nested
    class AgainstOnnxRuntime {
        private static final int ROUNDS = 25;

        private final Random rnd = new Random(2026);

        /** One graph input: floating values in {@code f}, integer and bool values in {@code l}. */
        private record In(String name, int type, int[] shape, double[] f, long[] l) implements GraphInput {
        }

        /** A single-node model under construction. */
        private final class Case {
            final String op;
            final int opset;
            final List<In> ins = new ArrayList<>();
            final List<Attr> attrs = new ArrayList<>();
            final List<String> text = new ArrayList<>();
            int[] outTypes = {FLOAT};

            Case(String op, int opset) {
                this.op = op;
                this.opset = opset;
            }

            Case in(In x) {
                ins.add(x);
                text.add(x == null ? "-" : x.name + Arrays.toString(x.shape) + (x.l != null ? Arrays.toString(x.l) : ""));
                return this;
            }

            Case attr(String name, long v) {
                return attr(ai(name, v));
            }

            Case attr(String name, long[] v) {
                return attr(ais(name, v));
            }

            Case attr(String name, float v) {
                return attr(af(name, v));
            }

            Case attr(String name, String v) {
                return attr(as(name, v));
            }

            Case tensorAttr(String name, int type, long value) {
                return attr(OpsTestSupport.tensorAttr(name, type, value));
            }

            private Case attr(Attr a) {
                attrs.add(a);
                text.add(a.text());
                return this;
            }

            Case out(int... types) {
                outTypes = types;
                return this;
            }

            @Override
            public String toString() {
                return op + " opset " + opset + " " + text;
            }
        }

        // ---------------------------------------------------------------- inputs

        private int[] shape(int rank, int lo, int hi) {
            int[] s = new int[rank];
            for (int i = 0; i < rank; i++) {
                s[i] = lo + rnd.nextInt(hi - lo + 1);
            }
            return s;
        }

        private int numel(int[] s) {
            int n = 1;
            for (int d : s) {
                n *= d;
            }
            return n;
        }

        private In floats(String name, int... shape) {
            double[] v = new double[numel(shape)];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (rnd.nextGaussian() * 10);
            }
            return new In(name, FLOAT, shape, v, null);
        }

        private In ints(String name, int type, int[] shape, long... v) {
            return new In(name, type, shape, null, v);
        }

        private In int64s(String name, long... v) {
            return ints(name, INT64, new int[] {v.length}, v);
        }

        private In int64(String name, long v) {
            return ints(name, INT64, new int[0], v);
        }

        private long between(long lo, long hi) {
            return lo + (long) rnd.nextInt((int) (hi - lo + 1));
        }

        /** Random index values in [-size, size). */
        private long[] indices(int n, int size) {
            long[] v = new long[n];
            for (int i = 0; i < n; i++) {
                v[i] = between(-size, size - 1);
            }
            return v;
        }

        private int[] permutation(int n) {
            List<Integer> p = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                p.add(i);
            }
            Collections.shuffle(p, rnd);
            return p.stream().mapToInt(Integer::intValue).toArray();
        }

        /** Axis a of rank, written as a positive or a negative number. */
        private long anyForm(int a, int rank) {
            return rnd.nextBoolean() ? a : a - rank;
        }

        // ---------------------------------------------------------------- cases

        @Test
        void slice() {
            long[] steps = {1, 1, 2, 3, -1, -1, -2, -3, Long.MAX_VALUE, -Long.MAX_VALUE};
            for (int it = 0; it < 4 * ROUNDS; it++) {
                int rank = 1 + rnd.nextInt(3);
                int[] s = shape(rank, 0, 5);
                int n = 1 + rnd.nextInt(rank);
                int[] perm = permutation(rank);
                int form = rnd.nextInt(4);
                long[] st = new long[n], en = new long[n], ax = new long[n], sp = new long[n];
                for (int i = 0; i < n; i++) {
                    int a = form == 0 || form == 3 ? i : perm[i];
                    ax[i] = anyForm(a, rank);
                    st[i] = bound(s[a]);
                    en[i] = bound(s[a]);
                    sp[i] = form == 2 ? steps[rnd.nextInt(steps.length)] : 1;
                }
                Case c;
                if (form == 3) {
                    c = new Case("Slice", 9).in(floats("x", s)).attr("starts", st).attr("ends", en);
                } else {
                    c = new Case("Slice", 13).in(floats("x", s)).in(int64s("s", st)).in(int64s("e", en));
                    if (form >= 1) {
                        c.in(int64s("a", ax));
                    }
                    if (form == 2) {
                        c.in(int64s("p", sp));
                    }
                }
                check(c);
            }
        }

        private long bound(int dim) {
            return switch (rnd.nextInt(7)) {
                case 0 -> Long.MIN_VALUE;
                case 1 -> Long.MAX_VALUE;
                default -> between(-dim - 3, dim + 3);
            };
        }

        @Test
        void pad() {
            String[] modes = {"constant", "reflect", "edge"};
            for (int it = 0; it < 3 * ROUNDS; it++) {
                String mode = modes[it % 3];
                int rank = 1 + rnd.nextInt(3);
                int[] s = shape(rank, 1, 4);
                long[] begin = new long[rank], end = new long[rank];
                for (int d = 0; d < rank; d++) {
                    if (mode.equals("constant")) {
                        // crops keep one element: ONNX Runtime 1.23 overflows on crops past the input and
                        // leaves garbage where a dimension is cropped away and padded again
                        begin[d] = between(-(s[d] - 1), 3);
                        end[d] = between(-(s[d] - 1 - Math.max(0, -begin[d])), 3);
                    } else {
                        long cropL = rnd.nextInt(3) == 0 ? between(0, s[d] - 1) : 0;
                        long cropR = rnd.nextInt(3) == 0 ? between(0, s[d] - 1 - cropL) : 0;
                        long left = s[d] - cropL - cropR;
                        long max = mode.equals("reflect") ? left - 1 : 3;
                        begin[d] = cropL > 0 ? -cropL : between(0, max);
                        end[d] = cropR > 0 ? -cropR : between(0, max);
                    }
                }
                int opset = new int[] {2, 11, 18}[rnd.nextInt(3)];
                Case c = new Case("Pad", opset).in(floats("x", s)).attr("mode", mode);
                long[] pads = new long[2 * rank];
                for (int d = 0; d < rank; d++) {
                    pads[d] = begin[d];
                    pads[d + rank] = end[d];
                }
                float value = rnd.nextInt(5) - 2;
                if (opset == 2) {
                    c.attr("pads", pads).attr("value", value);
                } else if (opset == 18 && rnd.nextBoolean()) {
                    // only the axes that are padded, in a random order
                    int[] perm = permutation(rank);
                    int k = 1 + rnd.nextInt(rank);
                    long[] axes = new long[k];
                    long[] some = new long[2 * k];
                    for (int i = 0; i < k; i++) {
                        axes[i] = anyForm(perm[i], rank);
                        some[i] = begin[perm[i]];
                        some[i + k] = end[perm[i]];
                    }
                    c.in(int64s("p", some)).in(new In("v", FLOAT, new int[0], new double[] {value}, null)).in(int64s("a", axes));
                } else {
                    c.in(int64s("p", pads));
                    if (rnd.nextBoolean()) {
                        c.in(new In("v", FLOAT, new int[0], new double[] {value}, null));
                    }
                }
                check(c);
            }
        }

        @Test
        void gathers() {
            for (int it = 0; it < ROUNDS; it++) {
                int rank = 1 + rnd.nextInt(3);
                int[] s = shape(rank, 1, 4);
                int axis = rnd.nextInt(rank);
                int[] is = shape(rnd.nextInt(3), 0, 3);
                check(new Case("Gather", 13).in(floats("x", s))
                        .in(ints("i", rnd.nextBoolean() ? INT64 : INT32, is, indices(numel(is), s[axis])))
                        .attr("axis", anyForm(axis, rank)));
                int[] es = shape(rank, 1, 4);
                for (int d = 0; d < rank; d++) {
                    es[d] = d == axis ? es[d] : 1 + rnd.nextInt(s[d]);
                }
                check(new Case("GatherElements", 13).in(floats("x", s))
                        .in(ints("i", INT64, es, indices(numel(es), s[axis]))).attr("axis", anyForm(axis, rank)));
                int b = rank >= 2 && rnd.nextBoolean() ? 1 : 0;
                int k = 1 + rnd.nextInt(rank - b);
                int m = rnd.nextInt(4);
                int[] ns = b == 1 ? new int[] {s[0], m, k} : new int[] {m, k};
                long[] nv = new long[numel(ns)];
                for (int t = 0; t < nv.length; t++) {
                    nv[t] = indices(1, s[b + t % k])[0];
                }
                check(new Case("GatherND", 13).in(floats("x", s)).in(ints("i", INT64, ns, nv)).attr("batch_dims", b));
            }
        }

        @Test
        void scatters() {
            String[] reductions = {"none", "add", "mul", "max", "min"};
            for (int it = 0; it < 2 * ROUNDS; it++) {
                String red = reductions[it % reductions.length];
                int rank = 1 + rnd.nextInt(3);
                int[] s = shape(rank, 1, 4);
                int axis = rnd.nextInt(rank);
                int[] is = new int[rank];
                for (int d = 0; d < rank; d++) {
                    is[d] = 1 + rnd.nextInt(s[d]);
                }
                Case c = new Case("ScatterElements", 18).in(floats("x", s)).in(ints("i", INT64, is, indices(numel(is), s[axis])))
                        .in(floats("u", is)).attr("axis", anyForm(axis, rank));
                check(red.equals("none") ? c : c.attr("reduction", red));
                int k = 1 + rnd.nextInt(rank);
                int block = numel(Arrays.copyOf(s, k));
                int m = 1 + rnd.nextInt(Math.min(3, block));
                // distinct tuples: ONNX leaves repeated targets undefined for reduction none
                List<Integer> flat = new ArrayList<>();
                for (int i = 0; i < block; i++) {
                    flat.add(i);
                }
                Collections.shuffle(flat, rnd);
                long[] tv = new long[m * k];
                for (int t = 0; t < m; t++) {
                    int rest = flat.get(t);
                    for (int j = k - 1; j >= 0; j--) {
                        long w = rest % s[j];
                        rest /= s[j];
                        tv[t * k + j] = rnd.nextBoolean() ? w : w - s[j];
                    }
                }
                int[] us = new int[1 + rank - k];
                us[0] = m;
                System.arraycopy(s, k, us, 1, rank - k);
                Case nd = new Case("ScatterND", 18).in(floats("x", s)).in(ints("i", INT64, new int[] {m, k}, tv)).in(floats("u", us));
                check(red.equals("none") ? nd : nd.attr("reduction", red));
            }
        }

        @Test
        void reshapeExpandTileFlattenTranspose() {
            for (int it = 0; it < ROUNDS; it++) {
                int rank = 1 + rnd.nextInt(3);
                int[] s = shape(rank, 1, 4);
                // a target made of the input dims regrouped, then some replaced by 0 (copy) or -1 (infer)
                List<Long> target = new ArrayList<>();
                int[] perm = permutation(rank);
                for (int i = 0; i < rank; ) {
                    long d = s[perm[i++]];
                    if (i < rank && rnd.nextBoolean()) {
                        d *= s[perm[i++]];
                    }
                    target.add(d);
                }
                long[] tv = target.stream().mapToLong(Long::longValue).toArray();
                int minus = rnd.nextInt(tv.length + 1);
                for (int i = 0; i < tv.length; i++) {
                    if (i == minus) {
                        tv[i] = -1;
                    } else if (i < rank && tv[i] == s[i] && rnd.nextBoolean()) {
                        tv[i] = 0;
                    }
                }
                if (numel(s) == Arrays.stream(tv).filter(x -> x > 0).reduce(1, (a, b) -> a * b) * (minus < tv.length ? 1 : 1)) {
                    check(new Case("Reshape", 14).in(floats("x", s)).in(int64s("s", tv)));
                }
                int[] small = s.clone();
                long[] want = new long[rank + rnd.nextInt(2)];
                int lead = want.length - rank;
                for (int i = 0; i < want.length; i++) {
                    if (i < lead) {
                        want[i] = between(1, 3);
                    } else if (rnd.nextBoolean()) {
                        small[i - lead] = 1;
                        want[i] = between(0, 3);
                    } else {
                        want[i] = rnd.nextBoolean() ? s[i - lead] : 1;
                    }
                }
                check(new Case("Expand", 13).in(floats("x", small)).in(int64s("s", want)));
                long[] reps = new long[rank];
                for (int i = 0; i < rank; i++) {
                    reps[i] = between(0, 3);
                }
                check(new Case("Tile", 13).in(floats("x", s)).in(int64s("r", reps)));
                check(new Case("Flatten", 13).in(floats("x", s)).attr("axis", between(-rank, rank)));
                long[] p = Arrays.stream(permutation(rank)).asLongStream().toArray();
                Case tr = new Case("Transpose", 13).in(floats("x", s));
                check(rnd.nextBoolean() ? tr : tr.attr("perm", p));
            }
        }

        @Test
        void splitSqueezeUnsqueezeConcat() {
            for (int it = 0; it < ROUNDS; it++) {
                int parts = 1 + rnd.nextInt(3);
                int rank = 1 + rnd.nextInt(3);
                int[] s = shape(rank, 1, 4);
                int axis = rnd.nextInt(rank);
                s[axis] = parts * (1 + rnd.nextInt(3));
                int[] outs = new int[parts];
                Arrays.fill(outs, FLOAT);
                long[] sizes = new long[parts];
                long left = s[axis];
                for (int i = 0; i < parts - 1; i++) {
                    sizes[i] = between(0, left);
                    left -= sizes[i];
                }
                sizes[parts - 1] = left;
                check(new Case("Split", 11).in(floats("x", s)).attr("axis", anyForm(axis, rank)).attr("split", sizes).out(outs));
                check(new Case("Split", 13).in(floats("x", s)).in(int64s("p", sizes)).attr("axis", anyForm(axis, rank)).out(outs));
                check(new Case("Split", 13).in(floats("x", s)).attr("axis", anyForm(axis, rank)).out(outs));
                int uneven = (int) between(parts, 3 * parts + 2);
                int chunk = (uneven + parts - 1) / parts;
                if ((long) chunk * (parts - 1) < uneven) {
                    int[] us = s.clone();
                    us[axis] = uneven;
                    check(new Case("Split", 18).in(floats("x", us)).attr("axis", anyForm(axis, rank)).attr("num_outputs", parts).out(outs));
                }
                int[] ones = s.clone();
                List<Long> sq = new ArrayList<>();
                for (int d = 0; d < rank; d++) {
                    if (rnd.nextBoolean()) {
                        ones[d] = 1;
                        if (rnd.nextBoolean()) {
                            sq.add(anyForm(d, rank));
                        }
                    }
                }
                long[] sqa = sq.stream().mapToLong(Long::longValue).toArray();
                check(sqa.length == 0 ? new Case("Squeeze", 13).in(floats("x", ones))
                        : new Case("Squeeze", 13).in(floats("x", ones)).in(int64s("a", sqa)));
                if (sqa.length > 0) {
                    check(new Case("Squeeze", 11).in(floats("x", ones)).attr("axes", sqa));
                }
                int outRank = rank + 1 + rnd.nextInt(2);
                int[] up = permutation(outRank);
                long[] ua = new long[outRank - rank];
                for (int i = 0; i < ua.length; i++) {
                    ua[i] = anyForm(up[i], outRank);
                }
                check(new Case("Unsqueeze", 13).in(floats("x", s)).in(int64s("a", ua)));
                check(new Case("Unsqueeze", 11).in(floats("x", s)).attr("axes", ua));
                Case cat = new Case("Concat", 13).attr("axis", anyForm(axis, rank));
                for (int i = 0, n = 1 + rnd.nextInt(3); i < n; i++) {
                    int[] cs = s.clone();
                    cs[axis] = rnd.nextInt(3);
                    cat.in(floats("c" + i, cs));
                }
                check(cat);
            }
        }

        @Test
        void casts() {
            int[] fromInt = {INT8, UINT8, INT16, UINT16, INT32, UINT32, UINT64, BOOL, FLOAT, DOUBLE, FLOAT16, INT64};
            long[] special = {0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, 32768, 65535, 65536, 70000, -70000,
                    Integer.MAX_VALUE, Integer.MIN_VALUE, 4294967296L + 5, Long.MAX_VALUE, Long.MIN_VALUE};
            for (int to : fromInt) {
                long[] v = new long[special.length + 12];
                System.arraycopy(special, 0, v, 0, special.length);
                for (int i = special.length; i < v.length; i++) {
                    v[i] = between(-100000, 100000);
                }
                check(new Case("Cast", 13).in(ints("x", INT64, new int[] {v.length}, v)).attr("to", to).out(to));
            }
            // float sources stay inside each target's range: outside it C leaves the conversion undefined
            Object[][] ranges = {{INT8, -128.0, 127.0}, {UINT8, 0.0, 255.0}, {INT16, -32768.0, 32767.0}, {UINT16, 0.0, 65535.0},
                    {INT32, -1e9, 1e9}, {INT64, -1e15, 1e15}, {BOOL, -2.0, 2.0}, {DOUBLE, -1e30, 1e30}, {FLOAT16, -7e4, 7e4}};
            for (Object[] r : ranges) {
                int to = (Integer) r[0];
                double lo = (Double) r[1];
                double hi = (Double) r[2];
                double[] v = new double[40];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (i < 4 ? new double[] {0, -0.0, lo, hi}[i] : lo + (hi - lo) * rnd.nextDouble());
                    if (to == FLOAT16 && i % 3 == 0) {
                        v[i] = (float) (v[i] * 1e-8); // subnormal and underflowing halves
                    }
                }
                check(new Case("Cast", 13).in(new In("x", FLOAT, new int[] {v.length}, v, null)).attr("to", to).out(to));
            }
            check(new Case("Cast", 13).in(ints("x", BOOL, new int[] {3}, 1, 0, 1)).attr("to", FLOAT).out(FLOAT));
            check(new Case("CastLike", 15).in(floats("x", 4)).in(ints("l", INT32, new int[] {1}, 0)).out(INT32));
        }

        @Test
        void valuesAndMasks() {
            for (int it = 0; it < ROUNDS; it++) {
                int rank = 1 + rnd.nextInt(2);
                int[] is = shape(rank, 1, 3);
                long depth = between(1, 4);
                long[] iv = new long[numel(is)];
                for (int i = 0; i < iv.length; i++) {
                    iv[i] = between(-depth - 1, depth);
                }
                check(new Case("OneHot", 11).in(ints("i", INT64, is, iv)).in(int64("d", depth))
                        .in(new In("v", FLOAT, new int[] {2}, new double[] {-1, 3}, null)).attr("axis", between(-rank - 1, rank)));
                int[] ts = shape(2 + rnd.nextInt(2), 1, 4);
                Case tri = new Case("Trilu", 14).in(floats("x", ts)).attr("upper", rnd.nextInt(2));
                check(rnd.nextBoolean() ? tri : tri.in(int64("k", between(-4, 4))));
                int b = (int) between(1, 3);
                int[] ds = {1 + rnd.nextInt(2), b * b * (1 + rnd.nextInt(2)), 1 + rnd.nextInt(3), 1 + rnd.nextInt(3)};
                check(new Case("DepthToSpace", 13).in(floats("x", ds)).attr("blocksize", b).attr("mode", rnd.nextBoolean() ? "DCR" : "CRD"));
                int[] ss = {1 + rnd.nextInt(2), 1 + rnd.nextInt(3), b * (1 + rnd.nextInt(2)), b * (1 + rnd.nextInt(2))};
                check(new Case("SpaceToDepth", 13).in(floats("x", ss)).attr("blocksize", b));
                int[] cs = shape(1 + rnd.nextInt(2), 1, 4);
                boolean withAxis = rnd.nextBoolean();
                int caxis = rnd.nextInt(cs.length);
                int clen = 1 + rnd.nextInt(withAxis ? cs[caxis] : numel(cs));
                long[] cond = new long[clen];
                for (int i = 0; i < clen; i++) {
                    cond[i] = rnd.nextInt(2);
                }
                Case comp = new Case("Compress", 11).in(floats("x", cs)).in(ints("c", BOOL, new int[] {clen}, cond));
                check(withAxis ? comp.attr("axis", anyForm(caxis, cs.length)) : comp);
                double[] nz = new double[numel(cs)];
                for (int i = 0; i < nz.length; i++) {
                    nz[i] = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(5) - 2;
                }
                check(new Case("NonZero", 13).in(new In("x", FLOAT, cs, nz, null)).out(INT64));
                int[] us = shape(1 + rnd.nextInt(2), 1, 5);
                long[] uv = new long[numel(us)];
                for (int i = 0; i < uv.length; i++) {
                    uv[i] = between(-2, 2);
                }
                Case uq = new Case("Unique", 11).in(ints("x", INT64, us, uv)).attr("sorted", rnd.nextInt(2)).out(INT64, INT64, INT64, INT64);
                check(rnd.nextBoolean() ? uq : uq.attr("axis", anyForm(rnd.nextInt(us.length), us.length)));
                int steps = 1 + rnd.nextInt(4);
                int batch = 1 + rnd.nextInt(3);
                boolean timeFirst = rnd.nextBoolean();
                long[] lens = new long[batch];
                for (int i = 0; i < batch; i++) {
                    lens[i] = between(1, steps);
                }
                check(new Case("ReverseSequence", 10).in(floats("x", timeFirst ? steps : batch, timeFirst ? batch : steps, 2))
                        .in(int64s("l", lens)).attr("time_axis", timeFirst ? 0 : 1).attr("batch_axis", timeFirst ? 1 : 0));
                long[] cshape = new long[rnd.nextInt(4)];
                for (int i = 0; i < cshape.length; i++) {
                    cshape[i] = between(0, 3);
                }
                boolean intValue = rnd.nextBoolean();
                check(new Case("ConstantOfShape", 9).in(int64s("s", cshape)).tensorAttr("value", intValue ? INT64 : FLOAT, between(-5, 5))
                        .out(intValue ? INT64 : FLOAT));
                int[] xs = shape(rnd.nextInt(4), 0, 3);
                check(new Case("Shape", 15).in(floats("x", xs)).attr("start", between(-4, 4)).attr("end", between(-4, 4)).out(INT64));
                check(new Case("Size", 13).in(floats("x", xs)).out(INT64));
                int[] es = shape(2, 1, 4);
                Case eye = new Case("EyeLike", 9).in(floats("x", es)).attr("k", between(-4, 4));
                check(rnd.nextBoolean() ? eye : eye.attr("dtype", INT64).out(INT64));
            }
            check(new Case("Dropout", 13).in(floats("x", 2, 3)).in(new In("r", FLOAT, new int[0], new double[] {0.3}, null))
                    .out(FLOAT, BOOL));
            check(new Case("Constant", 13).attr("value_ints", new long[] {3, -1}).out(INT64));
            check(new Case("Identity", 13).in(floats("x", 2)));
        }

        // ---------------------------------------------------------------- running both

        private void check(Case c) {
            byte[] model = singleNodeModel(c.op, c.opset, c.attrs.toArray(Attr[]::new), c.ins.toArray(GraphInput[]::new), c.outTypes);
            OrtEnvironment env = ortOrAbort();
            Map<String, Tensor> feeds = new LinkedHashMap<>();
            Map<String, OnnxTensor> ortFeeds = new LinkedHashMap<>();
            try (OrtSession session = env.createSession(model, new OrtSession.SessionOptions())) {
                for (In x : c.ins) {
                    if (x != null) {
                        feeds.put(x.name, graftTensor(x));
                        ortFeeds.put(x.name, ortTensor(env, x));
                    }
                }
                try (OrtSession.Result r = session.run(ortFeeds)) {
                    Map<String, Tensor> ours;
                    try {
                        ours = OnnxModule.of(OnnxModel.parse(ByteBuffer.wrap(model), c.op, null), REG).infer(feeds);
                    } catch (RuntimeException e) {
                        throw new AssertionError(c + ": ONNX Runtime ran it, Graft failed: " + e.getMessage(), e);
                    }
                    for (int k = 0; k < c.outTypes.length; k++) {
                        compare(c + " output " + k, c.outTypes[k], (OnnxTensor) r.get("y" + k).orElseThrow(), ours.get("y" + k));
                    }
                }
            } catch (OrtException e) {
                throw new AssertionError(c + ": ONNX Runtime failed (a bad test case): " + e.getMessage(), e);
            } finally {
                ortFeeds.values().forEach(OnnxTensor::close);
            }
        }

        private Tensor graftTensor(In x) {
            return switch (x.type) {
                case FLOAT -> Tensor.fromArray(x.f).to(DType.FLOAT32).reshape(x.shape);
                case DOUBLE -> Tensor.fromArray(x.f).reshape(x.shape);
                case INT64 -> Tensor.fromArray(x.l).reshape(x.shape);
                case INT32 -> Tensor.fromArray(x.l).to(DType.INT32).reshape(x.shape);
                case BOOL -> Tensor.fromArray(x.l).ne(0).reshape(x.shape);
                default -> throw new IllegalArgumentException("type " + x.type);
            };
        }

        private OnnxTensor ortTensor(OrtEnvironment env, In x) throws OrtException {
            long[] shape = Arrays.stream(x.shape).asLongStream().toArray();
            return switch (x.type) {
                case FLOAT -> {
                    float[] v = new float[x.f.length];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) x.f[i];
                    }
                    yield OnnxTensor.createTensor(env, FloatBuffer.wrap(v), shape);
                }
                case DOUBLE -> OnnxTensor.createTensor(env, DoubleBuffer.wrap(x.f.clone()), shape);
                case INT64 -> OnnxTensor.createTensor(env, LongBuffer.wrap(x.l.clone()), shape);
                case INT32 -> OnnxTensor.createTensor(env, IntBuffer.wrap(Arrays.stream(x.l).mapToInt(v -> (int) v).toArray()), shape);
                case BOOL -> {
                    ByteBuffer b = ByteBuffer.allocateDirect(x.l.length).order(ByteOrder.nativeOrder());
                    for (long v : x.l) {
                        b.put((byte) (v != 0 ? 1 : 0));
                    }
                    yield OnnxTensor.createTensor(env, b.rewind(), shape, OnnxJavaType.BOOL);
                }
                default -> throw new IllegalArgumentException("type " + x.type);
            };
        }

        /** ONNX Runtime's raw output decoded by its ONNX type; Graft's must match in dtype, shape and value. */
        private void compare(String what, int type, OnnxTensor expected, Tensor actual) {
            assertTrue(actual != null, what + " was not produced");
            int[] shape = Arrays.stream(expected.getInfo().getShape()).mapToInt(d -> (int) d).toArray();
            assertArrayEquals(shape, actual.shape(), what + ": shape");
            assertEquals(OnnxDataType.of(type).graft, actual.dtype(), what + ": dtype");
            ByteBuffer b = expected.getByteBuffer().order(ByteOrder.nativeOrder());
            int n = actual.numel();
            if (actual.dtype().isFloating()) {
                double[] e = new double[n];
                for (int i = 0; i < n; i++) {
                    e[i] = switch (type) {
                        case FLOAT -> b.getFloat(4 * i);
                        case DOUBLE -> b.getDouble(8 * i);
                        case FLOAT16 -> Float.float16ToFloat(b.getShort(2 * i));
                        default -> throw new IllegalArgumentException("type " + type);
                    };
                }
                assertArrayEquals(e, actual.contiguous().toDoubleArray(), 0, what);
            } else {
                long[] e = new long[n];
                for (int i = 0; i < n; i++) {
                    e[i] = switch (type) {
                        case INT8 -> b.get(i);
                        case UINT8, BOOL -> b.get(i) & 0xFF;
                        case INT16 -> b.getShort(2 * i);
                        case UINT16 -> b.getShort(2 * i) & 0xFFFF;
                        case INT32 -> b.getInt(4 * i);
                        case UINT32 -> b.getInt(4 * i) & 0xFFFFFFFFL;
                        case INT64, UINT64 -> b.getLong(8 * i);
                        default -> throw new IllegalArgumentException("type " + type);
                    };
                }
                assertArrayEquals(e, actual.contiguous().toLongArray(), what);
            }
        }
    }
}
