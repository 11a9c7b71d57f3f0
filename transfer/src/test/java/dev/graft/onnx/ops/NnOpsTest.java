package dev.graft.onnx.ops;

import dev.graft.autograd.GradCheck;
import dev.graft.onnx.OnnxAttribute;
import dev.graft.onnx.OnnxException;
import dev.graft.onnx.OnnxModule;
import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.graft.onnx.ops.OpsTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NnOps called directly through the op SPI: gradients of every float op against float64 central
 * differences ({@link GradCheck}), the N-D convolution paths against naive loops, MaxPool's
 * Indices in both storage orders, Resize's opset-18 axes and aspect policies, and load-time refusals.
 */
class NnOpsTest {
    private static final Generator GEN = new Generator(11);

    // ------------------------------------------------------------------ running ops

    private static OnnxAttribute[] a(OnnxAttribute... x) {
        return x;
    }

    private static Tensor run(String op, int opset, OnnxAttribute[] attrs, Tensor... inputs) {
        return runAll(op, opset, 1, attrs, inputs)[0];
    }

    private static Tensor rand(int... shape) {
        return Tensor.uniform(GEN, -1, 1, DType.FLOAT64, shape).requiresGrad(true);
    }

    // ------------------------------------------------------------------ gradients

    @Test
    void convGradientsAllRanks() {
        // 2-D with groups, strides, dilations and asymmetric pads (the explicit-pad path)
        OnnxAttribute[] at = a(i("group", 2), ints("strides", 2, 1), ints("dilations", 1, 2), ints("pads", 1, 0, 0, 2));
        gradCheck("Conv2d", t -> run("Conv", 17, at, t), rand(1, 4, 5, 5), rand(4, 2, 2, 3), rand(4));
        OnnxAttribute[] same = a(s("auto_pad", "SAME_LOWER"), ints("strides", 2));
        gradCheck("Conv1d SAME_LOWER", t -> run("Conv", 17, same, t), rand(2, 2, 6), rand(3, 2, 3), rand(3));
        OnnxAttribute[] at3 = a(ints("pads", 1, 0, 1, 0, 1, 0), ints("strides", 1, 2, 1));
        gradCheck("Conv3d", t -> run("Conv", 17, at3, t), rand(1, 2, 3, 4, 3), rand(2, 2, 2, 2, 2), rand(2));
    }

    @Test
    void convTransposeGradients() {
        OnnxAttribute[] at = a(i("group", 2), ints("strides", 2, 3), ints("pads", 1, 0, 0, 1), ints("output_padding", 1, 0));
        gradCheck("ConvTranspose2d", t -> run("ConvTranspose", 17, at, t), rand(1, 2, 2, 3), rand(2, 2, 3, 2), rand(4));
        OnnxAttribute[] at1 = a(ints("strides", 2), ints("dilations", 2), ints("output_shape", 9));
        gradCheck("ConvTranspose1d", t -> run("ConvTranspose", 17, at1, t), rand(2, 2, 3), rand(2, 1, 2), rand(1));
        OnnxAttribute[] at3 = a(ints("strides", 2, 1, 2), ints("pads", 0, 1, 0, 1, 0, 0));
        gradCheck("ConvTranspose3d", t -> run("ConvTranspose", 17, at3, t), rand(1, 2, 2, 2, 2), rand(2, 1, 2, 3, 2), rand(1));
    }

    @Test
    void normalizationGradients() {
        gradCheck("BatchNormalization", t -> run("BatchNormalization", 15, a(f("epsilon", 1e-3f)), t),
                rand(2, 3, 2), rand(3), rand(3), rand(3), Tensor.uniform(GEN, 0.5, 2, DType.FLOAT64, 3).requiresGrad(true));
        gradCheck("BatchNormalization training", t -> runAll("BatchNormalization", 15, 3, a(i("training_mode", 1)), t)[0],
                rand(3, 2, 2), rand(2), rand(2), rand(2), Tensor.uniform(GEN, 0.5, 2, DType.FLOAT64, 2));
        gradCheck("InstanceNormalization", t -> run("InstanceNormalization", 6, a(), t), rand(2, 2, 3), rand(2), rand(2));
        gradCheck("LayerNormalization", t -> run("LayerNormalization", 17, a(i("axis", 1), i("stash_type", 11)), t),
                rand(2, 3, 2), rand(3, 2), rand(3, 2));
        gradCheck("GroupNormalization", t -> run("GroupNormalization", 18, a(i("num_groups", 2)), t), rand(2, 4, 3), rand(2), rand(2));
        gradCheck("MeanVarianceNormalization", t -> run("MeanVarianceNormalization", 13, a(ints("axes", 0, 2)), t), rand(2, 2, 3));
        gradCheck("LRN", t -> run("LRN", 13, a(i("size", 3), f("alpha", 0.5f)), t), rand(1, 4, 2));
        gradCheck("LpNormalization", t -> run("LpNormalization", 1, a(i("axis", 1)), t), rand(2, 3));
    }

    @Test
    void poolingGradients() {
        gradCheck("MaxPool2d ceil", t -> run("MaxPool", 12, a(ints("kernel_shape", 2, 3), ints("strides", 2, 2), ints("pads", 1, 0, 0, 1),
                i("ceil_mode", 1)), t), rand(1, 2, 5, 5));
        gradCheck("MaxPool3d", t -> run("MaxPool", 12, a(ints("kernel_shape", 2, 2, 2), ints("pads", 1, 0, 0, 0, 1, 0)), t), rand(1, 1, 3, 3, 3));
        gradCheck("AveragePool exclude pad", t -> run("AveragePool", 11, a(ints("kernel_shape", 3, 2), ints("pads", 1, 1, 1, 0),
                i("ceil_mode", 1), ints("strides", 2, 2)), t), rand(1, 2, 4, 5));
        gradCheck("AveragePool1d include pad", t -> run("AveragePool", 11, a(ints("kernel_shape", 3), ints("pads", 2, 1),
                i("count_include_pad", 1)), t), rand(2, 1, 4));
        gradCheck("LpPool", t -> run("LpPool", 11, a(ints("kernel_shape", 2, 2), i("p", 3)), t), rand(1, 1, 3, 3));
        Tensor idx = Tensor.fromArray(new long[] {0, 3, 5, 6}, 1, 1, 2, 2);
        gradCheck("MaxUnpool", t -> run("MaxUnpool", 11, a(ints("kernel_shape", 2, 2), ints("strides", 1, 1)), t[0], idx), rand(1, 1, 2, 2));
        gradCheck("GlobalAveragePool", t -> run("GlobalAveragePool", 1, a(), t), rand(2, 2, 3, 2));
        gradCheck("GlobalMaxPool", t -> run("GlobalMaxPool", 1, a(), t), rand(2, 2, 3));
    }

    @Test
    void resizeGradients() {
        Tensor scales = Tensor.fromArray(new float[] {1, 1, 2.5f, 0.75f}, 4);
        for (String mode : new String[] {"nearest", "linear", "cubic"}) {
            gradCheck("Resize " + mode, t -> run("Resize", 13, a(s("mode", mode)), t[0], null, scales), rand(1, 2, 3, 4));
        }
        Tensor sizes = Tensor.fromArray(new long[] {2, 3}, 2);
        gradCheck("Resize linear antialias axes", t -> run("Resize", 18, a(s("mode", "linear"), i("antialias", 1), ints("axes", 2, 3)),
                t[0], null, null, sizes), rand(1, 1, 5, 7));
    }

    @Test
    void laterOpsetGradients() {
        gradCheck("RMSNormalization", t -> run("RMSNormalization", 23, a(i("axis", 1), i("stash_type", 11)), t), rand(2, 3, 2), rand(3, 2));
        gradCheck("AffineGrid", t -> run("AffineGrid", 20, a(), t[0], Tensor.fromArray(new long[] {1, 1, 2, 3}, 4)), rand(1, 2, 3));
        gradCheck("Col2Im", t -> run("Col2Im", 18, a(ints("pads", 1, 0, 0, 1)), t[0], Tensor.fromArray(new long[] {3, 3}, 2),
                Tensor.fromArray(new long[] {2, 2}, 2)), rand(1, 8, 9));
    }

    @Test
    void samplingGradientsInX() {
        Tensor grid = Tensor.uniform(GEN, -1.2, 1.2, DType.FLOAT64, 1, 2, 3, 2);
        for (String mode : new String[] {"bilinear", "nearest", "bicubic"}) {
            for (String pad : new String[] {"zeros", "border", "reflection"}) {
                gradCheck("GridSample " + mode + " " + pad, t -> run("GridSample", 16, a(s("mode", mode), s("padding_mode", pad)), t[0], grid),
                        rand(1, 2, 3, 4));
            }
        }
        Tensor rois = Tensor.fromArray(new double[] {0, 0, 3, 2, 1.5, 0.5, 3.5, 2.5}, 2, 4);
        Tensor batch = Tensor.fromArray(new long[] {1, 0}, 2);
        for (String mode : new String[] {"avg", "max"}) {
            gradCheck("RoiAlign " + mode, t -> run("RoiAlign", 16, a(s("mode", mode), i("output_height", 2), i("output_width", 2),
                    i("sampling_ratio", 2)), t[0], rois, batch), rand(2, 2, 4, 5));
        }
    }

    @Test
    void recurrentGradientsThroughTime() {
        // LSTM with bias, initial states and peepholes; every input receives gradients
        gradCheck("LSTM", t -> runAll("LSTM", 14, 3, a(i("hidden_size", 2)), t)[0], rand(3, 2, 2), rand(1, 8, 2), rand(1, 8, 2), rand(1, 16),
                Tensor.fromArray(new int[] {3, 2}, 2), rand(1, 2, 2), rand(1, 2, 2), rand(1, 6));
        gradCheck("GRU linear_before_reset", t -> runAll("GRU", 14, 2, a(i("hidden_size", 2), i("linear_before_reset", 1)), t)[1],
                rand(3, 2, 2), rand(1, 6, 2), rand(1, 6, 2), rand(1, 12));
        gradCheck("RNN reverse", t -> runAll("RNN", 14, 2, a(i("hidden_size", 3), s("direction", "reverse")), t)[0],
                rand(2, 1, 2), rand(1, 3, 2), rand(1, 3, 3));
    }

    @Test
    void lossGradientsReachScoresAndWeights() {
        Tensor target = Tensor.fromArray(new long[] {0, 2, -1, 1, 2, 2}, 2, 3);
        OnnxAttribute[] at = a(i("ignore_index", -1));
        gradCheck("SoftmaxCrossEntropyLoss", t -> run("SoftmaxCrossEntropyLoss", 13, at, t[0], target, t[1]), rand(2, 3, 3),
                Tensor.uniform(GEN, 0.5, 2, DType.FLOAT64, 3).requiresGrad(true));
        gradCheck("NegativeLogLikelihoodLoss none", t -> run("NegativeLogLikelihoodLoss", 13, a(s("reduction", "none"), i("ignore_index", -1)),
                t[0], target), rand(2, 3, 3));
        // a loss over only ignored targets and weights is 0/0: the mean is NaN as in the reference
        Tensor allIgnored = Tensor.fromArray(new long[] {-1, -1}, 2);
        assertTrue(Double.isNaN(run("NegativeLogLikelihoodLoss", 13, at, Tensor.zeros(2, 3), allIgnored).item()));
    }

    @Test
    void bidirectionalAndSequenceLengths() {
        Tensor x = Tensor.uniform(GEN, -1, 1, DType.FLOAT64, 4, 2, 3);
        Tensor w = Tensor.uniform(GEN, -1, 1, DType.FLOAT64, 2, 6, 3);
        Tensor r = Tensor.uniform(GEN, -1, 1, DType.FLOAT64, 2, 6, 2);
        Tensor b = Tensor.uniform(GEN, -1, 1, DType.FLOAT64, 2, 12);
        Tensor[] both = runAll("GRU", 14, 2, a(i("hidden_size", 2), s("direction", "bidirectional")), x, w, r, b);
        Tensor[] fwd = runAll("GRU", 14, 2, a(i("hidden_size", 2)), x, w.narrow(0, 0, 1), r.narrow(0, 0, 1), b.narrow(0, 0, 1));
        // the reverse direction is the forward recurrence on the time-reversed input, read backwards
        Tensor flip = NnOpsConv.reversed(4);
        Tensor[] rev = runAll("GRU", 14, 2, a(i("hidden_size", 2)), x.indexSelect(0, flip), w.narrow(0, 1, 1), r.narrow(0, 1, 1), b.narrow(0, 1, 1));
        assertTrue(both[0].narrow(1, 0, 1).allClose(fwd[0], 1e-12, 1e-12));
        assertTrue(both[0].narrow(1, 1, 1).allClose(rev[0].indexSelect(0, flip), 1e-12, 1e-12));
        assertTrue(both[1].narrow(0, 1, 1).allClose(rev[1], 1e-12, 1e-12));
        // sequence_lens [4, 2]: the second sequence stops after two steps, then emits zeros and keeps its state
        Tensor lens = Tensor.fromArray(new int[] {4, 2}, 2);
        Tensor[] masked = runAll("GRU", 14, 2, a(i("hidden_size", 2)), x, w.narrow(0, 0, 1), r.narrow(0, 0, 1), b.narrow(0, 0, 1), lens);
        Tensor[] shortRun = runAll("GRU", 14, 2, a(i("hidden_size", 2)), x.narrow(0, 0, 2).narrow(1, 1, 1), w.narrow(0, 0, 1),
                r.narrow(0, 0, 1), b.narrow(0, 0, 1));
        assertTrue(masked[0].narrow(0, 0, 2).narrow(2, 1, 1).allClose(shortRun[0], 1e-12, 1e-12));
        assertTrue(masked[0].narrow(0, 2, 2).narrow(2, 1, 1).allClose(Tensor.zeros(DType.FLOAT64, 2, 1, 1, 2), 0, 0));
        assertTrue(masked[1].narrow(1, 1, 1).allClose(shortRun[1], 1e-12, 1e-12));
        assertTrue(masked[0].narrow(2, 0, 1).allClose(fwd[0].narrow(2, 0, 1), 1e-12, 1e-12));
    }

    // ------------------------------------------------------------------ values against naive loops

    @Test
    void conv3dMatchesNaiveLoops() {
        Tensor x = Tensor.uniform(GEN, -1, 1, DType.FLOAT64, 2, 4, 5, 4, 6);
        Tensor w = Tensor.uniform(GEN, -1, 1, DType.FLOAT64, 6, 2, 2, 3, 2);
        Tensor b = Tensor.uniform(GEN, -1, 1, DType.FLOAT64, 6);
        int[] st = {2, 1, 2};
        int[] dil = {1, 2, 1};
        int[] pb = {1, 0, 2};
        int[] pe = {0, 2, 1};
        Tensor y = run("Conv", 17, a(i("group", 2), ints("strides", 2, 1, 2), ints("dilations", 1, 2, 1), ints("pads", 1, 0, 2, 0, 2, 1)), x, w, b);
        Tensor ref = naiveConv(x, w, b, st, dil, pb, pe, 2);
        assertArrayEquals(ref.shape(), y.shape());
        assertTrue(y.allClose(ref, 1e-12, 1e-12));
    }

    @Test
    void convTransposeMatchesNaiveScatter() {
        for (int rank : new int[] {1, 2, 3}) {
            int[] xs = rank == 1 ? new int[] {2, 4, 3} : rank == 2 ? new int[] {2, 4, 3, 2} : new int[] {1, 4, 2, 3, 2};
            int[] ws = rank == 1 ? new int[] {4, 3, 3} : rank == 2 ? new int[] {4, 3, 2, 3} : new int[] {4, 3, 2, 2, 3};
            Tensor x = Tensor.uniform(GEN, -1, 1, DType.FLOAT64, xs);
            Tensor w = Tensor.uniform(GEN, -1, 1, DType.FLOAT64, ws);
            Tensor b = Tensor.uniform(GEN, -1, 1, DType.FLOAT64, 6);
            long[] st = new long[rank];
            long[] dil = new long[rank];
            long[] op = new long[rank];
            long[] pads = new long[2 * rank];
            for (int d = 0; d < rank; d++) {
                st[d] = 2 + d % 2;
                dil[d] = 1 + (d + 1) % 2;
                op[d] = d % 2;
                pads[d] = d % 2;
                pads[rank + d] = 1;
            }
            Tensor y = run("ConvTranspose", 17, a(i("group", 2), ints("strides", st), ints("dilations", dil), ints("output_padding", op),
                    ints("pads", pads)), x, w, b);
            Tensor ref = naiveConvTranspose(x, w, b, toInt(st), toInt(dil), toInt(op), pads, 2);
            assertArrayEquals(ref.shape(), y.shape(), "rank " + rank);
            assertTrue(y.allClose(ref, 1e-12, 1e-12), "rank " + rank);
        }
    }

    private static int[] toInt(long[] v) {
        int[] r = new int[v.length];
        for (int k = 0; k < v.length; k++) {
            r[k] = (int) v[k];
        }
        return r;
    }

    /** Direct N-D convolution: y[n, m, o] = b[m] + sum over c in m's group and taps t of x[n, c, o*s - pb + t*d] w[m, c, t]. */
    private static Tensor naiveConv(Tensor x, Tensor w, Tensor b, int[] st, int[] dil, int[] pb, int[] pe, int groups) {
        int r = x.dim() - 2;
        int[] in = java.util.Arrays.copyOfRange(x.shape(), 2, x.dim());
        int[] k = java.util.Arrays.copyOfRange(w.shape(), 2, w.dim());
        int[] out = new int[r];
        for (int d = 0; d < r; d++) {
            out[d] = (in[d] + pb[d] + pe[d] - ((k[d] - 1) * dil[d] + 1)) / st[d] + 1;
        }
        int n = x.size(0);
        int m = w.size(0);
        int cg = w.size(1);
        int[] ys = new int[r + 2];
        ys[0] = n;
        ys[1] = m;
        System.arraycopy(out, 0, ys, 2, r);
        Tensor y = Tensor.zeros(DType.FLOAT64, ys);
        int outCount = prod(out);
        int taps = prod(k);
        int[] o = new int[r];
        int[] t = new int[r];
        for (int bi = 0; bi < n; bi++) {
            for (int mi = 0; mi < m; mi++) {
                int g = mi / (m / groups);
                for (int oi = 0; oi < outCount; oi++) {
                    unravel(oi, out, o);
                    double acc = b.get(mi);
                    for (int ci = 0; ci < cg; ci++) {
                        for (int ti = 0; ti < taps; ti++) {
                            unravel(ti, k, t);
                            int[] xi = new int[r + 2];
                            int[] wi = new int[r + 2];
                            xi[0] = bi;
                            xi[1] = g * cg + ci;
                            wi[0] = mi;
                            wi[1] = ci;
                            boolean inside = true;
                            for (int d = 0; d < r; d++) {
                                xi[2 + d] = o[d] * st[d] - pb[d] + t[d] * dil[d];
                                wi[2 + d] = t[d];
                                inside &= xi[2 + d] >= 0 && xi[2 + d] < in[d];
                            }
                            if (inside) {
                                acc += x.get(xi) * w.get(wi);
                            }
                        }
                    }
                    int[] yi = new int[r + 2];
                    yi[0] = bi;
                    yi[1] = mi;
                    System.arraycopy(o, 0, yi, 2, r);
                    y.set(acc, yi);
                }
            }
        }
        return y;
    }

    /** Direct scatter: each x[n, c, i] adds x * w[c, m', t] at position i*s + t*d - pb of output channel g*M/g + m'. */
    private static Tensor naiveConvTranspose(Tensor x, Tensor w, Tensor b, int[] st, int[] dil, int[] op, long[] pads, int groups) {
        int r = x.dim() - 2;
        int[] in = java.util.Arrays.copyOfRange(x.shape(), 2, x.dim());
        int[] k = java.util.Arrays.copyOfRange(w.shape(), 2, w.dim());
        int[] out = new int[r];
        for (int d = 0; d < r; d++) {
            out[d] = (in[d] - 1) * st[d] + (k[d] - 1) * dil[d] + 1 + op[d] - (int) pads[d] - (int) pads[r + d];
        }
        int n = x.size(0);
        int c = x.size(1);
        int mg = w.size(1);
        int m = mg * groups;
        int[] ys = new int[r + 2];
        ys[0] = n;
        ys[1] = m;
        System.arraycopy(out, 0, ys, 2, r);
        Tensor y = Tensor.zeros(DType.FLOAT64, ys);
        for (int bi = 0; bi < n; bi++) {
            for (int mi = 0; mi < m; mi++) {
                int[] yi = new int[r + 2];
                for (int oi = 0; oi < prod(out); oi++) {
                    int[] o = new int[r];
                    unravel(oi, out, o);
                    yi[0] = bi;
                    yi[1] = mi;
                    System.arraycopy(o, 0, yi, 2, r);
                    y.set(b.get(mi), yi);
                }
            }
        }
        int[] i = new int[r];
        int[] t = new int[r];
        for (int bi = 0; bi < n; bi++) {
            for (int ci = 0; ci < c; ci++) {
                int g = ci / (c / groups);
                for (int ii = 0; ii < prod(in); ii++) {
                    unravel(ii, in, i);
                    for (int mj = 0; mj < mg; mj++) {
                        for (int ti = 0; ti < prod(k); ti++) {
                            unravel(ti, k, t);
                            int[] yi = new int[r + 2];
                            int[] xi = new int[r + 2];
                            int[] wi = new int[r + 2];
                            yi[0] = bi;
                            yi[1] = g * mg + mj;
                            xi[0] = bi;
                            xi[1] = ci;
                            wi[0] = ci;
                            wi[1] = mj;
                            boolean inside = true;
                            for (int d = 0; d < r; d++) {
                                yi[2 + d] = i[d] * st[d] + t[d] * dil[d] - (int) pads[d];
                                xi[2 + d] = i[d];
                                wi[2 + d] = t[d];
                                inside &= yi[2 + d] >= 0 && yi[2 + d] < out[d];
                            }
                            if (inside) {
                                y.set(y.get(yi) + x.get(xi) * w.get(wi), yi);
                            }
                        }
                    }
                }
            }
        }
        return y;
    }

    private static int prod(int[] v) {
        int p = 1;
        for (int x : v) {
            p *= x;
        }
        return p;
    }

    private static void unravel(int idx, int[] shape, int[] pos) {
        for (int d = shape.length - 1; d >= 0; d--) {
            pos[d] = idx % shape[d];
            idx /= shape[d];
        }
    }

    // ------------------------------------------------------------------ specific semantics

    @Test
    void maxPoolIndicesInBothStorageOrders() {
        // [[1, 5, 2], [7, 3, 9]] with a 2x2 window, stride 1: maxima 7 at (1,0) and 9 at (1,2)
        Tensor x = Tensor.fromArray(new float[] {1, 5, 2, 7, 3, 9, 0, 0, 0, 0, 0, 4}, 2, 1, 2, 3);
        Tensor[] row = runAll("MaxPool", 12, 2, a(ints("kernel_shape", 2, 2)), x);
        assertArrayEquals(new float[] {7, 9, 0, 4}, row[0].toFloatArray());
        assertEquals(DType.INT64, row[1].dtype());
        assertArrayEquals(new long[] {3, 5, 6, 11}, row[1].toLongArray());
        Tensor[] col = runAll("MaxPool", 12, 2, a(ints("kernel_shape", 2, 2), i("storage_order", 1)), x);
        // column-major spatial index h + w * H; the batch offset stays row-major: 6 * n
        assertArrayEquals(new long[] {1, 5, 6, 11}, col[1].toLongArray());
    }

    @Test
    void integerMaxPoolPadsWithTheTypeMinimum() {
        Tensor x = Tensor.fromArray(new int[] {-5, -7, -9, -3}, 1, 1, 2, 2); // int8 data is held as int32
        Tensor y = run("MaxPool", 12, a(ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1)), x);
        assertEquals(DType.INT32, y.dtype());
        assertArrayEquals(new long[] {-3, -3, -3, -3}, y.toLongArray());
    }

    @Test
    void averagePoolCeilWindowsCountOnlyRealCells() {
        // ONNX's averagepool_2d_ceil: 4x4 of 1..16, kernel 3, stride 2, ceil → the edge windows average 6 or 4 cells
        float[] v = new float[16];
        for (int k = 0; k < 16; k++) {
            v[k] = k + 1;
        }
        Tensor y = run("AveragePool", 10, a(ints("kernel_shape", 3, 3), ints("strides", 2, 2), i("ceil_mode", 1)), Tensor.fromArray(v, 1, 1, 4, 4));
        assertArrayEquals(new float[] {6, 7.5f, 12, 13.5f}, y.toFloatArray(), 1e-6f);
    }

    @Test
    void batchNormTrainingUpdatesRunningStats() {
        Tensor x = Tensor.fromArray(new double[] {1, 2, 3, 5}, 2, 2); // channel 0: {1, 3}, channel 1: {2, 5}
        Tensor[] r = runAll("BatchNormalization", 15, 3, a(i("training_mode", 1), f("momentum", 0.5f)), x,
                Tensor.ones(DType.FLOAT64, 2), Tensor.zeros(DType.FLOAT64, 2), Tensor.zeros(DType.FLOAT64, 2), Tensor.ones(DType.FLOAT64, 2));
        assertArrayEquals(new double[] {1, 1.75}, r[1].toDoubleArray(), 1e-12); // 0.5*0 + 0.5*{2, 3.5}
        assertArrayEquals(new double[] {1, 1.625}, r[2].toDoubleArray(), 1e-12); // 0.5*1 + 0.5*{1, 2.25}
    }

    @Test
    void layerNormOutputsKeepDims() {
        Tensor x = Tensor.uniform(GEN, -1, 1, DType.FLOAT32, 2, 3, 4);
        Tensor[] r = runAll("LayerNormalization", 17, 3, a(i("axis", -2)), x, Tensor.ones(3, 4));
        assertArrayEquals(new int[] {2, 3, 4}, r[0].shape());
        assertArrayEquals(new int[] {2, 1, 1}, r[1].shape());
        assertArrayEquals(new int[] {2, 1, 1}, r[2].shape());
    }

    @Test
    void resizeOpset18AxesAndAspectPolicies() {
        Tensor x = Tensor.uniform(GEN, -1, 1, DType.FLOAT32, 1, 1, 2, 4);
        Tensor sizes = Tensor.fromArray(new long[] {4, 4}, 2);
        OnnxAttribute axes = ints("axes", 2, 3);
        assertArrayEquals(new int[] {1, 1, 2, 4}, run("Resize", 18, a(axes, s("keep_aspect_ratio_policy", "not_larger")), x, null, null, sizes).shape());
        assertArrayEquals(new int[] {1, 1, 4, 8}, run("Resize", 18, a(axes, s("keep_aspect_ratio_policy", "not_smaller")), x, null, null, sizes).shape());
        // nearest, asymmetric, integer upscale repeats elements
        Tensor up = run("Resize", 18, a(ints("axes", 3), s("coordinate_transformation_mode", "asymmetric"), s("nearest_mode", "floor")),
                x, null, Tensor.fromArray(new float[] {2}, 1));
        float[] xv = x.toFloatArray();
        float[] uv = up.toFloatArray();
        for (int k = 0; k < uv.length; k++) {
            assertEquals(xv[k / 2], uv[k]);
        }
    }

    @Test
    void nearestResizeKeepsIntegerTypes() {
        Tensor x = Tensor.fromArray(new int[] {1, 2, 3, 4}, 1, 1, 2, 2).to(DType.UINT8);
        Tensor y = run("Resize", 13, a(), x, null, Tensor.fromArray(new float[] {1, 1, 1, 2}, 4));
        assertEquals(DType.UINT8, y.dtype());
        assertArrayEquals(new long[] {1, 1, 2, 2, 3, 3, 4, 4}, y.toLongArray());
        OnnxNode n = node("Resize", 3, 1, s("mode", "linear"));
        OnnxException e = assertThrows(OnnxException.class, () -> REG.find("", "Resize").apply(new OpContext(n, 13,
                new Tensor[] {x, null, Tensor.fromArray(new float[] {1, 1, 1, 2}, 4)})));
        assertTrue(e.getMessage().contains("linear interpolation needs a floating input"), e.getMessage());
    }

    @Test
    void upsampleOpset7UsesScalesAttribute() {
        OnnxAttribute sc = new OnnxAttribute("scales", OnnxAttribute.Type.FLOATS, 0, 0, null, null, null, new float[] {1, 1, 2, 2}, null, null, null);
        Tensor x = Tensor.fromArray(new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
        Tensor y = run("Upsample", 7, a(sc), x);
        assertArrayEquals(new float[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, y.toFloatArray());
    }

    // ------------------------------------------------------------------ refusals and errors

    @Test
    void loadTimeRefusals() {
        assertTrue(REG.find("", "Resize").unsupportedReason(node("Resize", 3, 1, s("mode", "area")), 13).contains("mode 'area'"));
        assertTrue(REG.find("", "Resize").unsupportedReason(node("Resize", 3, 1, s("coordinate_transformation_mode", "weird")), 13)
                .contains("coordinate_transformation_mode 'weird'"));
        assertTrue(REG.find("", "Conv").unsupportedReason(node("Conv", 2, 1, s("auto_pad", "SAME")), 11).contains("auto_pad 'SAME'"));
        assertTrue(REG.find("", "BatchNormalization").unsupportedReason(node("BatchNormalization", 5, 5), 9).contains("training outputs"));
        assertNull(REG.find("", "BatchNormalization").unsupportedReason(node("BatchNormalization", 5, 3), 15));
        assertTrue(REG.find("", "LayerNormalization").unsupportedReason(node("LayerNormalization", 2, 1, i("stash_type", 10)), 17)
                .contains("stash_type 10"));
    }

    @Test
    void errorsNameNodeAndShapes() {
        OnnxNode n = node("Conv", 2, 1);
        OnnxException e = assertThrows(OnnxException.class, () -> REG.find("", "Conv").apply(new OpContext(n, 11,
                new Tensor[] {Tensor.zeros(1, 4, 5, 5), Tensor.zeros(2, 3, 3, 3)})));
        assertTrue(e.getMessage().contains("Conv node 'n'") && e.getMessage().contains("[1, 4, 5, 5]"), e.getMessage());
        OnnxNode p = node("MaxPool", 1, 1, ints("kernel_shape", 7, 7));
        OnnxException e2 = assertThrows(OnnxException.class, () -> REG.find("", "MaxPool").apply(new OpContext(p, 11,
                new Tensor[] {Tensor.zeros(1, 1, 3, 3)})));
        assertTrue(e2.getMessage().contains("does not fit"), e2.getMessage());
    }

    // ------------------------------------------------------------------ ONNX Runtime as the oracle

    /**
     * Single-node models run by ONNX Runtime (a test dependency) and by an {@link OnnxModule}, for
     * the attribute combinations the 1.12 node suite leaves out (ceil-mode overhangs, SAME_* splits,
     * output_shape paddings, Indices orders, opset-18 Resize, recurrent directions and lengths...).
     * Outputs must agree in type, shape and value (1e-5 absolute + 1e-4 relative).
     */
    @Nested
    class AgainstOnnxRuntime {
        private final Random random = new Random(5);

        private In rnd(String name, int... shape) {
            double[] v = new double[Math.max(1, prod(shape))];
            for (int k = 0; k < v.length; k++) {
                v[k] = random.nextDouble() * 2 - 1;
            }
            return new In(name, FLOAT, shape, v);
        }

        private In vals(String name, int type, int[] shape, double... v) {
            return new In(name, type, shape, v);
        }

        private Attr[] at(Attr... p) {
            return p;
        }

        @Test
        void convolutions() {
            In x2 = rnd("x", 1, 4, 7, 6);
            check("Conv", 11, at(ai("group", 2), ais("pads", 1, 0, 2, 1), ais("strides", 2, 1), ais("dilations", 1, 2)),
                    ins(x2, rnd("w", 4, 2, 3, 2), rnd("b", 4)), FLOAT);
            for (String pad : new String[] {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
                check("Conv", 11, at(as("auto_pad", pad), ais("strides", 2, 2)), ins(x2, rnd("w", 3, 4, 2, 3)), FLOAT);
                check("Conv", 11, at(as("auto_pad", pad), ais("strides", 2)), ins(rnd("x", 2, 3, 8), rnd("w", 2, 3, 4)), FLOAT);
            }
            check("Conv", 11, at(ais("pads", 1, 0, 2, 0, 1, 1), ais("strides", 1, 2, 1), ais("dilations", 2, 1, 1)),
                    ins(rnd("x", 1, 2, 5, 5, 4), rnd("w", 3, 2, 2, 3, 2), rnd("b", 3)), FLOAT);
            check("ConvTranspose", 11, at(ai("group", 2), ais("strides", 2, 3), ais("pads", 1, 0, 0, 2), ais("output_padding", 1, 2),
                    ais("dilations", 2, 1)), ins(rnd("x", 1, 4, 3, 3), rnd("w", 4, 3, 3, 3), rnd("b", 6)), FLOAT);
            for (String pad : new String[] {"NOTSET", "SAME_UPPER", "SAME_LOWER"}) {
                // output_shape smaller than the full output: the split of the odd padding cell
                check("ConvTranspose", 11, at(as("auto_pad", pad), ais("strides", 2, 2), ais("output_shape", 8, 7)),
                        ins(rnd("x", 1, 2, 4, 4), rnd("w", 2, 1, 3, 3)), FLOAT);
            }
            check("ConvTranspose", 11, at(as("auto_pad", "SAME_LOWER"), ais("strides", 2)), ins(rnd("x", 1, 2, 5), rnd("w", 2, 3, 4)), FLOAT);
            check("ConvTranspose", 11, at(ais("strides", 2, 1, 2), ais("pads", 1, 0, 0, 0, 1, 1)),
                    ins(rnd("x", 1, 2, 3, 2, 3), rnd("w", 2, 2, 3, 2, 2), rnd("b", 2)), FLOAT);
        }

        @Test
        void pooling() {
            In x = rnd("x", 2, 3, 7, 6);
            check("MaxPool", 12, at(ais("kernel_shape", 3, 2), ais("strides", 2, 2), ais("pads", 1, 1, 1, 0), ai("ceil_mode", 1),
                    ais("dilations", 1, 2)), ins(x), FLOAT, INT64);
            check("MaxPool", 12, at(ais("kernel_shape", 3, 3), ais("strides", 2, 2), as("auto_pad", "SAME_LOWER"), ai("storage_order", 1)),
                    ins(x), FLOAT, INT64);
            check("MaxPool", 12, at(ais("kernel_shape", 2, 2, 2), ais("pads", 1, 0, 1, 0, 1, 1), ai("ceil_mode", 1), ais("strides", 2, 2, 2)),
                    ins(rnd("x", 1, 2, 4, 5, 3)), FLOAT, INT64);
            check("MaxPool", 12, at(ais("kernel_shape", 3), ais("strides", 3), ai("ceil_mode", 1), ais("pads", 2, 2)), ins(rnd("x", 1, 2, 8)),
                    FLOAT, INT64);
            for (int include = 0; include < 2; include++) {
                // ceil-mode windows count the cells inside input and pads: ONNX Runtime does so from opset 19
                // (its older kernel divides by the whole kernel, onnxruntime#16203)
                check("AveragePool", 19, at(ais("kernel_shape", 3, 3), ais("strides", 2, 2), ais("pads", 1, 1, 1, 1), ai("ceil_mode", 1),
                        ai("count_include_pad", include)), ins(rnd("x", 1, 2, 6, 6)), FLOAT);
                check("AveragePool", 19, at(ais("kernel_shape", 3), ais("strides", 3), ais("pads", 1, 1), ai("ceil_mode", 1),
                        ai("count_include_pad", include)), ins(rnd("x", 1, 2, 8)), FLOAT);
                check("AveragePool", 11, at(ais("kernel_shape", 3, 2), ais("strides", 2, 2), as("auto_pad", "SAME_UPPER"),
                        ai("count_include_pad", include)), ins(x), FLOAT);
                check("AveragePool", 11, at(ais("kernel_shape", 2, 3, 2), ais("pads", 1, 0, 1, 0, 2, 0), ai("count_include_pad", include)),
                        ins(rnd("x", 1, 1, 4, 5, 3)), FLOAT);
                check("AveragePool", 19, at(ais("kernel_shape", 2, 2), ais("dilations", 2, 1), ais("pads", 1, 0, 0, 1),
                        ai("count_include_pad", include)), ins(x), FLOAT);
            }
            check("AveragePool", 11, at(ais("kernel_shape", 3, 3), ais("strides", 2, 2), ais("pads", 1, 0, 0, 1), ai("ceil_mode", 1)),
                    ins(rnd("x", 1, 2, 6, 7)), FLOAT);
            check("LpPool", 11, at(ais("kernel_shape", 2, 3), ais("pads", 1, 0, 0, 1), ai("p", 3)), ins(x), FLOAT);
            check("GlobalLpPool", 2, at(ai("p", 3)), ins(x), FLOAT);
            check("GlobalMaxPool", 1, at(), ins(rnd("x", 1, 2, 3, 2, 2)), FLOAT);
            check("MaxUnpool", 11, at(ais("kernel_shape", 2, 2), ais("strides", 2, 2)), ins(rnd("x", 1, 1, 2, 2),
                    vals("i", INT64, new int[] {1, 1, 2, 2}, 1, 6, 8, 15), vals("s", INT64, new int[] {4}, 1, 1, 5, 4)), FLOAT);
        }

        @Test
        void normalizations() {
            In x = rnd("x", 3, 4, 2, 3);
            check("BatchNormalization", 15, at(ai("training_mode", 1), af("momentum", 0.7f)),
                    ins(x, rnd("s", 4), rnd("b", 4), rnd("m", 4), vals("v", FLOAT, new int[] {4}, 0.5, 1, 2, 3)), FLOAT, FLOAT, FLOAT);
            check("BatchNormalization", 9, at(af("epsilon", 1e-2f)), ins(x, rnd("s", 4), rnd("b", 4), rnd("m", 4),
                    vals("v", FLOAT, new int[] {4}, 0.5, 1, 2, 3)), FLOAT);
            check("InstanceNormalization", 6, at(af("epsilon", 1e-3f)), ins(x, rnd("s", 4), rnd("b", 4)), FLOAT);
            check("LayerNormalization", 17, at(ai("axis", 2)), ins(x, rnd("s", 2, 3), rnd("b", 2, 3)), FLOAT, FLOAT, FLOAT);
            check("LRN", 13, at(ai("size", 3), af("alpha", 0.3f), af("beta", 0.6f), af("bias", 2f)), ins(x), FLOAT);
            check("MeanVarianceNormalization", 13, at(ais("axes", 0, 2)), ins(x), FLOAT);
            check("LpNormalization", 1, at(ai("axis", 1), ai("p", 1)), ins(x), FLOAT);
            check("GroupNormalization", 18, at(ai("num_groups", 2)), ins(x, rnd("s", 2), rnd("b", 2)), FLOAT);
            check("GroupNormalization", 21, at(ai("num_groups", 2), af("epsilon", 1e-3f)), ins(x, rnd("s", 4), rnd("b", 4)), FLOAT);
        }

        @Test
        void resize() {
            In x = rnd("x", 1, 2, 4, 5);
            In up = vals("s", FLOAT, new int[] {4}, 1, 1, 1.7, 2.4);
            In down = vals("s", FLOAT, new int[] {4}, 1, 1, 0.6, 0.45);
            String[] ctms = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"};
            for (String mode : new String[] {"nearest", "linear", "cubic"}) {
                for (String ctm : ctms) {
                    if (ctm.equals("tf_half_pixel_for_nn") && !mode.equals("nearest")) {
                        continue;
                    }
                    // align_corners divides by (scale * length - 1) in the ONNX reference (the node suite's
                    // downsample_scales_linear_align_corners expects it) but by (output length - 1) in ONNX
                    // Runtime; scales that give whole lengths keep the two equal
                    In[] scales = ctm.equals("align_corners") ? new In[] {vals("s", FLOAT, new int[] {4}, 1, 1, 1.5, 2.4),
                        vals("s", FLOAT, new int[] {4}, 1, 1, 0.5, 0.4)} : new In[] {up, down};
                    for (In s : scales) {
                        check("Resize", 13, at(as("mode", mode), as("coordinate_transformation_mode", ctm)), ins(x, null, s), FLOAT);
                    }
                }
            }
            for (String nm : new String[] {"round_prefer_ceil", "floor", "ceil"}) {
                check("Resize", 13, at(as("nearest_mode", nm)), ins(x, null, up), FLOAT);
            }
            check("Resize", 13, at(as("mode", "cubic"), ai("exclude_outside", 1), af("cubic_coeff_a", -0.5f)), ins(x, null, down), FLOAT);
            In sizes = vals("z", INT64, new int[] {4}, 1, 2, 7, 3);
            check("Resize", 13, at(as("mode", "linear")), ins(x, null, null, sizes), FLOAT);
            In roi = vals("r", FLOAT, new int[] {8}, 0, 0, 0.2, -0.1, 1, 1, 0.9, 1.2);
            for (String mode : new String[] {"nearest", "linear"}) {
                check("Resize", 13, at(as("mode", mode), as("coordinate_transformation_mode", "tf_crop_and_resize"), af("extrapolation_value", 3f)),
                        ins(x, roi, null, sizes), FLOAT);
            }
            // opset 18: antialias, axes, aspect policies; opset 10: the legacy asymmetric form
            for (String mode : new String[] {"linear", "cubic"}) {
                check("Resize", 18, at(as("mode", mode), ai("antialias", 1)), ins(x, null, vals("s", FLOAT, new int[] {4}, 1, 1, 0.5, 0.35)), FLOAT);
            }
            In sz2 = vals("z", INT64, new int[] {2}, 3, 9);
            for (String policy : new String[] {"stretch", "not_larger", "not_smaller"}) {
                check("Resize", 18, at(as("mode", "linear"), ais("axes", 2, 3), as("keep_aspect_ratio_policy", policy)),
                        ins(x, null, null, sz2), FLOAT);
            }
            for (String mode : new String[] {"nearest", "linear"}) {
                check("Resize", 19, at(as("mode", mode), as("coordinate_transformation_mode", "half_pixel_symmetric")), ins(x, null, down), FLOAT);
            }
            check("Resize", 10, at(as("mode", "nearest")), ins(x, down), FLOAT);
            check("Resize", 10, at(as("mode", "linear")), ins(x, up), FLOAT);
            check("Upsample", 9, at(as("mode", "linear")), ins(x, vals("s", FLOAT, new int[] {4}, 1, 1, 2, 3)), FLOAT);
        }

        @Test
        void laterOpsetOps() {
            In x = rnd("x", 2, 3, 4);
            check("RMSNormalization", 23, at(ai("axis", 1), af("epsilon", 1e-3f)), ins(x, rnd("s", 3, 4)), FLOAT);
            check("RMSNormalization", 23, at(), ins(x, rnd("s", 4)), FLOAT);
            for (int align = 0; align < 2; align++) {
                check("AffineGrid", 20, at(ai("align_corners", align)), ins(rnd("t", 2, 2, 3), vals("z", INT64, new int[] {4}, 2, 3, 4, 5)), FLOAT);
                check("AffineGrid", 20, at(ai("align_corners", align)), ins(rnd("t", 1, 3, 4), vals("z", INT64, new int[] {5}, 1, 1, 2, 3, 4)), FLOAT);
            }
            In image = vals("i", INT64, new int[] {2}, 5, 6);
            In block = vals("b", INT64, new int[] {2}, 2, 3);
            // blocks: (5 + 1 + 0 - 2) / 1 + 1 = 5 rows, (6 + 2 + 1 - 5) / 2 + 1 = 3 columns (dilation 2 on the width)
            check("Col2Im", 18, at(ais("pads", 1, 2, 0, 1), ais("strides", 1, 2), ais("dilations", 1, 2)),
                    ins(rnd("c", 2, 12, 15), image, block), FLOAT);
            check("Col2Im", 18, at(), ins(rnd("c", 1, 6, 4), vals("i", INT64, new int[] {1}, 6), vals("b", INT64, new int[] {1}, 3)), FLOAT);
        }

        @Test
        void sampling() {
            In x = rnd("x", 2, 2, 4, 5);
            In grid = new In("g", FLOAT, new int[] {2, 3, 4, 2}, rnd("g", 48).values().clone());
            for (int k = 0; k < grid.values().length; k++) {
                grid.values()[k] *= 1.3;
            }
            for (String mode : new String[] {"bilinear", "nearest", "bicubic"}) {
                for (String pad : new String[] {"zeros", "border", "reflection"}) {
                    for (int align = 0; align < 2; align++) {
                        check("GridSample", 16, at(as("mode", mode), as("padding_mode", pad), ai("align_corners", align)), ins(x, grid), FLOAT);
                    }
                }
            }
            In grid3 = new In("g", FLOAT, new int[] {1, 2, 3, 2, 3}, rnd("g", 36).values().clone());
            for (String mode : new String[] {"linear", "nearest"}) {
                for (String pad : new String[] {"zeros", "border", "reflection"}) {
                    check("GridSample", 20, at(as("mode", mode), as("padding_mode", pad)), ins(rnd("x", 1, 2, 3, 4, 5), grid3), FLOAT);
                }
            }
            check("GridSample", 20, at(as("mode", "cubic"), ai("align_corners", 1)), ins(x, grid), FLOAT);
            In rois = vals("r", FLOAT, new int[] {3, 4}, 0, 0, 3, 2, 1.5, 0.5, 4.5, 3.5, -1, 1, 2, 5);
            In bi = vals("b", INT64, new int[] {3}, 1, 0, 1);
            for (String mode : new String[] {"avg", "max"}) {
                check("RoiAlign", 16, at(as("mode", mode), ai("output_height", 3), ai("output_width", 2), af("spatial_scale", 0.9f)),
                        ins(x, rois, bi), FLOAT);
                check("RoiAlign", 10, at(as("mode", mode), ai("output_height", 2), ai("output_width", 2), ai("sampling_ratio", 2)),
                        ins(x, rois, bi), FLOAT);
            }
        }

        @Test
        void recurrent() {
            In x = rnd("x", 4, 2, 3);
            In lens = vals("l", INT32, new int[] {2}, 4, 2);
            check("LSTM", 14, at(ai("hidden_size", 2), as("direction", "bidirectional"), af("clip", 0.6f)),
                    ins(x, rnd("w", 2, 8, 3), rnd("r", 2, 8, 2), rnd("b", 2, 16), lens, rnd("h", 2, 2, 2), rnd("c", 2, 2, 2), rnd("p", 2, 6)),
                    FLOAT, FLOAT, FLOAT);
            // (ONNX Runtime refuses layout 1 for LSTM; the node suite's batchwise cases cover it)
            check("LSTM", 14, at(ai("hidden_size", 2), ai("input_forget", 1), as("direction", "reverse")),
                    ins(rnd("x", 4, 2, 3), rnd("w", 1, 8, 3), rnd("r", 1, 8, 2)), FLOAT, FLOAT, FLOAT);
            check("GRU", 14, at(ai("hidden_size", 3), as("direction", "bidirectional"), ai("linear_before_reset", 1)),
                    ins(x, rnd("w", 2, 9, 3), rnd("r", 2, 9, 3), rnd("b", 2, 18), lens), FLOAT, FLOAT);
            check("GRU", 14, at(ai("hidden_size", 2), astrs("activations", "HardSigmoid", "LeakyRelu"), afs("activation_alpha", 0.3f, 0.2f)), ins(x, rnd("w", 1, 6, 3), rnd("r", 1, 6, 2)), FLOAT, FLOAT);
            check("RNN", 14, at(ai("hidden_size", 2), as("direction", "reverse"), astrs("activations", "Relu")),
                    ins(x, rnd("w", 1, 2, 3), rnd("r", 1, 2, 2), rnd("b", 1, 4), lens), FLOAT, FLOAT);
        }

        @Test
        void losses() {
            In scores = rnd("x", 3, 4, 2);
            In target = vals("t", INT64, new int[] {3, 2}, 0, 3, -1, 2, 1, -1);
            In weight = vals("w", FLOAT, new int[] {4}, 0.5, 1, 2, 1.5);
            for (String red : new String[] {"none", "sum", "mean"}) {
                check("SoftmaxCrossEntropyLoss", 13, at(as("reduction", red), ai("ignore_index", -1)), ins(scores, target, weight), FLOAT, FLOAT);
                check("NegativeLogLikelihoodLoss", 13, at(as("reduction", red), ai("ignore_index", -1)), ins(scores, target), FLOAT);
            }
        }
    }
}
