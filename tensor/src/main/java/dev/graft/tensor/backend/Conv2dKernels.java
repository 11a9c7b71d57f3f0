package dev.graft.tensor.backend;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.spi.Backend;
import dev.graft.tensor.spi.BinaryOp;
import dev.graft.tensor.spi.ReduceOp;

/**
 * Convolution (groups = 1) on CPU tensors one sample at a time: the im2col columns of one sample
 * live in a per-task scratch buffer that stays in L2 while the GEMM reads it (and, in backward,
 * while col2im folds it), instead of an [N, C*kh*kw, OH*OW] buffer for the whole batch (14 MB for
 * a 32-channel 3 x 3 layer on 14 x 14 at batch 64) that is zero-filled by the allocator, written,
 * then read back from memory. Samples are spread over {@link Parallel}'s pool. Every step is a
 * primitive of the selected backend, so the scalar backend still defines the results.
 *
 * <p>A 1 x 1 kernel with stride 1 and no padding needs no columns at all: a sample's [C, H * W]
 * input already is its column matrix, so forward is W [O, C] x[n], backward-data W^T g[n] written
 * straight into the input gradient, backward-weight g[n] x[n]^T (no im2col, no col2im, no scratch).
 *
 * <p>Depthwise convolutions (groups = C, each group with its own C_out / C_in output channels) go
 * to {@link dev.graft.tensor.backend.simd.DepthwiseConv2d}'s direct kernels instead: as a batched
 * GEMM each group is a [M, kh * kw] x [kh * kw, OH * OW] product, far too thin for a GEMM to pay.
 *
 * <p>The weight gradient is summed over samples in a fixed number of chunks (each chunk's samples in
 * order, then the chunks in order), independent of the thread count, so it is the same for any
 * number of threads.
 */
public final class Conv2dKernels {
    /** Chunks of the batch whose weight gradients are summed separately (a fixed count: determinism). */
    private static final int WEIGHT_CHUNKS = 8;

    private Conv2dKernels() {
    }

    /** The per-sample path applies: CPU tensors of one floating dtype, no groups or depthwise groups. */
    public static boolean applies(Tensor x, Tensor w, int groups) {
        return (groups == 1 || depthwise(x, w, groups)) && x.device().isCpu() && w.device().isCpu() && x.dtype() == w.dtype()
                && (x.dtype() == DType.FLOAT32 || x.dtype() == DType.FLOAT64);
    }

    /** One group per input channel (the direct kernels use the Vector API, so it must be present). */
    private static boolean depthwise(Tensor x, Tensor w, int groups) {
        return groups > 1 && groups == x.shape()[1] && w.shape()[1] == 1 && VectorInfo.available();
    }

    /**
     * Whether the in-place 1 x 1 path is on ({@code -Dgraft.conv.pointwise=true}). Off by default:
     * it saves the column copy (0.8 MB per sample on [64, 56, 56]) but JMH measured it 5-30 %
     * slower than im2col + GEMM on this machine in every paired run (bench/RESULTS.md), cause not
     * yet found.
     */
    static final String POINTWISE = "graft.conv.pointwise";

    /** A 1 x 1 window with stride 1 and no padding (dilation does not matter for one tap): the input is its own im2col. */
    private static boolean pointwise(int[] g) {
        return Boolean.getBoolean(POINTWISE) && g[0] == 1 && g[1] == 1 && g[2] == 1 && g[3] == 1 && g[4] == 0 && g[5] == 0;
    }

    /**
     * x [N, C, H, W], w [O, C, kh, kw], bias [O] or null, geometry {@code g} as in
     * {@link Backend#unfold2d}; returns [N, O, OH, OW]. Nothing is recorded.
     */
    public static Tensor forward(Tensor x, Tensor w, Tensor bias, int[] g, int oh, int ow, int groups) {
        if (groups != 1) {
            return dev.graft.tensor.backend.simd.DepthwiseConv2d.forward(x.contiguous(), w.contiguous(),
                    bias == null ? null : bias.contiguous(), g, oh, ow);
        }
        if (pointwise(g)) {
            return forwardPointwise(x.contiguous(), w, bias);
        }
        Backend be = Backends.current();
        DType dt = x.dtype();
        int n = x.shape()[0];
        int c = x.shape()[1];
        int o = w.shape()[0];
        int ck = c * g[0] * g[1];
        int l = oh * ow;
        Tensor out = Tensor.empty(dt, n, o, oh, ow);
        Tensor w3 = w.reshape(1, o, ck);
        Tensor b3 = bias == null ? null : bias.reshape(1, o, 1).expand(1, o, l);
        Parallel.forRange(n, 1, (from, to) -> {
            Tensor cols = Tensor.empty(dt, 1, c, g[0] * g[1], oh, ow);
            Tensor colsM = cols.reshape(1, ck, l);
            for (int s = from; s < to; s++) {
                be.unfold2d(x.narrow(0, s, 1), g, 0.0, cols);
                Tensor os = out.narrow(0, s, 1).reshape(1, o, l);
                be.matmul(w3, colsM, os);
                if (b3 != null) {
                    be.binary(BinaryOp.ADD, os, b3, os); // while the sample's output is still in cache
                }
            }
        });
        return out;
    }

    private static Tensor forwardPointwise(Tensor x, Tensor w, Tensor bias) {
        Backend be = Backends.current();
        int[] xs = x.shape();
        int c = xs[1];
        int o = w.shape()[0];
        int l = xs[2] * xs[3];
        Tensor out = Tensor.empty(x.dtype(), xs[0], o, xs[2], xs[3]);
        Tensor w3 = w.reshape(1, o, c);
        Tensor b3 = bias == null ? null : bias.reshape(1, o, 1).expand(1, o, l);
        Parallel.forRange(xs[0], 1, (from, to) -> {
            for (int s = from; s < to; s++) {
                Tensor os = out.narrow(0, s, 1).reshape(1, o, l);
                be.matmul(w3, x.narrow(0, s, 1).reshape(1, c, l), os);
                if (b3 != null) {
                    be.binary(BinaryOp.ADD, os, b3, os);
                }
            }
        });
        return out;
    }

    /**
     * Gradients of {@link #forward} with respect to x, w and the bias (null where not wanted), from
     * gOut [N, O, OH, OW]. The bias gradient (gOut summed over (0, 2, 3)) is summed per sample while
     * the sample's gradient is read for the GEMMs, in the same chunks as the weight gradient.
     */
    public static Tensor[] backward(Tensor x, Tensor w, Tensor gOut, int[] g, int groups, boolean wantX, boolean wantW,
                                    boolean wantB) {
        if (groups != 1) {
            return dev.graft.tensor.backend.simd.DepthwiseConv2d.backward(x.contiguous(), w.contiguous(), gOut.contiguous(), g,
                    wantX, wantW, wantB);
        }
        boolean direct = pointwise(g);
        Tensor xc = direct ? x.contiguous() : x;
        Backend be = Backends.current();
        DType dt = x.dtype();
        int[] xs = x.shape();
        int n = xs[0];
        int c = xs[1];
        int o = w.shape()[0];
        int oh = gOut.shape()[2];
        int ow = gOut.shape()[3];
        int ck = c * g[0] * g[1];
        int l = oh * ow;
        Tensor go = gOut.contiguous();
        Tensor gx = wantX ? (direct ? Tensor.empty(dt, xs) : Tensor.zeros(dt, xs)) : null;
        int chunks = Math.min(n, WEIGHT_CHUNKS);
        Tensor partial = wantW ? Tensor.empty(dt, chunks, o, ck) : null;
        Tensor partialB = wantB ? Tensor.empty(dt, chunks, o) : null;
        Tensor wt = w.reshape(1, o, ck).transpose(1, 2);
        Parallel.forRange(chunks, 1, (from, to) -> {
            Tensor cols = direct ? null : Tensor.empty(dt, 1, c, g[0] * g[1], oh, ow);
            Tensor colsM = direct ? null : cols.reshape(1, ck, l);
            Tensor tmp = wantW ? Tensor.empty(dt, 1, o, ck) : null;
            Tensor tmpB = wantB ? Tensor.empty(dt, o, 1) : null;
            for (int chunk = from; chunk < to; chunk++) {
                int s0 = (int) ((long) n * chunk / chunks);
                int s1 = (int) ((long) n * (chunk + 1) / chunks);
                Tensor acc = wantW ? partial.narrow(0, chunk, 1) : null;
                Tensor accB = wantB ? partialB.narrow(0, chunk, 1).reshape(o, 1) : null;
                for (int s = s0; s < s1; s++) {
                    Tensor gs = go.narrow(0, s, 1).reshape(1, o, l);
                    if (wantB) {
                        // into a fresh buffer: reduce writes its output from offset 0
                        be.reduce(ReduceOp.SUM, gs.reshape(o, l, 1), tmpB, null);
                        if (s == s0) {
                            be.copy(tmpB, accB);
                        } else {
                            be.binary(BinaryOp.ADD, accB, tmpB, accB);
                        }
                    }
                    if (wantW) {
                        Tensor xm;
                        if (direct) {
                            xm = xc.narrow(0, s, 1).reshape(1, c, l);
                        } else {
                            be.unfold2d(x.narrow(0, s, 1), g, 0.0, cols);
                            xm = colsM;
                        }
                        if (s == s0) {
                            be.matmul(gs, xm.transpose(1, 2), acc);
                        } else {
                            be.matmul(gs, xm.transpose(1, 2), tmp);
                            be.binary(BinaryOp.ADD, acc, tmp, acc);
                        }
                    }
                    if (wantX && direct) {
                        be.matmul(wt, gs, gx.narrow(0, s, 1).reshape(1, c, l));
                    } else if (wantX) {
                        be.matmul(wt, gs, colsM);
                        be.fold2d(cols, g, gx.narrow(0, s, 1));
                    }
                }
            }
        });
        Tensor gw = wantW ? partial.sum(new int[] {0}, false).reshape(w.shape()) : null;
        Tensor gb = wantB ? partialB.sum(new int[] {0}, false) : null;
        return new Tensor[] {gx, gw, gb};
    }
}
