package dev.graft.tensor;

import dev.graft.tensor.TestSupport.Layout;
import dev.graft.tensor.TestSupport.Pair;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.Random;

import static dev.graft.tensor.TestSupport.assertClose;
import static dev.graft.tensor.TestSupport.assertExact;
import static dev.graft.tensor.TestSupport.assertThrowsWith;
import static dev.graft.tensor.TestSupport.assertWithin;
import static dev.graft.tensor.TestSupport.sample;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * conv2d/conv1d against a direct nested loop; pooling and padding against their definitions.
 *
 * <p>Tolerances: convolution, per output element, 1e-6 + K u sum|x w| with K = (C/groups) kh kw the
 * length of each dot product (u = 2^-24 for float32, 2^-53 for float64), as for matmul; max pooling
 * and padding exact; average pooling rtol 1e-6 (a float32 sum of at most 9 terms and one division).
 */
class ConvolutionTest {

    /** n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups, bias(0/1) */
    static final int[][] CONV2D = {
        {2, 3, 7, 9, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1, 1},
        {1, 4, 8, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2, 0},
        {2, 6, 9, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 6, 1},   // depthwise
        {1, 3, 17, 17, 5, 3, 5, 2, 1, 2, 1, 2, 1, 1, 1}, // dilation, non-square kernel
        {3, 2, 5, 5, 4, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1},   // 1x1
        {1, 4, 6, 33, 8, 2, 3, 1, 3, 0, 2, 1, 2, 4, 0},
        {2, 3, 4, 4, 3, 4, 4, 1, 1, 0, 0, 1, 1, 1, 1},   // kernel covers the input: 1x1 output
        {1, 16, 5, 5, 32, 3, 3, 1, 1, 1, 1, 1, 1, 16, 1}, // depthwise with channel multiplier 2
        {2, 1, 1, 17, 3, 1, 3, 1, 2, 0, 1, 1, 1, 1, 1},  // height 1
        {11, 3, 6, 19, 4, 3, 2, 2, 1, 1, 1, 1, 2, 1, 1}, // a batch over more than one chunk of the per-sample path
        // the direct depthwise kernel: rows with vector tails, stride 2, dilation, padding wider than
        // some taps reach (taps that touch no column of a row), channel multiplier 2, batches of 1 and 5
        {5, 3, 11, 37, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3, 1},
        {1, 4, 13, 29, 8, 3, 3, 2, 2, 1, 1, 1, 1, 4, 1},
        {2, 3, 10, 23, 3, 5, 3, 1, 1, 2, 3, 2, 2, 3, 0},
        {1, 2, 4, 5, 2, 3, 3, 1, 1, 3, 3, 1, 1, 2, 1},
        {1, 2, 6, 40, 4, 3, 7, 1, 2, 0, 5, 1, 1, 2, 1},
        {5, 1, 3, 17, 2, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1},  // one channel: groups 1, takes the 1x1 path
        // 1x1 without im2col (stride 1, no padding; dilation changes nothing), and stride 2 on im2col
        {5, 7, 9, 21, 5, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1},
        {1, 5, 3, 19, 9, 1, 1, 1, 1, 0, 0, 2, 2, 1, 0},
        {2, 4, 7, 9, 4, 1, 1, 2, 2, 0, 0, 1, 1, 1, 1},
    };

    /** [out, tolerance] of conv2d by the definition. */
    static Nd[] conv2dRef(Nd x, Nd w, Nd bias, int[] c, double u) {
        int n = x.shape[0];
        int ch = x.shape[1];
        int h = x.shape[2];
        int wd = x.shape[3];
        int o = w.shape[0];
        int kh = w.shape[2];
        int kw = w.shape[3];
        int sh = c[0];
        int sw = c[1];
        int ph = c[2];
        int pw = c[3];
        int dh = c[4];
        int dw = c[5];
        int groups = c[6];
        int cg = ch / groups;
        int og = o / groups;
        int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
        int ow = (wd + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        Nd out = Nd.zeros(n, o, oh, ow);
        Nd tol = Nd.zeros(n, o, oh, ow);
        int k = cg * kh * kw;
        Nd.forEachIndex(out.shape, (idx, flat) -> {
            int oc = idx[1];
            int g = oc / og;
            double acc = bias == null ? 0 : bias.data[oc];
            double abs = Math.abs(acc);
            for (int ci = 0; ci < cg; ci++) {
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int y = idx[2] * sh - ph + i * dh;
                        int xx = idx[3] * sw - pw + j * dw;
                        if (y >= 0 && y < h && xx >= 0 && xx < wd) {
                            double t = x.get(idx[0], g * cg + ci, y, xx) * w.get(oc, ci, i, j);
                            acc += t;
                            abs += Math.abs(t);
                        }
                    }
                }
            }
            out.data[flat] = acc;
            tol.data[flat] = (u > 1e-10 ? 1e-6 : 1e-300) + (k + 1) * u * abs;
        });
        return new Nd[] {out, tol};
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void conv2dMatchesDirectLoop(Backend backend) {
        Random rnd = new Random(71);
        Backends.with(backend, () -> {
            for (int[] cfg : CONV2D) {
                int[] geo = Arrays.copyOfRange(cfg, 7, 14);
                for (Layout lx : new Layout[] {Layout.CONTIGUOUS, Layout.TRANSPOSED, Layout.STEPPED}) {
                    for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                        Pair x = sample(rnd, new int[] {cfg[0], cfg[1], cfg[2], cfg[3]}, lx, dt, -1, 1);
                        Pair w = sample(rnd, new int[] {cfg[4], cfg[1] / cfg[13], cfg[5], cfg[6]},
                                lx == Layout.CONTIGUOUS ? Layout.CONTIGUOUS : Layout.TRANSPOSED, dt, -1, 1);
                        Pair b = cfg[14] == 1 ? sample(rnd, new int[] {cfg[4]}, Layout.STEPPED, dt, -1, 1) : null;
                        Nd[] ref = conv2dRef(x.ref(), w.ref(), b == null ? null : b.ref(), geo, dt == DType.FLOAT32 ? 0x1.0p-24 : 0x1.0p-53);
                        Tensor out = x.t().conv2d(w.t(), b == null ? null : b.t(), new int[] {geo[0], geo[1]},
                                new int[] {geo[2], geo[3]}, new int[] {geo[4], geo[5]}, geo[6]);
                        String what = "conv2d " + Arrays.toString(cfg) + " " + lx + " " + dt;
                        assertEquals(dt, out.dtype(), what);
                        assertWithin(ref[0], out, ref[1], what);
                        if (cfg[0] == 1 || lx == Layout.CONTIGUOUS) {
                            // unbatched input [C, H, W] gives [O, OH, OW]
                            Tensor one = x.t().select(0, 0).conv2d(w.t(), b == null ? null : b.t(), new int[] {geo[0], geo[1]},
                                    new int[] {geo[2], geo[3]}, new int[] {geo[4], geo[5]}, geo[6]);
                            assertWithin(ref[0].select(0, 0), one, ref[1].select(0, 0), "unbatched " + what);
                        }
                    }
                }
            }
            // the short form: stride and padding on both axes
            Random r2 = new Random(72);
            Pair x = sample(r2, new int[] {1, 2, 6, 6}, Layout.CONTIGUOUS, -1, 1);
            Pair w = sample(r2, new int[] {3, 2, 3, 3}, Layout.CONTIGUOUS, -1, 1);
            Nd[] ref = conv2dRef(x.ref(), w.ref(), null, new int[] {2, 2, 1, 1, 1, 1, 1}, 0x1.0p-24);
            assertWithin(ref[0], x.t().conv2d(w.t(), null, 2, 1), ref[1], "conv2d(w, null, 2, 1)");
        });
    }

    /** n, c, l, o, k, stride, pad, dilation, groups, bias */
    static final int[][] CONV1D = {
        {2, 3, 17, 4, 3, 1, 0, 1, 1, 1},
        {1, 4, 33, 4, 5, 2, 2, 1, 4, 0},
        {3, 2, 9, 6, 3, 1, 2, 3, 2, 1},
        {1, 1, 1, 2, 1, 1, 0, 1, 1, 1},
    };

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void conv1dMatchesDirectLoop(Backend backend) {
        Random rnd = new Random(73);
        Backends.with(backend, () -> {
            for (int[] c : CONV1D) {
                for (Layout l : new Layout[] {Layout.CONTIGUOUS, Layout.TRANSPOSED}) {
                    Pair x = sample(rnd, new int[] {c[0], c[1], c[2]}, l, -1, 1);
                    Pair w = sample(rnd, new int[] {c[3], c[1] / c[8], c[4]}, l, -1, 1);
                    Pair b = c[9] == 1 ? sample(rnd, new int[] {c[3]}, Layout.CONTIGUOUS, -1, 1) : null;
                    int lo = (c[2] + 2 * c[6] - c[7] * (c[4] - 1) - 1) / c[5] + 1;
                    int cg = c[1] / c[8];
                    int og = c[3] / c[8];
                    Nd want = Nd.zeros(c[0], c[3], lo);
                    Nd tol = Nd.zeros(c[0], c[3], lo);
                    Nd.forEachIndex(want.shape, (idx, flat) -> {
                        int g = idx[1] / og;
                        double acc = b == null ? 0 : b.ref().data[idx[1]];
                        double abs = Math.abs(acc);
                        for (int ci = 0; ci < cg; ci++) {
                            for (int j = 0; j < c[4]; j++) {
                                int p = idx[2] * c[5] - c[6] + j * c[7];
                                if (p >= 0 && p < c[2]) {
                                    double t = x.ref().get(idx[0], g * cg + ci, p) * w.ref().get(idx[1], ci, j);
                                    acc += t;
                                    abs += Math.abs(t);
                                }
                            }
                        }
                        want.data[flat] = acc;
                        tol.data[flat] = 1e-6 + (cg * c[4] + 1) * 0x1.0p-24 * abs;
                    });
                    String what = "conv1d " + Arrays.toString(c) + " " + l;
                    Tensor out = x.t().conv1d(w.t(), b == null ? null : b.t(), c[5], c[6], c[7], c[8]);
                    assertWithin(want, out, tol, what);
                    Tensor one = x.t().select(0, 0).conv1d(w.t(), b == null ? null : b.t(), c[5], c[6], c[7], c[8]);
                    assertWithin(want.select(0, 0), one, tol.select(0, 0), "unbatched " + what);
                }
            }
        });
    }

    /** kh, kw, sh, sw, ph, pw, dh, dw */
    static final int[][] POOLS = {
        {2, 2, 2, 2, 0, 0, 1, 1}, {3, 3, 1, 1, 1, 1, 1, 1}, {3, 3, 2, 2, 1, 1, 1, 1}, {3, 2, 2, 1, 1, 1, 1, 1},
        {2, 3, 1, 2, 0, 1, 2, 1}, {1, 1, 1, 1, 0, 0, 1, 1}, {3, 3, 3, 3, 0, 0, 2, 2},
    };

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void poolingMatchesDefinition(Backend backend) {
        Random rnd = new Random(74);
        Backends.with(backend, () -> {
            for (int[] p : POOLS) {
                for (Layout l : new Layout[] {Layout.CONTIGUOUS, Layout.TRANSPOSED, Layout.STEPPED}) {
                    int h = 9;
                    int w = 11;
                    Pair x = sample(rnd, new int[] {2, 3, h, w}, l, -5, 5);
                    int oh = (h + 2 * p[4] - p[6] * (p[0] - 1) - 1) / p[2] + 1;
                    int ow = (w + 2 * p[5] - p[7] * (p[1] - 1) - 1) / p[3] + 1;
                    Nd max = Nd.zeros(2, 3, oh, ow);
                    Nd avgIn = Nd.zeros(2, 3, oh, ow);
                    Nd avgEx = Nd.zeros(2, 3, oh, ow);
                    Nd.forEachIndex(max.shape, (idx, flat) -> {
                        double m = Double.NEGATIVE_INFINITY;
                        double s = 0;
                        int cnt = 0;
                        for (int i = 0; i < p[0]; i++) {
                            for (int j = 0; j < p[1]; j++) {
                                int y = idx[2] * p[2] - p[4] + i * p[6];
                                int xx = idx[3] * p[3] - p[5] + j * p[7];
                                if (y >= 0 && y < h && xx >= 0 && xx < w) {
                                    double v = x.ref().get(idx[0], idx[1], y, xx);
                                    m = Math.max(m, v);
                                    s += v;
                                    cnt++;
                                }
                            }
                        }
                        max.data[flat] = m;
                        avgIn.data[flat] = s / (p[0] * p[1]);
                        avgEx.data[flat] = s / cnt;
                    });
                    int[] k = {p[0], p[1]};
                    int[] st = {p[2], p[3]};
                    int[] pd = {p[4], p[5]};
                    String what = Arrays.toString(p) + " " + l;
                    assertExact(max, x.t().maxPool2d(k, st, pd, new int[] {p[6], p[7]}), "maxPool2d " + what);
                    assertExact(max.select(0, 1), x.t().select(0, 1).maxPool2d(k, st, pd, new int[] {p[6], p[7]}),
                            "unbatched maxPool2d " + what);
                    if (p[6] == 1 && p[7] == 1) {
                        assertClose(avgIn, x.t().avgPool2d(k, st, pd, true), 1e-6, 1e-6, "avgPool2d countIncludePad " + what);
                        assertClose(avgEx, x.t().avgPool2d(k, st, pd, false), 1e-6, 1e-6, "avgPool2d excluding pad " + what);
                        assertClose(avgEx.select(0, 0), x.t().select(0, 0).avgPool2d(k, st, pd, false), 1e-6, 1e-6,
                                "unbatched avgPool2d " + what);
                    }
                }
            }
            Tensor q = Tensor.arange(0, 16, 1, DType.FLOAT32).reshape(1, 1, 4, 4);
            assertArrayEquals(new float[] {5, 7, 13, 15}, q.maxPool2d(2).toFloatArray());
            assertArrayEquals(new float[] {2.5f, 4.5f, 10.5f, 12.5f}, q.avgPool2d(2).toFloatArray());
            // integer max pooling keeps the dtype; padding never wins
            Tensor qi = Tensor.fromArray(new long[] {-5, -6, -7, -8}, 1, 1, 2, 2);
            Tensor mp = qi.maxPool2d(new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1});
            assertEquals(DType.INT64, mp.dtype());
            assertArrayEquals(new long[] {-5, -5, -6, -5, -5, -6, -7, -7, -8}, mp.toLongArray());
            // 1-D forms
            Tensor v = Tensor.fromArray(new float[] {1, 3, 2, 5, 4, 0, 7}, 1, 1, 7);
            // windows [-1, 1], [1, 3], [3, 5], [5, 7] (position -1 and 7 are padding)
            assertArrayEquals(new float[] {3, 5, 5, 7}, v.maxPool1d(3, 2, 1, 1).toFloatArray());
            // windows [-1, 1], [2, 4], [5, 7]
            assertArrayEquals(new float[] {(1 + 3) / 2f, (2 + 5 + 4) / 3f, (0 + 7) / 2f}, v.avgPool1d(3, 3, 1, false).toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {(1 + 3) / 3f, (2 + 5 + 4) / 3f, (0 + 7) / 3f}, v.avgPool1d(3, 3, 1, true).toFloatArray(), 1e-6f);
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void padConstantReflectReplicate(Backend backend) {
        Random rnd = new Random(75);
        int[][] constantPads = {{1, 2}, {0, 0}, {1, 2, 0, 3}, {-1, 2, 1, -2}, {-1, -1, -2, 0}, {2, 0, 0, 0, 1, 1}, {-3, -4}};
        int[][] edgePads = {{1, 2}, {2, 1, 1, 2}, {0, 3, 2, 0}, {1, 1, 1, 1, 1, 1}};
        Backends.with(backend, () -> {
            for (Layout l : Layout.values()) {
                Pair x = sample(rnd, new int[] {2, 3, 4, 7}, l, -5, 5);
                for (int[] pads : constantPads) {
                    assertExact(padRef(x.ref(), pads, PadMode.CONSTANT, 7.5), x.t().pad(pads, PadMode.CONSTANT, 7.5),
                            "constant pad " + Arrays.toString(pads) + " " + l);
                }
                for (PadMode mode : new PadMode[] {PadMode.REFLECT, PadMode.REPLICATE}) {
                    for (int[] pads : edgePads) {
                        assertExact(padRef(x.ref(), pads, mode, 0), x.t().pad(pads, mode, 0), mode + " pad " + Arrays.toString(pads) + " " + l);
                    }
                }
            }
            assertArrayEquals(new float[] {3, 2, 1, 2, 3, 2}, Tensor.fromArray(new float[] {1, 2, 3}).pad(new int[] {2, 1}, PadMode.REFLECT, 0).toFloatArray());
            assertArrayEquals(new float[] {1, 1, 1, 2, 3, 3}, Tensor.fromArray(new float[] {1, 2, 3}).pad(new int[] {2, 1}, PadMode.REPLICATE, 0).toFloatArray());
            assertArrayEquals(new float[] {2}, Tensor.fromArray(new float[] {1, 2, 3}).pad(new int[] {-1, -1}, PadMode.CONSTANT, 0).toFloatArray());
            assertArrayEquals(new int[] {0}, Tensor.fromArray(new float[] {1, 2, 3}).pad(new int[] {-1, -2}, PadMode.CONSTANT, 0).shape());
        });
    }

    static Nd padRef(Nd x, int[] pads, PadMode mode, double value) {
        int rank = x.rank();
        int[] os = x.shape.clone();
        int[] left = new int[rank];
        for (int i = 0; i < pads.length / 2; i++) {
            int d = rank - 1 - i;
            left[d] = pads[2 * i];
            os[d] += pads[2 * i] + pads[2 * i + 1];
        }
        Nd out = Nd.zeros(os);
        int[] src = new int[rank];
        Nd.forEachIndex(os, (idx, flat) -> {
            boolean inside = true;
            for (int d = 0; d < rank; d++) {
                int n = x.shape[d];
                int p = idx[d] - left[d];
                if (mode == PadMode.REFLECT) {
                    p = p < 0 ? -p : (p >= n ? 2 * (n - 1) - p : p);
                } else if (mode == PadMode.REPLICATE) {
                    p = Math.max(0, Math.min(n - 1, p));
                } else if (p < 0 || p >= n) {
                    inside = false;
                }
                src[d] = p;
            }
            out.data[flat] = inside ? x.get(src) : value;
        });
        return out;
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void errorsNameOpAndShapes(Backend backend) {
        Backends.with(backend, () -> {
            Tensor x = Tensor.zeros(1, 3, 5, 5);
            int[] one = {1, 1};
            int[] zero = {0, 0};
            assertThrowsWith(TensorShapeException.class, () -> x.conv2d(Tensor.zeros(4, 2, 3, 3), null, one, zero, one, 1),
                    "conv2d", "[4, 2, 3, 3]", "expects 2 input channels", "[1, 3, 5, 5]", "has 3");
            assertThrowsWith(TensorShapeException.class, () -> x.conv2d(Tensor.zeros(4, 1, 3, 3), null, one, zero, one, 2),
                    "conv2d", "groups = 2", "(3)", "(4)");
            assertThrowsWith(TensorShapeException.class, () -> x.conv2d(Tensor.zeros(4, 3, 7, 3), null, one, zero, one, 1),
                    "conv2d", "kernel of size 7", "height of size 5");
            assertThrowsWith(TensorShapeException.class, () -> x.conv2d(Tensor.zeros(4, 3, 3, 3), Tensor.zeros(3), one, zero, one, 1),
                    "conv2d", "bias", "[4]", "[3]");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.zeros(3, 5).conv2d(Tensor.zeros(4, 3, 3, 3), null, one, zero, one, 1),
                    "conv2d", "[N, C, H, W]", "[3, 5]");
            assertThrowsWith(IllegalArgumentException.class, () -> x.conv2d(Tensor.zeros(4, 3, 3, 3), null, new int[] {0, 1}, zero, one, 1),
                    "conv2d", "stride", "[0, 1]");
            assertThrowsWith(TensorTypeException.class, () -> Tensor.zeros(DType.INT64, 1, 3, 5, 5).conv2d(Tensor.zeros(4, 3, 3, 3), null, one, zero, one, 1),
                    "conv2d", "int64");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.zeros(1, 3, 5).conv1d(Tensor.zeros(2, 3, 6), null, 1, 0, 1, 1),
                    "conv1d", "kernel of size 6", "size 5");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.zeros(5).conv1d(Tensor.zeros(2, 3, 1), null, 1, 0, 1, 1),
                    "conv1d", "[N, C, L]", "[5]");
            assertThrowsWith(IllegalArgumentException.class, () -> x.maxPool2d(new int[] {2, 2}, new int[] {2, 2}, new int[] {2, 2}, one),
                    "maxPool2d", "padding", "half");
            assertThrowsWith(TensorShapeException.class, () -> x.maxPool2d(6), "maxPool2d", "kernel of size 6", "size 5");
            assertThrowsWith(TensorTypeException.class, () -> Tensor.zeros(DType.INT64, 1, 1, 4, 4).avgPool2d(2), "avgPool2d", "int64");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.zeros(3).pad(new int[] {1}, PadMode.CONSTANT, 0), "pad", "[1]");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.zeros(3).pad(new int[] {1, 1, 1, 1}, PadMode.CONSTANT, 0), "pad", "[3]");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.zeros(3).pad(new int[] {3, 0}, PadMode.REFLECT, 0), "pad", "reflect",
                    "size 3");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.zeros(3).pad(new int[] {-1, 0}, PadMode.REPLICATE, 0), "pad",
                    "non-negative");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.zeros(3).pad(new int[] {-2, -2}, PadMode.CONSTANT, 0), "pad",
                    "size 3");
        });
    }
}
