package dev.graft.tensor.backend.simd;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Depthwise convolution (groups = C_in, output channel {@code oc} reads input channel
 * {@code oc / M} with M = C_out / C_in) on contiguous CPU tensors, straight from the input: per
 * output row, each of the kh * kw taps is one scaled row added to the output row (a vector FMA
 * over the columns the tap reaches when the stride is 1, a scalar loop otherwise). As im2col +
 * GEMM the same layer writes and reads a [kh * kw, OH * OW] column buffer per channel to feed a
 * GEMM with M rows of output: all memory traffic and no reuse.
 *
 * <p>float32 uses the Vector API; float64 runs the same loops in scalar code. Every output, input
 * gradient and weight gradient element is owned by one task and summed in a fixed order (taps in
 * (ky, kx) order; the weight gradient over samples, then rows, in order, vector lanes reduced at
 * the end of each tap), so results do not depend on the thread count.
 */
public final class DepthwiseConv2d {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();

    private DepthwiseConv2d() {
    }

    /**
     * The geometry of one call: g = (kh, kw, sh, sw, ph, pw, dh, dw), the plane sizes, and per tap
     * column kx the output columns it reaches inside the input: from {@code lo[kx]}, {@code len[kx]}
     * of them, the first reading input column {@code in[kx]} (computed once: two integer divisions
     * per row and tap cost as much as the row's FMAs).
     */
    private record Geo(int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int h, int w, int oh, int ow, int[] lo,
                       int[] len, int[] in) {
        static Geo of(int[] g, int h, int w, int oh, int ow) {
            int[] lo = new int[g[1]];
            int[] len = new int[g[1]];
            int[] in = new int[g[1]];
            for (int kx = 0; kx < g[1]; kx++) {
                int off = kx * g[7] - g[5]; // output column ox reads input column ox * sw + off
                lo[kx] = Math.min(ow, Math.max(0, -Math.floorDiv(off, g[3])));
                len[kx] = Math.max(0, Math.min(ow, Math.floorDiv(w - 1 - off, g[3]) + 1) - lo[kx]);
                in[kx] = lo[kx] * g[3] + off;
            }
            return new Geo(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], h, w, oh, ow, lo, len, in);
        }

        /** Input row of output row oy and tap row ky, or -1 when it falls in the padding. */
        int inRow(int oy, int ky) {
            int iy = oy * sh - ph + ky * dh;
            return iy >= 0 && iy < h ? iy : -1;
        }

        /**
         * For output row oy of the planes at xb (input) and ob (output), each tap (ky * kw + kx) that
         * reaches the input: its first input element, first output element and the span's length.
         */
        void rowTaps(int oy, int xb, int ob, Span span) {
            for (int ky = 0; ky < kh; ky++) {
                int iy = inRow(oy, ky);
                for (int kx = 0; kx < kw && iy >= 0; kx++) {
                    if (len[kx] > 0) {
                        span.run(ky * kw + kx, xb + iy * w + in[kx], ob + oy * ow + lo[kx], len[kx]);
                    }
                }
            }
        }

        /** For one tap, its span in every output row of every sample, samples then rows in order. */
        void tapRows(int tap, int n, int xb, int xStride, int ob, int oStride, Span span) {
            int ky = tap / kw;
            int kx = tap % kw;
            for (int s = 0; s < n && len[kx] > 0; s++) {
                for (int oy = 0; oy < oh; oy++) {
                    int iy = inRow(oy, ky);
                    if (iy >= 0) {
                        span.run(tap, xb + s * xStride + iy * w + in[kx], ob + s * oStride + oy * ow + lo[kx], len[kx]);
                    }
                }
            }
        }
    }

    /** One run of a tap along a row: the input's first element, the output's, and how many. */
    @FunctionalInterface
    private interface Span {
        void run(int tap, int xi, int oi, int len);
    }

    /** x [N, C, H, W], w [C * M, 1, kh, kw], bias [C * M] or null, all contiguous; returns [N, C * M, OH, OW]. */
    public static Tensor forward(Tensor x, Tensor w, Tensor bias, int[] g, int oh, int ow) {
        int[] xs = x.shape();
        int n = xs[0];
        int c = xs[1];
        int o = w.shape()[0];
        int m = o / c;
        Geo geo = Geo.of(g, xs[2], xs[3], oh, ow);
        int kk = geo.kh * geo.kw;
        int plane = xs[2] * xs[3];
        int oplane = oh * ow;
        Tensor out = Tensor.empty(x.dtype(), n, o, oh, ow);
        int xo = x.offset();
        int wo = w.offset();
        int bo = bias == null ? 0 : bias.offset();
        int grain = Math.max(1, (1 << 14) / Math.max(1, oplane * kk));
        Object xa = x.storage().array();
        Object wa = w.storage().array();
        Object ba = bias == null ? null : bias.storage().array();
        Object oa = out.storage().array();
        Parallel.forRange(n * o, grain, (from, to) -> {
            for (int p = from; p < to; p++) {
                int oc = p % o;
                int xb = xo + (p / o * c + oc / m) * plane;
                if (xa instanceof float[] xf) {
                    forwardPlane(geo, xf, xb, (float[]) wa, wo + oc * kk, ba == null ? 0f : ((float[]) ba)[bo + oc], (float[]) oa,
                            p * oplane);
                } else {
                    forwardPlane(geo, (double[]) xa, xb, (double[]) wa, wo + oc * kk, ba == null ? 0.0 : ((double[]) ba)[bo + oc],
                            (double[]) oa, p * oplane);
                }
            }
        });
        return out;
    }

    private static void forwardPlane(Geo g, float[] x, int xb, float[] w, int wb, float bias, float[] out, int ob) {
        if (g.sh == 1 && g.sw == 1) {
            correlate(x, xb, g.h, g.w, g.ph, g.pw, g, w, wb, false, bias, false, out, ob, g.oh, g.ow);
            return;
        }
        for (int oy = 0; oy < g.oh; oy++) {
            java.util.Arrays.fill(out, ob + oy * g.ow, ob + (oy + 1) * g.ow, bias);
            g.rowTaps(oy, xb, ob, (tap, xi, yi, len) -> axpy(w[wb + tap], x, xi, g.sw, out, yi, 1, len));
        }
    }

    private static void forwardPlane(Geo g, double[] x, int xb, double[] w, int wb, double bias, double[] out, int ob) {
        for (int oy = 0; oy < g.oh; oy++) {
            java.util.Arrays.fill(out, ob + oy * g.ow, ob + (oy + 1) * g.ow, bias);
            g.rowTaps(oy, xb, ob, (tap, xi, yi, len) -> axpy(w[wb + tap], x, xi, g.sw, out, yi, 1, len));
        }
    }

    /**
     * out plane [oh, ow] = bias (or, with {@code add}, +=) the stride-1 correlation of the plane
     * [h, w] at src[sb] zero-padded by (ph, pw) with g's kh x kw taps and dilation; tap t weighs
     * w[wb + t], or with {@code flip} w[wb + kh kw - 1 - t] (the transposed convolution: the input
     * gradient). The plane is copied once into a zero-bordered scratch with a vector of slack per
     * row, so every tap of a vector of output columns is an unmasked load; the vector sums its taps
     * in a register and is stored once (adding each tap to the output row in memory instead was
     * three times slower: a load and a store per tap, and rows of 56 end in a masked store).
     */
    private static void correlate(float[] src, int sb, int h, int w, int ph, int pw, Geo g, float[] wt, int wb, boolean flip,
                                  float bias, boolean add, float[] out, int ob, int oh, int ow) {
        int wp = w + 2 * pw + VL;
        float[] pad = padded(src, sb, h, w, ph, pw, new float[(h + 2 * ph) * wp]);
        int kk = g.kh * g.kw;
        for (int oy = 0; oy < oh; oy++) {
            int orow = ob + oy * ow;
            for (int c0 = 0; c0 < ow; c0 += VL) {
                VectorMask<Float> in = S.indexInRange(c0, ow);
                FloatVector acc = add ? FloatVector.fromArray(S, out, orow + c0, in) : FloatVector.broadcast(S, bias);
                for (int ky = 0; ky < g.kh; ky++) {
                    int prow = (oy + ky * g.dh) * wp + c0;
                    for (int kx = 0; kx < g.kw; kx++) {
                        int t = ky * g.kw + kx;
                        float a = wt[wb + (flip ? kk - 1 - t : t)];
                        acc = FloatVector.fromArray(S, pad, prow + kx * g.dw).fma(FloatVector.broadcast(S, a), acc);
                    }
                }
                acc.intoArray(out, orow + c0, in);
            }
        }
    }

    /** The plane [h, w] at src[sb] copied into pad (zero elsewhere) with rows of w + 2 pw + VL, from row ph, column pw. */
    private static float[] padded(float[] src, int sb, int h, int w, int ph, int pw, float[] pad) {
        int wp = w + 2 * pw + VL;
        for (int iy = 0; iy < h; iy++) {
            System.arraycopy(src, sb + iy * w, pad, (iy + ph) * wp + pw, w);
        }
        return pad;
    }

    /** y[yi + i * ys] += a * x[xi + i * xs] for i in [0, len): vector FMAs when both strides are 1. */
    private static void axpy(float a, float[] x, int xi, int xs, float[] y, int yi, int ys, int len) {
        int i = 0;
        if (xs == 1 && ys == 1) {
            FloatVector av = FloatVector.broadcast(S, a);
            for (int end = S.loopBound(len); i < end; i += VL) {
                FloatVector.fromArray(S, x, xi + i).fma(av, FloatVector.fromArray(S, y, yi + i)).intoArray(y, yi + i);
            }
            if (i < len) {
                // a masked vector for the rest of the row (rows of 56 are 3 x 16 + 8: a scalar tail was a third of the time)
                VectorMask<Float> rest = S.indexInRange(i, len);
                FloatVector.fromArray(S, x, xi + i, rest).fma(av, FloatVector.fromArray(S, y, yi + i, rest)).intoArray(y, yi + i, rest);
                return;
            }
        }
        for (; i < len; i++) {
            y[yi + i * ys] = Math.fma(a, x[xi + i * xs], y[yi + i * ys]);
        }
    }

    private static void axpy(double a, double[] x, int xi, int xs, double[] y, int yi, int ys, int len) {
        for (int i = 0; i < len; i++) {
            y[yi + i * ys] = Math.fma(a, x[xi + i * xs], y[yi + i * ys]);
        }
    }

    /**
     * Gradients of {@link #forward} for x, w and the bias (null where not wanted), from gOut
     * [N, C * M, OH, OW]; all contiguous.
     */
    public static Tensor[] backward(Tensor x, Tensor w, Tensor gOut, int[] g, boolean wantX, boolean wantW, boolean wantB) {
        int[] xs = x.shape();
        int n = xs[0];
        int c = xs[1];
        int o = w.shape()[0];
        int m = o / c;
        int oh = gOut.shape()[2];
        int ow = gOut.shape()[3];
        Geo geo = Geo.of(g, xs[2], xs[3], oh, ow);
        int kk = geo.kh * geo.kw;
        int plane = xs[2] * xs[3];
        int oplane = oh * ow;
        DType dt = x.dtype();
        Tensor gx = wantX ? Tensor.zeros(dt, xs) : null;
        Tensor gw = wantW ? Tensor.empty(dt, w.shape()) : null;
        int xo = x.offset();
        int wo = w.offset();
        int go = gOut.offset();
        int grain = Math.max(1, (1 << 14) / Math.max(1, oplane * kk * m));
        boolean f32 = dt == DType.FLOAT32;
        if (wantX) {
            // one task per input plane: it owns gx[s, ch] and adds the M output planes that read it
            Parallel.forRange(n * c, grain, (from, to) -> {
                for (int p = from; p < to; p++) {
                    int s = p / c;
                    int ch = p % c;
                    for (int j = 0; j < m; j++) {
                        int oc = ch * m + j;
                        int gb = go + (s * o + oc) * oplane;
                        if (f32) {
                            dataPlane(geo, (float[]) gOut.storage().array(), gb, (float[]) w.storage().array(), wo + oc * kk,
                                    (float[]) gx.storage().array(), p * plane);
                        } else {
                            dataPlane(geo, (double[]) gOut.storage().array(), gb, (double[]) w.storage().array(), wo + oc * kk,
                                    (double[]) gx.storage().array(), p * plane);
                        }
                    }
                }
            });
        }
        if (wantW) {
            // one task per output channel: it owns that channel's kh * kw weights, summed over the batch in order
            Parallel.forRange(o, Math.max(1, (1 << 14) / Math.max(1, n * oplane * kk)), (from, to) -> {
                for (int oc = from; oc < to; oc++) {
                    int xb = xo + (oc / m) * plane;
                    int gb = go + oc * oplane;
                    if (f32) {
                        weightChannel(geo, n, c * plane, o * oplane, (float[]) x.storage().array(), xb,
                                (float[]) gOut.storage().array(), gb, (float[]) gw.storage().array(), oc * kk);
                    } else {
                        weightChannel(geo, n, c * plane, o * oplane, (double[]) x.storage().array(), xb,
                                (double[]) gOut.storage().array(), gb, (double[]) gw.storage().array(), oc * kk);
                    }
                }
            });
        }
        Tensor gb = wantB ? gOut.sum(new int[] {0, 2, 3}, false) : null;
        return new Tensor[] {gx, gw, gb};
    }

    /** gx plane += the transposed convolution of one output-gradient plane with its taps. */
    private static void dataPlane(Geo g, float[] go, int gb, float[] w, int wb, float[] gx, int xb) {
        int qh = g.dh * (g.kh - 1) - g.ph;
        int qw = g.dw * (g.kw - 1) - g.pw;
        if (g.sh == 1 && g.sw == 1 && qh >= 0 && qw >= 0) {
            // stride 1: the input gradient is the output gradient padded by d (k - 1) - p, correlated with the flipped taps
            correlate(go, gb, g.oh, g.ow, qh, qw, g, w, wb, true, 0f, true, gx, xb, g.h, g.w);
            return;
        }
        for (int oy = 0; oy < g.oh; oy++) {
            g.rowTaps(oy, xb, gb, (tap, xi, gi, len) -> axpy(w[wb + tap], go, gi, 1, gx, xi, g.sw, len));
        }
    }

    private static void dataPlane(Geo g, double[] go, int gb, double[] w, int wb, double[] gx, int xb) {
        for (int oy = 0; oy < g.oh; oy++) {
            g.rowTaps(oy, xb, gb, (tap, xi, gi, len) -> axpy(w[wb + tap], go, gi, 1, gx, xi, g.sw, len));
        }
    }

    /**
     * gw[oc, tap] = sum over samples and output positions of gOut * the input the tap read: per tap,
     * vector partial sums (in {@code acc}, lanes then the scalar tail) run over every sample and row, reduced once.
     */
    private static void weightChannel(Geo g, int n, int xStride, int gStride, float[] x, int xb, float[] go, int gb, float[] gw,
                                      int wb) {
        if (g.sh == 1 && g.sw == 1) {
            weightChannelPadded(g, n, xStride, gStride, x, xb, go, gb, gw, wb);
            return;
        }
        float[] acc = new float[VL + 1];
        for (int tap = 0; tap < g.kh * g.kw; tap++) {
            java.util.Arrays.fill(acc, 0f);
            g.tapRows(tap, n, xb, xStride, gb, gStride, (t, xi, gi, len) -> dotInto(acc, go, gi, x, xi, g.sw, len));
            gw[wb + tap] = sumLanes(acc, 0) + acc[VL];
        }
    }

    /**
     * The stride-1 weight gradient from a zero-bordered copy of each sample's input plane: every
     * tap's products are unmasked loads but the row's last vector, whose lanes past the output are
     * masked in both operands (an input beyond the row may be infinite: 0 * inf would be NaN).
     * Partial sums per tap live in {@code acc} across samples and are reduced once, in tap order.
     */
    private static void weightChannelPadded(Geo g, int n, int xStride, int gStride, float[] x, int xb, float[] go, int gb,
                                            float[] gw, int wb) {
        int kk = g.kh * g.kw;
        int wp = g.w + 2 * g.pw + VL;
        float[] pad = new float[(g.h + 2 * g.ph) * wp];
        float[] acc = new float[kk * VL];
        for (int s = 0; s < n; s++) {
            padded(x, xb + s * xStride, g.h, g.w, g.ph, g.pw, pad);
            int gs = gb + s * gStride;
            for (int t = 0; t < kk; t++) {
                int shift = (t / g.kw) * g.dh * wp + (t % g.kw) * g.dw;
                FloatVector a = FloatVector.fromArray(S, acc, t * VL);
                for (int oy = 0; oy < g.oh; oy++) {
                    int grow = gs + oy * g.ow;
                    int prow = oy * wp + shift;
                    int c0 = 0;
                    for (int end = S.loopBound(g.ow); c0 < end; c0 += VL) {
                        a = FloatVector.fromArray(S, go, grow + c0).fma(FloatVector.fromArray(S, pad, prow + c0), a);
                    }
                    if (c0 < g.ow) {
                        VectorMask<Float> in = S.indexInRange(c0, g.ow);
                        a = FloatVector.fromArray(S, go, grow + c0, in).fma(FloatVector.fromArray(S, pad, prow + c0, in), a);
                    }
                }
                a.intoArray(acc, t * VL);
            }
        }
        for (int t = 0; t < kk; t++) {
            gw[wb + t] = sumLanes(acc, t * VL);
        }
    }

    /**
     * The VL lanes at acc[from] summed in lane order: reduceLanes(ADD) leaves the order open, and
     * its compiled and interpreted forms differ in the last bit (a result would change once the JIT
     * compiles the kernel).
     */
    private static float sumLanes(float[] acc, int from) {
        float sum = 0f;
        for (int i = 0; i < VL; i++) {
            sum += acc[from + i];
        }
        return sum;
    }

    /** acc[0..VL) += lane sums of g[gi + i] * x[xi + i] (stride 1), acc[VL] += the rest. */
    private static void dotInto(float[] acc, float[] g, int gi, float[] x, int xi, int xs, int len) {
        int i = 0;
        if (xs == 1) {
            FloatVector a = FloatVector.fromArray(S, acc, 0);
            for (int end = S.loopBound(len); i < end; i += VL) {
                a = FloatVector.fromArray(S, g, gi + i).fma(FloatVector.fromArray(S, x, xi + i), a);
            }
            if (i < len) {
                VectorMask<Float> rest = S.indexInRange(i, len); // masked-off lanes load 0 and add nothing
                a = FloatVector.fromArray(S, g, gi + i, rest).fma(FloatVector.fromArray(S, x, xi + i, rest), a);
                i = len;
            }
            a.intoArray(acc, 0);
        }
        float tail = acc[VL];
        for (; i < len; i++) {
            tail = Math.fma(g[gi + i], x[xi + i * xs], tail);
        }
        acc[VL] = tail;
    }

    private static void weightChannel(Geo g, int n, int xStride, int gStride, double[] x, int xb, double[] go, int gb,
                                      double[] gw, int wb) {
        double[] acc = new double[1];
        for (int tap = 0; tap < g.kh * g.kw; tap++) {
            acc[0] = 0;
            g.tapRows(tap, n, xb, xStride, gb, gStride, (t, xi, gi, len) -> {
                for (int i = 0; i < len; i++) {
                    acc[0] = Math.fma(go[gi + i], x[xi + i * g.sw], acc[0]);
                }
            });
            gw[wb + tap] = acc[0];
        }
    }
}
