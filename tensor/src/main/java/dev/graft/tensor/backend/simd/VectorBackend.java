package dev.graft.tensor.backend.simd;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Parallel;
import dev.graft.tensor.backend.StridedLoop;
import dev.graft.tensor.backend.scalar.ScalarBackend;
import dev.graft.tensor.spi.BinaryOp;
import dev.graft.tensor.spi.ReduceOp;
import dev.graft.tensor.spi.UnaryOp;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The pure-Java fast backend: Vector API loops for the hot float32 primitives (elementwise,
 * reductions, GEMM, im2col), typed loops without per-element dispatch for copies, and the
 * reference implementation for everything else (it extends {@link ScalarBackend}, so a primitive
 * without a fast path is still correct). Work is spread over {@link Parallel}'s pool.
 */
public final class VectorBackend extends ScalarBackend {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    @Override
    public String name() {
        return "java-simd";
    }

    @Override
    public String description() {
        return "Vector API (" + FloatKernels.S.vectorBitSize() + "-bit, float32 x " + FloatKernels.VL
                + "), GEMM micro-tile " + Sgemm.MR + "x" + Sgemm.NR + ", " + Parallel.threads() + " threads";
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
        boolean vec = sx == 1 && so == 1 && FloatKernels.vectorized(op);
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
            loop.forEach(3, (base, len) -> {
                for (int i = 0; i < len; i++) {
                    oa[base[2] + i * so] = (byte) op.apply(aa[base[0] + i * sa], ba[base[1] + i * sb]);
                }
            });
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
        if (x.dtype() != DType.FLOAT32 || !(op == ReduceOp.SUM || ((op == ReduceOp.MAX || op == ReduceOp.MIN)))) {
            super.reduce(op, x, out, indices);
            return;
        }
        int rows = x.shape()[0];
        int n = x.shape()[1];
        int[] st = x.strides();
        int xo = x.offset();
        float[] xa = (float[]) x.storage().array();
        float[] oa = (float[]) out.storage().array();
        long[] ia = indices == null ? null : (long[]) indices.storage().array();
        if (op == ReduceOp.SUM && (st[1] == 1 || n == 1)) {
            Parallel.forRange(rows, Math.max(1, (1 << 14) / Math.max(1, n)), (from, to) -> {
                for (int r = from; r < to; r++) {
                    oa[r] = FloatKernels.sum(xa, xo + r * st[0], n);
                }
            });
            return;
        }
        if (op == ReduceOp.SUM && st[0] == 1) {
            // rows are adjacent in memory: vectorise across rows (e.g. the batch sum of a bias gradient)
            int chunk = Math.max(FloatKernels.VL * 4, 256);
            int chunks = (rows + chunk - 1) / chunk;
            Parallel.forRange(chunks, Math.max(1, (1 << 14) / Math.max(1, n * chunk)), (from, to) -> {
                for (int c = from; c < to; c++) {
                    int r0 = c * chunk;
                    int len = Math.min(chunk, rows - r0);
                    FloatKernels.sumColumns(xa, xo + r0, st[1], len, n, oa, r0);
                }
            });
            return;
        }
        if (op == ReduceOp.SUM) {
            super.reduce(op, x, out, indices);
            return;
        }
        boolean isMax = op == ReduceOp.MAX;
        Parallel.forRange(rows, Math.max(1, (1 << 14) / Math.max(1, n)), (from, to) -> {
            for (int r = from; r < to; r++) {
                int base = xo + r * st[0];
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
                    dgemm(m, n, k, (double[]) a.storage().array(), off[0], ast[rank - 2], ast[rank - 1],
                            (double[]) b.storage().array(), off[1], bst[rank - 2], bst[rank - 1],
                            (double[]) out.storage().array(), off[2], ldc, !acrossBatches);
                }
            }
        };
        if (acrossBatches) {
            Parallel.forRange(batches, 1, body);
        } else {
            body.run(0, batches);
        }
    }

    /** Row-streaming double GEMM: each row of C accumulates a * (row of B) with vector FMAs; B is made row-contiguous first. */
    private static void dgemm(int m, int n, int k, double[] a, int ao, int ars, int acs, double[] b, int bo, int brs, int bcs,
                              double[] c, int co, int ldc, boolean parallel) {
        double[] bb;
        int bOff;
        int bRow;
        if (bcs == 1) {
            bb = b;
            bOff = bo;
            bRow = brs;
        } else {
            bb = new double[k * n];
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < n; j++) {
                    bb[p * n + j] = b[bo + p * brs + j * bcs];
                }
            }
            bOff = 0;
            bRow = n;
        }
        int vl = D.length();
        int ub = D.loopBound(n);
        Parallel.RangeBody rows = (from, to) -> {
            for (int i = from; i < to; i++) {
                int ci = co + i * ldc;
                java.util.Arrays.fill(c, ci, ci + n, 0.0);
                for (int p = 0; p < k; p++) {
                    double aip = a[ao + i * ars + p * acs];
                    int br = bOff + p * bRow;
                    DoubleVector av = DoubleVector.broadcast(D, aip);
                    int j = 0;
                    for (; j < ub; j += vl) {
                        av.fma(DoubleVector.fromArray(D, bb, br + j), DoubleVector.fromArray(D, c, ci + j)).intoArray(c, ci + j);
                    }
                    for (; j < n; j++) {
                        c[ci + j] = Math.fma(aip, bb[br + j], c[ci + j]);
                    }
                }
            }
        };
        if (parallel && 2L * m * n * k > (1 << 18)) {
            Parallel.forRange(m, 1, rows);
        } else {
            rows.run(0, m);
        }
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
                int o = plane * planeSize;
                for (int ki = 0; ki < kh; ki++) {
                    for (int kj = 0; kj < kw; kj++) {
                        // output columns whose input column lies inside [0, w)
                        int off = kj * dw - pw;
                        int xLo = off >= 0 ? 0 : Math.min(ow, (-off + sw - 1) / sw);
                        int xHi = w - 1 - off < 0 ? 0 : Math.min(ow, (w - 1 - off) / sw + 1);
                        xHi = Math.max(xHi, xLo);
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
                            if (sw == 1 && st[3] == 1) {
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

    @Override
    public void fold2d(Tensor cols, int[] g, Tensor out) {
        if (out.dtype() != DType.FLOAT32) {
            super.fold2d(cols, g, out);
            return;
        }
        Tensor c = cols.contiguous();
        int[] os = out.shape();
        int[] cs = c.shape();
        float[] src = (float[]) c.storage().array();
        float[] dst = (float[]) out.storage().array();
        int co = c.offset();
        int kh = g[0];
        int kw = g[1];
        int oh = cs[3];
        int ow = cs[4];
        int h = os[2];
        int w = os[3];
        int planes = os[0] * os[1];
        int planeSize = kh * kw * oh * ow;
        // each task owns whole output planes, so no two threads add into the same element
        Parallel.forRange(planes, Math.max(1, (1 << 14) / Math.max(1, planeSize)), (from, to) -> {
            for (int plane = from; plane < to; plane++) {
                int i = co + plane * planeSize;
                int outBase = plane * h * w;
                for (int ki = 0; ki < kh; ki++) {
                    for (int kj = 0; kj < kw; kj++) {
                        for (int y = 0; y < oh; y++) {
                            int iy = y * g[2] - g[4] + ki * g[6];
                            if (iy < 0 || iy >= h) {
                                i += ow;
                                continue;
                            }
                            int rowBase = outBase + iy * w;
                            for (int xx = 0; xx < ow; xx++, i++) {
                                int ix = xx * g[3] - g[5] + kj * g[7];
                                if (ix >= 0 && ix < w) {
                                    dst[rowBase + ix] += src[i];
                                }
                            }
                        }
                    }
                }
            }
        });
    }
}
