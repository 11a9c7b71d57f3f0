package dev.graft.tensor.backend.simd;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Parallel;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Max pooling with a 2 x 2 window, stride 2, no padding and no dilation (the pooling of most CNNs)
 * on float32 CPU tensors, straight from the input: no im2col buffer of four times the output, no
 * window-position tensor walked by a scatter in backward. A full vector of one input row holds the
 * even and odd columns interleaved; read as 64-bit lanes, the low halves are the even columns and
 * the high halves the odd ones, so two narrowing conversions de-interleave a row without a shuffle
 * (and two widenings interleave the gradient back in backward).
 *
 * <p>Exact (a selection), with the general path's rules: positions 0..3 in the order (0,0), (0,1),
 * (1,0), (1,1); a later value replaces the best only when strictly greater or NaN, and nothing
 * replaces a NaN. Positions are written as uint8 (the general path's are int64): they are
 * the largest stream the kernel writes, and only {@link #backward} reads them.
 */
public final class MaxPool2x2 {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Long> LS = VectorSpecies.of(long.class, S.vectorShape());
    private static final VectorShape HALF = VectorShape.forBitSize(Math.max(64, S.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> IH = VectorSpecies.of(int.class, HALF);
    private static final VectorSpecies<Float> FH = VectorSpecies.of(float.class, HALF);
    /** Window positions, one byte per output. */
    private static final VectorSpecies<Byte> BQ = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, S.vectorBitSize() / 8)));
    /** Outputs per vector step: one per 64-bit lane of a full vector. */
    private static final int HL = LS.length();
    private static final long LOW32 = 0xFFFF_FFFFL;

    private MaxPool2x2() {
    }

    /** True when {@code g} (kh, kw, sh, sw, ph, pw, dh, dw) is the 2 x 2, stride 2 window and the vector shapes line up. */
    public static boolean applies(DType dtype, int[] g) {
        return dtype == DType.FLOAT32 && g[0] == 2 && g[1] == 2 && g[2] == 2 && g[3] == 2 && g[4] == 0 && g[5] == 0 && g[6] == 1
                && g[7] == 1 && IH.length() == HL && FH.length() == HL && BQ.length() == HL;
    }

    /** x: contiguous [N, C, H, W]; out (float32) and positions (uint8): contiguous [N, C, H / 2, W / 2]. */
    public static void forward(Tensor x, Tensor out, Tensor positions) {
        int[] xs = x.shape();
        int h = xs[2];
        int w = xs[3];
        int oh = h / 2;
        int ow = w / 2;
        float[] xa = (float[]) x.storage().array();
        float[] oa = (float[]) out.storage().array();
        byte[] pa = (byte[]) positions.storage().array();
        int xo = x.offset();
        int oo = out.offset();
        int po = positions.offset();
        Parallel.forRange(xs[0] * xs[1], Math.max(1, (1 << 14) / Math.max(1, h * w)), (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                for (int y = 0; y < oh; y++) {
                    int r0 = xo + plane * h * w + 2 * y * w;
                    int ob = plane * oh * ow + y * ow;
                    forwardRow(xa, r0, r0 + w, ow, oa, oo + ob, pa, po + ob);
                }
            }
        });
    }

    private static void forwardRow(float[] x, int r0, int r1, int ow, float[] out, int oo, byte[] pos, int po) {
        for (int i = 0; i < ow; i += HL) {
            // the last outputs of a row (all of them when ow < HL, e.g. 14 -> 7) use masked loads and stores
            boolean full = i + HL <= ow;
            int rem = ow - i;
            VectorMask<Float> in = S.indexInRange(0, 2 * rem);
            LongVector a = (full ? FloatVector.fromArray(S, x, r0 + 2 * i) : FloatVector.fromArray(S, x, r0 + 2 * i, in)).reinterpretAsLongs();
            LongVector b = (full ? FloatVector.fromArray(S, x, r1 + 2 * i) : FloatVector.fromArray(S, x, r1 + 2 * i, in)).reinterpretAsLongs();
            FloatVector best = low(a);
            IntVector at = IntVector.zero(IH);
            FloatVector v = high(a);
            VectorMask<Float> m = better(v, best);
            best = best.blend(v, m);
            at = at.blend(1, m.cast(IH));
            v = low(b);
            m = better(v, best);
            best = best.blend(v, m);
            at = at.blend(2, m.cast(IH));
            v = high(b);
            m = better(v, best);
            best = best.blend(v, m);
            at = at.blend(3, m.cast(IH));
            ByteVector at8 = (ByteVector) at.convertShape(VectorOperators.I2B, BQ, 0);
            if (full) {
                best.intoArray(out, oo + i);
                at8.intoArray(pos, po + i);
            } else {
                best.intoArray(out, oo + i, FH.indexInRange(0, rem));
                at8.intoArray(pos, po + i, BQ.indexInRange(0, rem));
            }
        }
    }

    /** The even columns: the low 32 bits of each 64-bit lane. */
    private static FloatVector low(LongVector v) {
        return ((IntVector) v.convertShape(VectorOperators.L2I, IH, 0)).reinterpretAsFloats();
    }

    /** The odd columns: the high 32 bits of each 64-bit lane. */
    private static FloatVector high(LongVector v) {
        return ((IntVector) v.lanewise(VectorOperators.LSHR, 32).convertShape(VectorOperators.L2I, IH, 0)).reinterpretAsFloats();
    }

    /** v replaces best: v > best, or v is NaN, unless best is NaN already (NaN tests as x != x). */
    private static VectorMask<Float> better(FloatVector v, FloatVector best) {
        return v.compare(VectorOperators.GT, best).or(v.compare(VectorOperators.NE, v)).andNot(best.compare(VectorOperators.NE, best));
    }

    /**
     * The gradient of {@link #forward}: g and positions contiguous [N, C, OH, OW]; returns a fresh
     * contiguous [N, C, H, W] holding each g at its window's selected position and 0 elsewhere
     * (windows do not overlap, so every input element receives at most one value).
     */
    public static Tensor backward(Tensor g, Tensor positions, int[] xShape) {
        Tensor gx = Tensor.zeros(DType.FLOAT32, xShape);
        int h = xShape[2];
        int w = xShape[3];
        int oh = h / 2;
        int ow = w / 2;
        float[] ga = (float[]) g.storage().array();
        byte[] pa = (byte[]) positions.storage().array();
        float[] xa = (float[]) gx.storage().array();
        int go = g.offset();
        int po = positions.offset();
        Parallel.forRange(xShape[0] * xShape[1], Math.max(1, (1 << 14) / Math.max(1, h * w)), (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                for (int y = 0; y < oh; y++) {
                    int r0 = plane * h * w + 2 * y * w;
                    int ob = plane * oh * ow + y * ow;
                    backwardRow(ga, go + ob, pa, po + ob, ow, xa, r0, r0 + w);
                }
            }
        });
        return gx;
    }

    private static void backwardRow(float[] g, int go, byte[] pos, int po, int ow, float[] gx, int r0, int r1) {
        FloatVector zero = FloatVector.zero(FH);
        for (int i = 0; i < ow; i += HL) {
            boolean full = i + HL <= ow;
            int rem = ow - i;
            FloatVector gv = full ? FloatVector.fromArray(FH, g, go + i) : FloatVector.fromArray(FH, g, go + i, FH.indexInRange(0, rem));
            ByteVector bp = full ? ByteVector.fromArray(BQ, pos, po + i) : ByteVector.fromArray(BQ, pos, po + i, BQ.indexInRange(0, rem));
            IntVector at = (IntVector) bp.convertShape(VectorOperators.B2I, IH, 0);
            FloatVector r0v = interleave(zero.blend(gv, at.compare(VectorOperators.EQ, 0).cast(FH)),
                    zero.blend(gv, at.compare(VectorOperators.EQ, 1).cast(FH)));
            FloatVector r1v = interleave(zero.blend(gv, at.compare(VectorOperators.EQ, 2).cast(FH)),
                    zero.blend(gv, at.compare(VectorOperators.EQ, 3).cast(FH)));
            if (full) {
                r0v.intoArray(gx, r0 + 2 * i);
                r1v.intoArray(gx, r1 + 2 * i);
            } else {
                VectorMask<Float> out = S.indexInRange(0, 2 * rem);
                r0v.intoArray(gx, r0 + 2 * i, out);
                r1v.intoArray(gx, r1 + 2 * i, out);
            }
        }
    }

    /** even in the low 32 bits and odd in the high 32 bits of each 64-bit lane: [e0, o0, e1, o1, ...]. */
    private static FloatVector interleave(FloatVector even, FloatVector odd) {
        LongVector lo = ((LongVector) even.reinterpretAsInts().convertShape(VectorOperators.I2L, LS, 0)).and(LOW32);
        LongVector hi = ((LongVector) odd.reinterpretAsInts().convertShape(VectorOperators.I2L, LS, 0)).lanewise(VectorOperators.LSHL, 32);
        return lo.or(hi).reinterpretAsFloats();
    }
}
