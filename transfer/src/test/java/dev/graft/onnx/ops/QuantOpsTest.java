package dev.graft.onnx.ops;

import dev.graft.onnx.OnnxException;
import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.DType;
import dev.graft.tensor.Storage;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static dev.graft.onnx.ops.OpsTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantOpsTest {
    private static Tensor[] apply(String op, int opset, Tensor... inputs) {
        return runNode(node(op, inputs.length, 3), opset, inputs);
    }

    private static Tensor u8(int[] v, int... shape) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return Tensor.fromStorage(Storage.wrap(DType.UINT8, b), shape.length == 0 && v.length == 1 ? new int[0] : shape, "test");
    }

    /** An int8 tensor as Graft holds it: INT32. */
    private static Tensor i8(int[] v, int... shape) {
        return Tensor.fromStorage(Storage.wrap(DType.INT32, v.clone()), shape.length == 0 && v.length == 1 ? new int[0] : shape, "test");
    }

    private static int[] ints(Tensor t) {
        return Arrays.stream(t.toLongArray()).mapToInt(x -> (int) x).toArray();
    }

    @Test
    void quantizeRoundsHalfToEvenAndSaturates() {
        Tensor x = Tensor.fromArray(new float[] {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 300f, -300f});
        Tensor[] y = apply("QuantizeLinear", 13, x, Tensor.scalar(1, DType.FLOAT32), u8(new int[] {10}));
        assertEquals(DType.UINT8, y[0].dtype());
        assertArrayEquals(new int[] {10, 12, 12, 10, 8, 8, 255, 0}, ints(y[0]));
        // int8 zero point (held as INT32) selects int8 output and range
        y = apply("QuantizeLinear", 13, x, Tensor.scalar(1, DType.FLOAT32), i8(new int[] {-1}));
        assertEquals(DType.INT32, y[0].dtype());
        assertArrayEquals(new int[] {-1, 1, 1, -1, -3, -3, 127, -128}, ints(y[0]));
        // no zero point: uint8 with zero point 0
        y = apply("QuantizeLinear", 13, Tensor.fromArray(new float[] {-3f, 7f}), Tensor.scalar(2, DType.FLOAT32));
        assertEquals(DType.UINT8, y[0].dtype());
        assertArrayEquals(new int[] {0, 4}, ints(y[0]));
    }

    @Test
    void quantizeAndDequantizePerAxis() {
        Tensor x = Tensor.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor scale = Tensor.fromArray(new float[] {1, 2});
        Tensor zp = i8(new int[] {0, 5}, 2);
        OnnxNode q = node("QuantizeLinear", 3, 1, i("axis", 0));
        Tensor y = runNode(q, 13, x, scale, zp)[0];
        // row 1: scale 2, zero point 5; 5 / 2 = 2.5 rounds to even 2
        assertArrayEquals(new int[] {1, 2, 3, 7, 7, 8}, ints(y));
        OnnxNode dq = node("DequantizeLinear", 3, 1, i("axis", 0));
        Tensor back = runNode(dq, 13, y, scale, zp)[0];
        assertEquals(DType.FLOAT32, back.dtype());
        assertArrayEquals(new float[] {1, 2, 3, 4, 4, 6}, back.toFloatArray());
        // per-axis before opset 13 is an error naming the rule
        OnnxException e = assertThrows(OnnxException.class, () -> runNode(q, 10, x, scale, zp));
        assertTrue(e.getMessage().contains("opset 13"), e.getMessage());
        // wrong per-axis length
        e = assertThrows(OnnxException.class, () -> runNode(node("QuantizeLinear", 3, 1), 13, x, scale, zp));
        assertTrue(e.getMessage().contains("axis 1 of the input has size 3"), e.getMessage());
    }

    @Test
    void dequantizeGradientReachesTheScale() {
        Tensor x = u8(new int[] {0, 100, 255, 7}, 4);
        Tensor zp = u8(new int[] {128});
        Tensor scale = Tensor.scalar(0.05, DType.FLOAT64).requiresGrad(true);
        Tensor w = Tensor.fromArray(new double[] {1, -2, 0.5, 3});
        Tensor y = apply("DequantizeLinear", 13, x, scale, zp)[0];
        assertEquals(DType.FLOAT64, y.dtype());
        y.mul(w).sum().backward();
        double analytic = scale.grad().item();
        // central difference of sum(w * (x - zp) * s) in s
        double h = 1e-6;
        double plus = apply("DequantizeLinear", 13, x, Tensor.scalar(0.05 + h, DType.FLOAT64), zp)[0].mul(w).sum().item();
        double minus = apply("DequantizeLinear", 13, x, Tensor.scalar(0.05 - h, DType.FLOAT64), zp)[0].mul(w).sum().item();
        assertEquals((plus - minus) / (2 * h), analytic, 1e-6);
        assertEquals((-128) * 1 + (-28) * -2 + 127 * 0.5 + (-121) * 3, analytic, 1e-9);
    }

    @Test
    void dynamicQuantizeFollowsTheSpecFormula() {
        Random rnd = new Random(3);
        float[] v = new float[1000];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextGaussian() * 2 + 0.7);
        }
        Tensor[] out = apply("DynamicQuantizeLinear", 11, Tensor.fromArray(v, 10, 100));
        float lo = 0;
        float hi = 0;
        for (float f : v) {
            lo = Math.min(lo, f);
            hi = Math.max(hi, f);
        }
        float scale = (float) (((double) hi - lo) / 255.0);
        long zp = Math.max(0, Math.min(255, Math.round(Math.rint(-lo / scale))));
        assertEquals(0, out[1].dim());
        assertEquals(DType.FLOAT32, out[1].dtype());
        assertEquals(scale, (float) out[1].item());
        assertEquals(DType.UINT8, out[2].dtype());
        assertEquals(0, out[2].dim());
        assertEquals(zp, out[2].toLongArray()[0]);
        long[] y = out[0].toLongArray();
        assertEquals(DType.UINT8, out[0].dtype());
        assertArrayEquals(new int[] {10, 100}, out[0].shape());
        for (int i = 0; i < v.length; i++) {
            long want = Math.max(0, Math.min(255, (long) Math.rint(v[i] / scale) + zp));
            assertEquals(want, y[i], "element " + i);
        }
        // all zeros: scale 0, zero point 0, all outputs 0 (no division by zero)
        Tensor[] z = apply("DynamicQuantizeLinear", 11, Tensor.zeros(3));
        assertEquals(0.0, z[1].item());
        assertArrayEquals(new long[] {0, 0, 0}, z[0].toLongArray());
    }

    /** Exact reference in long arithmetic for 2-D operands. */
    private static long[] reference(int[] a, int[] b, int m, int k, int n, int[] azp, int[] bzp) {
        long[] c = new long[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long s = 0;
                for (int p = 0; p < k; p++) {
                    s += (long) (a[i * k + p] - azp[azp.length == 1 ? 0 : i]) * (b[p * n + j] - bzp[bzp.length == 1 ? 0 : j]);
                }
                c[i * n + j] = (int) s;
            }
        }
        return c;
    }

    @Test
    void matMulIntegerIsExactOnWorstCaseOperands() {
        // |a - azp| = 255 and |b - bzp| = 255 everywhere: sums of 255*255*K exceed 2^24 for K >= 259,
        // so the float32 shortcut must not be taken and the result must still be exact
        for (int k : new int[] {7, 258, 384, 1536}) {
            int m = 5;
            int n = 6;
            int[] a = new int[m * k];
            int[] b = new int[k * n];
            Arrays.fill(a, 255);
            Arrays.fill(b, 255);
            b[3] = 254; // break symmetry a little
            Tensor c = apply("MatMulInteger", 10, u8(a, m, k), u8(b, k, n), u8(new int[] {0}), u8(new int[] {0}))[0];
            assertEquals(DType.INT32, c.dtype());
            assertArrayEquals(reference(a, b, m, k, n, new int[] {0}, new int[] {0}), c.toLongArray(), "K=" + k);
            // int8 extremes with zero point 127: (-128 - 127) = -255
            int[] ai = new int[m * k];
            Arrays.fill(ai, -128);
            c = apply("MatMulInteger", 10, i8(ai, m, k), i8(Arrays.stream(b).map(x -> x - 128).toArray(), k, n),
                    i8(new int[] {127}), i8(new int[] {-128}))[0];
            int[] bi = Arrays.stream(b).map(x -> x - 128).toArray();
            assertArrayEquals(reference(ai, bi, m, k, n, new int[] {127}, new int[] {-128}), c.toLongArray(), "int8 K=" + k);
        }
    }

    @Test
    void matMulIntegerRandomWithPerRowAndColumnZeroPointsAndBroadcasting() {
        Random rnd = new Random(11);
        int batch = 3;
        int m = 4;
        int k = 384;
        int n = 5;
        int[] a = rnd.ints(batch * m * k, 0, 256).toArray();
        int[] b = rnd.ints(k * n, -128, 128).toArray();
        int[] azp = rnd.ints(m, 0, 256).toArray();
        int[] bzp = rnd.ints(n, -128, 128).toArray();
        Tensor c = apply("MatMulInteger", 10, u8(a, batch, m, k), i8(b, k, n), u8(azp, m), i8(bzp, n))[0];
        assertArrayEquals(new int[] {batch, m, n}, c.shape());
        long[] got = c.toLongArray();
        for (int t = 0; t < batch; t++) {
            long[] want = reference(Arrays.copyOfRange(a, t * m * k, (t + 1) * m * k), b, m, k, n, azp, bzp);
            assertArrayEquals(want, Arrays.copyOfRange(got, t * m * n, (t + 1) * m * n), "batch " + t);
        }
        // B batched too, broadcast against A's batch of 1
        Tensor c2 = apply("MatMulInteger", 10, u8(Arrays.copyOf(a, m * k), 1, m, k), i8(Arrays.copyOf(b, k * n), 1, k, n))[0];
        assertArrayEquals(reference(Arrays.copyOf(a, m * k), b, m, k, n, new int[] {0}, new int[] {0}), c2.toLongArray());
        // mismatched inner dimension: a named error
        OnnxException e = assertThrows(OnnxException.class,
                () -> apply("MatMulInteger", 10, u8(new int[6], 2, 3), u8(new int[8], 4, 2)));
        assertTrue(e.getMessage().contains("MatMulInteger node 'n'") && e.getMessage().contains("K=3"), e.getMessage());
    }

    @Test
    void integerMatMulBoundIsNotTooConservativeForSkewedActivations() {
        // post-GELU activations quantized with a small zero point: small |a - zp| on most entries
        Random rnd = new Random(5);
        int k = 1536;
        float[] a = new float[4 * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = rnd.nextInt(10) == 0 ? rnd.nextInt(240) : rnd.nextInt(6);
        }
        float[] b = new float[k * 3];
        for (int i = 0; i < b.length; i++) {
            b[i] = rnd.nextInt(255) - 127;
        }
        double bound = QuantOpsIntegerMatMul.bound(Tensor.fromArray(a, 4, k), Tensor.fromArray(b, k, 3), k);
        assertTrue(bound < QuantOpsIntegerMatMul.FLOAT32_EXACT, "bound " + bound);
    }

    @Test
    void convIntegerMatchesDirectSum() {
        int[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        int[] w = {1, 1, 1, 1};
        Tensor y = apply("ConvInteger", 10, u8(x, 1, 1, 3, 3), u8(w, 1, 1, 2, 2), u8(new int[] {1}))[0];
        assertEquals(DType.INT32, y.dtype());
        assertArrayEquals(new int[] {1, 1, 2, 2}, y.shape());
        assertArrayEquals(new long[] {8, 12, 20, 24}, y.toLongArray());
    }

    @Test
    void loadTimeRefusals() {
        OnnxOp q = REG.find("", "QuantizeLinear");
        assertEquals("blocked quantization (block_size 32) is not supported",
                q.unsupportedReason(node("QuantizeLinear", 2, 1, i("block_size", 32)), 21));
        assertEquals("output_dtype 17 is not supported (only uint8 and int8)",
                q.unsupportedReason(node("QuantizeLinear", 2, 1, i("output_dtype", 17)), 21));
        assertNull(q.unsupportedReason(node("QuantizeLinear", 2, 1, i("output_dtype", 3)), 21));
        assertEquals("blocked quantization (block_size 4) is not supported",
                REG.find("", "DequantizeLinear").unsupportedReason(node("DequantizeLinear", 2, 1, i("block_size", 4)), 21));
        assertEquals("3-D convolution is not supported (1-D and 2-D only)",
                REG.find("", "ConvInteger").unsupportedReason(node("ConvInteger", 2, 1, OpsTestSupport.ints("kernel_shape", 1, 1, 1)), 10));
        assertEquals("3-D convolution is not supported (1-D and 2-D only)",
                REG.find("", "QLinearConv").unsupportedReason(node("QLinearConv", 8, 1, OpsTestSupport.ints("kernel_shape", 1, 1, 1)), 10));
        for (String op : new String[] {"DynamicQuantizeLinear", "MatMulInteger", "QLinearMatMul"}) {
            assertNotNull(REG.find("", op), op);
        }
    }

    @Test
    void wrongDtypesAreNamedErrors() {
        OnnxException e = assertThrows(OnnxException.class,
                () -> apply("QuantizeLinear", 13, Tensor.zeros(2), Tensor.scalar(1, DType.FLOAT32), Tensor.scalar(0, DType.INT64)));
        assertTrue(e.getMessage().contains("y_zero_point must be uint8 or int8"), e.getMessage());
        e = assertThrows(OnnxException.class, () -> apply("DequantizeLinear", 13, Tensor.zeros(2), Tensor.scalar(1, DType.FLOAT32)));
        assertTrue(e.getMessage().contains("x must be an integer tensor"), e.getMessage());
        e = assertThrows(OnnxException.class, () -> apply("MatMulInteger", 10, Tensor.zeros(2, 2), Tensor.zeros(2, 2)));
        assertTrue(e.getMessage().contains("A must be uint8 or int8"), e.getMessage());
    }

    /** Not a timed test: prints the speed of the exact int8 path on MiniLM's shapes, for the record. */
    @Test
    void matMulIntegerSpeedOnMiniLmShapes() {
        Random rnd = new Random(2);
        int rows = 512;
        int[] a = rnd.ints(rows * 384, 0, 256).toArray();
        int[] b = rnd.ints(384 * 1536, -127, 128).toArray();
        Tensor ta = u8(a, 32, 16, 384);
        Tensor tb = i8(b, 384, 1536);
        Tensor zpa = u8(new int[] {120});
        Tensor zpb = i8(new int[] {0});
        apply("MatMulInteger", 10, ta, tb, zpa, zpb);
        long t0 = System.nanoTime();
        int reps = 3;
        for (int i = 0; i < reps; i++) {
            apply("MatMulInteger", 10, ta, tb, zpa, zpb);
        }
        double s = (System.nanoTime() - t0) / 1e9 / reps;
        System.out.printf("MatMulInteger [32,16,384] @ [384,1536]: %.1f ms, %.1f GMAC/s%n", s * 1e3,
                (double) rows * 384 * 1536 / s / 1e9);
    }

    /**
     * The quantized MiniLM (36 MatMulInteger, 24 DynamicQuantizeLinear nodes) against ONNX Runtime
     * on the same token ids: per-token cosine of last_hidden_state at least 0.9999. Skipped while
     * the model still has ops Graft lacks.
     */
    @Test
    void quantizedMiniLmMatchesOnnxRuntime() throws Exception {
        byte[] bytes;
        try (java.io.InputStream in = getClass().getResourceAsStream("/all-minilm-l6-v2-q.onnx")) {
            org.junit.jupiter.api.Assumptions.assumeTrue(in != null, "skipped: the quantized MiniLM artifact is not on the classpath");
            bytes = in.readAllBytes();
        }
        dev.graft.onnx.OnnxModel model = dev.graft.onnx.OnnxModel.parse(java.nio.ByteBuffer.wrap(bytes), "all-minilm-l6-v2-q.onnx", null);
        dev.graft.onnx.OnnxModule module;
        try {
            module = dev.graft.onnx.OnnxModule.of(model, OpRegistry.standard());
        } catch (dev.graft.onnx.UnsupportedOpsException e) {
            org.junit.jupiter.api.Assumptions.abort("skipped until these ops land: " + e.getMessage());
            return;
        }
        int batch = 3;
        int len = 12;
        Random rnd = new Random(7);
        long[][] ids = new long[batch][len];
        long[][] mask = new long[batch][len];
        long[][] types = new long[batch][len];
        for (int b = 0; b < batch; b++) {
            int n = len - 3 * b; // padded batch: rows of 12, 9 and 6 real tokens
            for (int t = 0; t < len; t++) {
                ids[b][t] = t == 0 ? 101 : t == n - 1 ? 102 : t < n ? 1000 + rnd.nextInt(29000) : 0;
                mask[b][t] = t < n ? 1 : 0;
            }
        }
        float[][][] want;
        ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        try (ai.onnxruntime.OrtSession.SessionOptions opts = new ai.onnxruntime.OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            try (ai.onnxruntime.OrtSession ort = env.createSession(bytes, opts);
                 ai.onnxruntime.OnnxTensor i = ai.onnxruntime.OnnxTensor.createTensor(env, ids);
                 ai.onnxruntime.OnnxTensor m = ai.onnxruntime.OnnxTensor.createTensor(env, mask);
                 ai.onnxruntime.OnnxTensor ty = ai.onnxruntime.OnnxTensor.createTensor(env, types);
                 ai.onnxruntime.OrtSession.Result r = ort.run(Map.of("input_ids", i, "attention_mask", m, "token_type_ids", ty))) {
                want = (float[][][]) r.get("last_hidden_state").orElseThrow().getValue();
            }
        }
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        feeds.put("input_ids", Tensor.fromArray(Arrays.stream(ids).flatMapToLong(Arrays::stream).toArray(), batch, len));
        feeds.put("attention_mask", Tensor.fromArray(Arrays.stream(mask).flatMapToLong(Arrays::stream).toArray(), batch, len));
        feeds.put("token_type_ids", Tensor.fromArray(Arrays.stream(types).flatMapToLong(Arrays::stream).toArray(), batch, len));
        Tensor got = module.infer(feeds).get("last_hidden_state");
        assertArrayEquals(new int[] {batch, len, 384}, got.shape());
        float[] g = got.contiguous().toFloatArray();
        double worstCos = 1;
        double maxDiff = 0;
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < len; t++) {
                double dot = 0;
                double na = 0;
                double nb = 0;
                for (int h = 0; h < 384; h++) {
                    double x = g[(b * len + t) * 384 + h];
                    double y = want[b][t][h];
                    dot += x * y;
                    na += x * x;
                    nb += y * y;
                    maxDiff = Math.max(maxDiff, Math.abs(x - y));
                }
                worstCos = Math.min(worstCos, dot / Math.sqrt(na * nb));
            }
        }
        System.out.printf("quantized MiniLM vs ONNX Runtime: worst per-token cosine %.7f, max abs diff %.3g%n", worstCos, maxDiff);
        assertTrue(worstCos >= 0.9999, "worst per-token cosine " + worstCos + ", max abs diff " + maxDiff);
    }
}
