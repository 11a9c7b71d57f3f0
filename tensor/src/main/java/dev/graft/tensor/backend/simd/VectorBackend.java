package dev.graft.tensor.backend.simd;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Parallel;
import dev.graft.tensor.backend.StridedLoop;
import dev.graft.tensor.backend.scalar.ScalarBackend;
import dev.graft.tensor.spi.BinaryOp;
import dev.graft.tensor.spi.ReduceOp;
import dev.graft.tensor.spi.UnaryOp;

/**
 * The pure-Java fast backend: Vector API loops for the hot float32 primitives (elementwise,
 * reductions, GEMM, im2col), typed loops without per-element dispatch for copies, and the
 * reference implementation for everything else (it extends {@link ScalarBackend}, so a primitive
 * without a fast path is still correct). Work is spread over {@link Parallel}'s pool.
 */
public final class VectorBackend extends ScalarBackend {

    @Override
    public String name() {
        return "java-simd";
    }

    @Override
    public String description() {
        return "Vector API (" + FloatKernels.S.vectorBitSize() + "-bit, float32 x " + FloatKernels.VL
                + "), " + Sgemm.describe() + ", " + Parallel.threads() + " threads";
    }

    @Override
    public void unary(UnaryOp op, double p0, double p1, Tensor x, Tensor out) {
        if (x.dtype() != DType.FLOAT32) {
            super.unary(op, p0, p1, x, out);
            return;
        }
        float[] xa = (float[]) x.storage().array();
        float[] oa = (float[]) out.storage().array();
        StridedLoop loop = StridedLoop.of(x, out);
        int sx = loop.innerStride(0);
        int so = loop.innerStride(1);
        float f0 = (float) p0;
        float f1 = (float) p1;
        boolean vec = sx == 1 && so == 1 && FloatKernels.vectorized(op, f0);
        loop.forEach(2, (base, len) -> {
            if (vec) {
                FloatKernels.unary(op, f0, f1, xa, base[0], oa, base[1], len);
            } else {
                for (int i = 0; i < len; i++) {
                    oa[base[1] + i * so] = (float) op.apply(xa[base[0] + i * sx], p0, p1);
                }
            }
        });
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        if (a.dtype() != DType.FLOAT32) {
            super.binary(op, a, b, out);
            return;
        }
        float[] aa = (float[]) a.storage().array();
        float[] ba = (float[]) b.storage().array();
        StridedLoop loop = StridedLoop.of(a, b, out);
        int sa = loop.innerStride(0);
        int sb = loop.innerStride(1);
        int so = loop.innerStride(2);
        if (op.isPredicate()) {
            byte[] oa = (byte[]) out.storage().array();
            loop.forEach(3, (base, len) -> FloatKernels.compare(op, aa, base[0], sa, ba, base[1], sb, oa, base[2], so, len));
            return;
        }
        float[] oa = (float[]) out.storage().array();
        boolean vec = so == 1 && sa <= 1 && sb <= 1 && sa >= 0 && sb >= 0 && FloatKernels.arithmetic(op);
        loop.forEach(3, (base, len) -> {
            if (vec) {
                FloatKernels.binary(op, aa, base[0], sa, ba, base[1], sb, oa, base[2], len);
            } else {
                for (int i = 0; i < len; i++) {
                    oa[base[2] + i * so] = (float) op.apply(aa[base[0] + i * sa], ba[base[1] + i * sb]);
                }
            }
        });
    }

    @Override
    public void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        if (a.dtype() != DType.FLOAT32) {
            super.where(cond, a, b, out);
            return;
        }
        byte[] ca = (byte[]) cond.storage().array();
        float[] aa = (float[]) a.storage().array();
        float[] ba = (float[]) b.storage().array();
        float[] oa = (float[]) out.storage().array();
        StridedLoop loop = StridedLoop.of(cond, a, b, out);
        int sc = loop.innerStride(0);
        int sa = loop.innerStride(1);
        int sb = loop.innerStride(2);
        int so = loop.innerStride(3);
        loop.forEach(4, (base, len) -> {
            for (int i = 0; i < len; i++) {
                oa[base[3] + i * so] = ca[base[0] + i * sc] != 0 ? aa[base[1] + i * sa] : ba[base[2] + i * sb];
            }
        });
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        DType s = src.dtype();
        DType d = dst.dtype();
        StridedLoop loop = StridedLoop.of(src, dst);
        int s0 = loop.innerStride(0);
        int s1 = loop.innerStride(1);
        Object sa = src.storage().array();
        Object da = dst.storage().array();
        if (s == d && (s == DType.FLOAT32 || s == DType.FLOAT64 || s == DType.INT64 || s == DType.INT32
                || s == DType.UINT8 || s == DType.BOOL || s == DType.FLOAT16 || s == DType.BFLOAT16)) {
            if (s0 == 1 && s1 == 1) {
                loop.forEach(2, (base, len) -> System.arraycopy(sa, base[0], da, base[1], len));
                return;
            }
            if (s == DType.FLOAT32 && loop.rank() == 2 && s1 == 1 && loop.stride(0, 0) == 1 && loop.stride(1, 0) > 0) {
                transpose((float[]) sa, src.offset(), s0, (float[]) da, dst.offset(), loop.stride(1, 0), loop.size(0), loop.size(1));
                return;
            }
            if (s == DType.FLOAT32) {
                float[] x = (float[]) sa;
                float[] y = (float[]) da;
                loop.forEach(2, (base, len) -> {
                    for (int i = 0; i < len; i++) {
                        y[base[1] + i * s1] = x[base[0] + i * s0];
                    }
                });
                return;
            }
        }
        if (d == DType.FLOAT32 && (s == DType.BOOL || s == DType.UINT8 || s == DType.INT32 || s == DType.INT64)) {
            float[] y = (float[]) da;
            loop.forEach(2, (base, len) -> {
                switch (s) {
                    case BOOL -> {
                        byte[] x = (byte[]) sa;
                        for (int i = 0; i < len; i++) {
                            y[base[1] + i * s1] = x[base[0] + i * s0];
                        }
                    }
                    case UINT8 -> {
                        byte[] x = (byte[]) sa;
                        for (int i = 0; i < len; i++) {
                            y[base[1] + i * s1] = x[base[0] + i * s0] & 0xFF;
                        }
                    }
                    case INT32 -> {
                        int[] x = (int[]) sa;
                        for (int i = 0; i < len; i++) {
                            y[base[1] + i * s1] = x[base[0] + i * s0];
                        }
                    }
                    default -> {
                        long[] x = (long[]) sa;
                        for (int i = 0; i < len; i++) {
                            y[base[1] + i * s1] = x[base[0] + i * s0];
                        }
                    }
                }
            });
            return;
        }
        if (s == DType.FLOAT32 && d == DType.FLOAT64) {
            float[] x = (float[]) sa;
            double[] y = (double[]) da;
            loop.forEach(2, (base, len) -> {
                for (int i = 0; i < len; i++) {
                    y[base[1] + i * s1] = x[base[0] + i * s0];
                }
            });
            return;
        }
        if (s == DType.FLOAT64 && d == DType.FLOAT32) {
            double[] x = (double[]) sa;
            float[] y = (float[]) da;
            loop.forEach(2, (base, len) -> {
                for (int i = 0; i < len; i++) {
                    y[base[1] + i * s1] = (float) x[base[0] + i * s0];
                }
            });
            return;
        }
        super.copy(src, dst);
    }

    @Override
    public void fill(Tensor dst, double value) {
        if (dst.dtype() == DType.FLOAT32) {
            float[] y = (float[]) dst.storage().array();
            float v = (float) value;
            StridedLoop loop = StridedLoop.of(dst);
            int s = loop.innerStride(0);
            loop.forEach(1, (base, len) -> {
                if (s == 1) {
                    java.util.Arrays.fill(y, base[0], base[0] + len, v);
                } else {
                    for (int i = 0; i < len; i++) {
                        y[base[0] + i * s] = v;
                    }
                }
            });
            return;
        }
        super.fill(dst, value);
    }

    @Override
    public void reduce(ReduceOp op, Tensor x, Tensor out, Tensor indices) {
        if (x.dtype() != DType.FLOAT32 || op == ReduceOp.PROD) {
            super.reduce(op, x, out, indices);
            return;
        }
        int outer = x.shape()[0];
        int n = x.shape()[1];
        int inner = x.shape()[2];
        int[] st = x.strides();
        int xo = x.offset();
        float[] xa = (float[]) x.storage().array();
        float[] oa = (float[]) out.storage().array();
        long[] ia = indices == null ? null : (long[]) indices.storage().array();
        int grain = Math.max(1, (1 << 14) / Math.max(1, n * inner));
        if (op == ReduceOp.SUM && inner == 1 && (st[1] == 1 || n == 1)) {
            Parallel.forRange(outer, grain, (from, to) -> {
                for (int o = from; o < to; o++) {
                    oa[o] = FloatKernels.sum(xa, xo + o * st[0], n);
                }
            });
            return;
        }
        if (inner > 1 && st[2] == 1 && ia != null && op != ReduceOp.SUM) {
            // max/min with positions over a middle axis (max pooling windows): vector compare and blend
            Parallel.forRange(outer, grain, (from, to) -> {
                for (int o = from; o < to; o++) {
                    FloatKernels.argReduceMiddle(op == ReduceOp.MAX, xa, xo + o * st[0], st[1], n, inner, oa, ia, o * inner);
                }
            });
            return;
        }
        if (inner > 1 && st[2] == 1 && ia == null) {
            // the reduced axis is outside the unit-stride one: vectorise across inner
            Parallel.forRange(outer, grain, (from, to) -> {
                for (int o = from; o < to; o++) {
                    FloatKernels.reduceMiddle(op, xa, xo + o * st[0], st[1], n, inner, oa, o * inner);
                }
            });
            return;
        }
        if (inner == 1 && st[0] == 1 && ia == null) {
            // rows adjacent in memory, reduced axis strided (a transposed view): the same middle-axis
            // kernel with the rows as its unit-stride "inner" axis, in chunks of rows
            int chunk = Math.max(FloatKernels.VL * 4, 256);
            int chunks = (outer + chunk - 1) / chunk;
            Parallel.forRange(chunks, Math.max(1, (1 << 14) / Math.max(1, n * chunk)), (from, to) -> {
                for (int c = from; c < to; c++) {
                    int r0 = c * chunk;
                    FloatKernels.reduceMiddle(op, xa, xo + r0, st[1], n, Math.min(chunk, outer - r0), oa, r0);
                }
            });
            return;
        }
        boolean isMax = op == ReduceOp.MAX;
        boolean isSum = op == ReduceOp.SUM;
        Parallel.forRange(outer, grain, (from, to) -> {
            for (int o = from; o < to; o++) {
                for (int in = 0; in < inner; in++) {
                    int base = xo + o * st[0] + in * st[2];
                    int r = o * inner + in;
                    if (isSum) {
                        float acc = 0;
                        for (int j = 0; j < n; j++) {
                            acc += xa[base + j * st[1]];
                        }
                        oa[r] = acc;
                        continue;
                    }
                    int best = 0;
                    float bv = xa[base];
                    for (int j = 1; j < n && !Float.isNaN(bv); j++) {
                        float v = xa[base + j * st[1]];
                        if (Float.isNaN(v) || (isMax ? v > bv : v < bv)) {
                            bv = v;
                            best = j;
                        }
                    }
                    oa[r] = bv;
                    if (ia != null) {
                        ia[r] = best;
                    }
                }
            }
        });
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        DType dt = a.dtype();
        if (dt != DType.FLOAT32 && dt != DType.FLOAT64) {
            super.matmul(a, b, out);
            return;
        }
        int rank = a.dim();
        int[] as = a.shape();
        int[] ast = a.strides();
        int[] bst = b.strides();
        int m = as[rank - 2];
        int k = as[rank - 1];
        int n = b.shape()[rank - 1];
        int ldc = out.strides()[rank - 2];
        int batches = 1;
        for (int i = 0; i < rank - 2; i++) {
            batches *= as[i];
        }
        int batchRank = rank - 2;
        long work = 2L * m * n * k;
        boolean acrossBatches = batches >= Parallel.threads() && batches > 1 && work < (1L << 24);
        Parallel.RangeBody body = (from, to) -> {
            int[] off = new int[3];
            for (int bi = from; bi < to; bi++) {
                batchOffsets(bi, as, batchRank, a, b, out, off);
                if (dt == DType.FLOAT32) {
                    Sgemm.gemm(m, n, k, (float[]) a.storage().array(), off[0], ast[rank - 2], ast[rank - 1],
                            (float[]) b.storage().array(), off[1], bst[rank - 2], bst[rank - 1],
                            (float[]) out.storage().array(), off[2], ldc, !acrossBatches);
                } else {
                    Dgemm.gemm(m, n, k, 1.0, (double[]) a.storage().array(), off[0], ast[rank - 2], ast[rank - 1],
                            (double[]) b.storage().array(), off[1], bst[rank - 2], bst[rank - 1],
                            0.0, (double[]) out.storage().array(), off[2], ldc, !acrossBatches);
                }
            }
        };
        if (acrossBatches) {
            Parallel.forRange(batches, 1, body);
        } else {
            body.run(0, batches);
        }
    }

    /**
     * The float32 GEMM kernel on raw arrays: C(i,j) = alpha * sum_p A(i,p) B(p,j) + beta * C(i,j) with
     * A(i,p) = a[ao + i*ars + p*acs], B(p,j) = b[bo + p*brs + j*bcs], C(i,j) = c[co + i*ldc + j].
     * Arguments are not validated beyond Java's array bounds; {@code dev.graft.tensor.Gemm} is the
     * checked entry point. {@code parallel} allows the kernel to use {@link Parallel}'s pool.
     */
    public static void sgemm(int m, int n, int k, float alpha, float[] a, int ao, int ars, int acs, float[] b, int bo,
                             int brs, int bcs, float beta, float[] c, int co, int ldc, boolean parallel) {
        Sgemm.gemm(m, n, k, alpha, a, ao, ars, acs, b, bo, brs, bcs, beta, c, co, ldc, parallel);
    }

    /** The float64 twin of {@link #sgemm}, on {@link Dgemm}. */
    public static void dgemm(int m, int n, int k, double alpha, double[] a, int ao, int ars, int acs, double[] b, int bo,
                             int brs, int bcs, double beta, double[] c, int co, int ldc, boolean parallel) {
        Dgemm.gemm(m, n, k, alpha, a, ao, ars, acs, b, bo, brs, bcs, beta, c, co, ldc, parallel);
    }

    @Override
    public void unfold2d(Tensor x, int[] g, double padValue, Tensor out) {
        if (x.dtype() != DType.FLOAT32) {
            super.unfold2d(x, g, padValue, out);
            return;
        }
        int[] xs = x.shape();
        int[] st = x.strides();
        int[] os = out.shape();
        float[] src = (float[]) x.storage().array();
        float[] dst = (float[]) out.storage().array();
        int xo = x.offset();
        int kh = g[0];
        int kw = g[1];
        int sh = g[2];
        int sw = g[3];
        int ph = g[4];
        int pw = g[5];
        int dh = g[6];
        int dw = g[7];
        int oh = os[3];
        int ow = os[4];
        int h = xs[2];
        int w = xs[3];
        float pad = (float) padValue;
        int planes = xs[0] * xs[1];
        int planeSize = kh * kw * oh * ow;
        Parallel.forRange(planes, Math.max(1, (1 << 14) / Math.max(1, planeSize)), (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int nIdx = plane / xs[1];
                int cIdx = plane % xs[1];
                int in0 = xo + nIdx * st[0] + cIdx * st[1];
                int o = out.offset() + plane * planeSize;
                for (int ki = 0; ki < kh; ki++) {
                    for (int kj = 0; kj < kw; kj++) {
                        int off = kj * dw - pw;
                        int xLo = firstInside(off, sw, ow);
                        int xHi = endInside(off, sw, w, ow);
                        if (sh == 1 && sw == 1 && st[3] == 1 && st[2] == ow && w == ow && xHi > xLo) {
                            sameSizeTap(src, in0, dst, o, ki * dh - ph, off, xLo, xHi, h, oh, ow, pad);
                            o += oh * ow;
                            continue;
                        }
                        for (int y = 0; y < oh; y++, o += ow) {
                            int iy = y * sh - ph + ki * dh;
                            if (iy < 0 || iy >= h) {
                                java.util.Arrays.fill(dst, o, o + ow, pad);
                                continue;
                            }
                            int row = in0 + iy * st[2];
                            for (int xx = 0; xx < xLo; xx++) {
                                dst[o + xx] = pad;
                            }
                            if (xHi == xLo) {
                                // every column of this kernel tap lies in the padding (padding wider than the output)
                            } else if (sw == 1 && st[3] == 1) {
                                System.arraycopy(src, row + xLo + off, dst, o + xLo, xHi - xLo);
                            } else {
                                for (int xx = xLo; xx < xHi; xx++) {
                                    dst[o + xx] = src[row + (xx * sw + off) * st[3]];
                                }
                            }
                            for (int xx = xHi; xx < ow; xx++) {
                                dst[o + xx] = pad;
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * One kernel tap of a stride-1 im2col whose output rows are as long as the input rows (a "same"
     * convolution): output row y is input row y + dy shifted by off, so consecutive output rows are
     * consecutive input rows and the tap is a single copy instead of one short copy per row (rows of
     * 14 or 28 floats made the call overhead the cost). The columns that wrapped around from the
     * neighbouring row, and the rows outside the input, are then set to the pad value.
     */
    private static void sameSizeTap(float[] src, int in0, float[] dst, int o, int dy, int off, int xLo, int xHi, int h, int oh,
                                    int ow, float pad) {
        int yLo = Math.min(oh, Math.max(0, -dy));
        int yHi = Math.max(yLo, Math.min(oh, h - dy));
        java.util.Arrays.fill(dst, o, o + yLo * ow, pad);
        java.util.Arrays.fill(dst, o + yHi * ow, o + oh * ow, pad);
        if (yHi == yLo) {
            return;
        }
        System.arraycopy(src, in0 + (yLo + dy) * ow + xLo + off, dst, o + yLo * ow + xLo, (yHi - yLo - 1) * ow + xHi - xLo);
        for (int y = yLo; y < yHi; y++) {
            int r = o + y * ow;
            for (int xx = 0; xx < xLo; xx++) {
                dst[r + xx] = pad;
            }
            for (int xx = xHi; xx < ow; xx++) {
                dst[r + xx] = pad;
            }
        }
    }

    /** The first output column of a kernel tap (input column xx * sw + off) whose input column is >= 0. */
    private static int firstInside(int off, int sw, int ow) {
        return off >= 0 ? 0 : Math.min(ow, (-off + sw - 1) / sw);
    }

    /** One past the last output column of a kernel tap whose input column is < w (never below firstInside). */
    private static int endInside(int off, int sw, int w, int ow) {
        return Math.max(firstInside(off, sw, ow), w - 1 - off < 0 ? 0 : Math.min(ow, (w - 1 - off) / sw + 1));
    }

    @Override
    public void fold2d(Tensor cols, int[] g, Tensor out) {
        if (out.dtype() != DType.FLOAT32) {
            super.fold2d(cols, g, out);
            return;
        }
        Tensor c = cols.contiguous();
        float[] src = (float[]) c.storage().array();
        float[] dst = (float[]) out.storage().array();
        int co = c.offset();
        int oo = out.offset();
        int oh = c.shape()[3];
        int ow = c.shape()[4];
        int h = out.shape()[2];
        int w = out.shape()[3];
        int sw = g[3];
        int planes = out.shape()[0] * out.shape()[1];
        int planeSize = g[0] * g[1] * oh * ow;
        // a stride-1 "same" convolution: each kernel tap is one contiguous run of the plane (see
        // sameSizeTap), added under a mask that skips the columns wrapping around from the next row
        boolean same = g[2] == 1 && sw == 1 && ow == w;
        long[][] inside = new long[g[1]][];
        for (int kj = 0; same && kj < g[1]; kj++) {
            int off = kj * g[7] - g[5];
            int xLo = firstInside(off, sw, ow);
            int xHi = endInside(off, sw, w, ow);
            // lane bits of each vector step of the run: set where the column lies inside the input
            inside[kj] = new long[(oh * ow + FloatKernels.VL - 1) / FloatKernels.VL];
            for (int e = 0; e < inside[kj].length * FloatKernels.VL; e++) {
                int xx = (xLo + e) % ow;
                if (xx >= xLo && xx < xHi) {
                    inside[kj][e / FloatKernels.VL] |= 1L << (e % FloatKernels.VL);
                }
            }
        }
        // each task owns whole output planes, so no two threads add into the same element
        Parallel.forRange(planes, Math.max(1, (1 << 14) / Math.max(1, planeSize)), (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int i = co + plane * planeSize;
                int outBase = oo + plane * h * w;
                for (int ki = 0; ki < g[0]; ki++) {
                    for (int kj = 0; kj < g[1]; kj++) {
                        int off = kj * g[7] - g[5];
                        int xLo = firstInside(off, sw, ow);
                        int xHi = endInside(off, sw, w, ow);
                        if (same) {
                            int dy = ki * g[6] - g[4];
                            int yLo = Math.min(oh, Math.max(0, -dy));
                            int yHi = Math.max(yLo, Math.min(oh, h - dy));
                            if (yHi > yLo && xHi > xLo) {
                                FloatKernels.addIntoWhere(src, i + yLo * ow + xLo, dst, outBase + (yLo + dy) * w + xLo + off,
                                        (yHi - yLo - 1) * ow + xHi - xLo, inside[kj]);
                            }
                            i += oh * ow;
                            continue;
                        }
                        for (int y = 0; y < oh; y++, i += ow) {
                            int iy = y * g[2] - g[4] + ki * g[6];
                            if (iy < 0 || iy >= h) {
                                continue;
                            }
                            int row = outBase + iy * w + off;
                            if (sw == 1) {
                                FloatKernels.addInto(src, i + xLo, dst, row + xLo, xHi - xLo);
                            } else {
                                for (int xx = xLo; xx < xHi; xx++) {
                                    dst[row + xx * sw] += src[i + xx];
                                }
                            }
                        }
                    }
                }
            }
        });
    }

    @Override
    public void gather(Tensor x, int dim, Tensor index, Tensor out) {
        if (x.dtype() != DType.FLOAT32) {
            super.gather(x, dim, index, out);
            return;
        }
        float[] xa = (float[]) x.storage().array();
        float[] oa = (float[]) out.storage().array();
        indexedRows(index, dim, x.strides(), x.offset(), null, 0, (xOff, dimStride, idx, io, oOff, len, sx) -> {
            for (int j = 0; j < len; j++) {
                oa[oOff + j] = xa[xOff + j * sx + (int) idx[io + j] * dimStride];
            }
        });
    }

    @Override
    public void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        if (dst.dtype() != DType.FLOAT32) {
            super.scatterAdd(dst, dim, index, src);
            return;
        }
        float[] da = (float[]) dst.storage().array();
        float[] sa = (float[]) src.storage().array();
        int[] sst = src.strides();
        int srcLast = sst.length == 0 ? 0 : sst[sst.length - 1];
        // serial: two index entries may name the same destination element
        indexedRows(index, dim, dst.strides(), dst.offset(), sst, src.offset(), (dOff, dimStride, idx, io, sOff, len, sd) -> {
            for (int j = 0; j < len; j++) {
                da[dOff + j * sd + (int) idx[io + j] * dimStride] += sa[sOff + j * srcLast];
            }
        });
    }

    /** Called per row of the index tensor (its last dimension). */
    private interface IndexedRow {
        void run(int targetBase, int dimStride, long[] idx, int idxOff, int otherBase, int len, int targetLastStride);
    }

    /**
     * Walks the rows of a gather/scatter index: targetBase is the offset in the indexed tensor
     * without the indexed dimension's contribution, otherBase the offset in the dense partner
     * (gather's contiguous output when otherStrides is null, scatter's strided source otherwise).
     */
    private static void indexedRows(Tensor index, int dim, int[] tst, int tOff, int[] otherStrides, int oOff, IndexedRow body) {
        Tensor ic = index.contiguous();
        long[] idx = (long[]) ic.storage().array();
        int[] is = index.shape();
        int rank = is.length;
        if (rank == 0 || index.numel() == 0) {
            if (rank == 0) {
                body.run(tOff, 0, idx, ic.offset(), oOff, 1, 0);
            }
            return;
        }
        int len = is[rank - 1];
        int rows = index.numel() / len;
        int dimStride = tst[dim];
        int lastStride = dim == rank - 1 ? 0 : tst[rank - 1];
        int[] pos = new int[rank];
        for (int row = 0; row < rows; row++) {
            int r = row;
            for (int d = rank - 2; d >= 0; d--) {
                pos[d] = r % is[d];
                r /= is[d];
            }
            int t = tOff;
            int o = otherStrides == null ? row * len : oOff;
            for (int d = 0; d < rank - 1; d++) {
                if (d != dim) {
                    t += pos[d] * tst[d];
                }
                if (otherStrides != null) {
                    o += pos[d] * otherStrides[d];
                }
            }
            body.run(t, dimStride, idx, ic.offset() + row * len, o, len, lastStride);
        }
    }


    /**
     * y[yo + i*ldy + j] = x[xo + i + j*ldx] for i &lt; rows, j &lt; cols: a transposing copy (the
     * gradient of a transposed weight, contiguous() of a transposed view), in 32 x 32 blocks so both
     * sides stay in cache.
     */
    private static void transpose(float[] x, int xo, int ldx, float[] y, int yo, int ldy, int rows, int cols) {
        final int blk = 32;
        int rowBlocks = (rows + blk - 1) / blk;
        Parallel.forRange(rowBlocks, Math.max(1, (1 << 14) / Math.max(1, blk * cols)), (from, to) -> {
            for (int rb = from; rb < to; rb++) {
                int i0 = rb * blk;
                int i1 = Math.min(rows, i0 + blk);
                for (int j0 = 0; j0 < cols; j0 += blk) {
                    int j1 = Math.min(cols, j0 + blk);
                    for (int i = i0; i < i1; i++) {
                        int yi = yo + i * ldy;
                        int xi = xo + i;
                        for (int j = j0; j < j1; j++) {
                            y[yi + j] = x[xi + j * ldx];
                        }
                    }
                }
            }
        });
    }

}
