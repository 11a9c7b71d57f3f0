package dev.graft.tensor.backend.scalar;

import dev.graft.tensor.DType;
import dev.graft.tensor.Storage;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.StridedLoop;
import dev.graft.tensor.spi.Backend;
import dev.graft.tensor.spi.BinaryOp;
import dev.graft.tensor.spi.ReduceOp;
import dev.graft.tensor.spi.UnaryOp;

import java.util.Arrays;
import java.util.Comparator;

/**
 * The reference backend: one element at a time, floating math in float64 (rounded once to the
 * output dtype), integer math exact in 64 bits. It is the executable specification of the SPI;
 * it is written for obviousness, not speed, and every faster backend is tested against it.
 */
public class ScalarBackend implements Backend {
    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public String description() {
        return "reference: one element at a time, float64 accumulation, single-threaded";
    }

    @Override
    public void unary(UnaryOp op, double p0, double p1, Tensor x, Tensor out) {
        Storage xs = x.storage();
        Storage os = out.storage();
        boolean integral = x.dtype().isIntegral();
        StridedLoop loop = StridedLoop.of(x, out);
        int sx = loop.innerStride(0);
        int so = loop.innerStride(1);
        loop.forEachSerial(2, (base, len) -> {
            for (int i = 0; i < len; i++) {
                int xi = base[0] + i * sx;
                int oi = base[1] + i * so;
                if (integral) {
                    os.setLong(oi, op.applyLong(xs.getLong(xi), p0, p1));
                } else {
                    os.setDouble(oi, op.apply(xs.getDouble(xi), p0, p1));
                }
            }
        });
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        Storage as = a.storage();
        Storage bs = b.storage();
        Storage os = out.storage();
        boolean integral = a.dtype().isIntegral();
        StridedLoop loop = StridedLoop.of(a, b, out);
        int sa = loop.innerStride(0);
        int sb = loop.innerStride(1);
        int so = loop.innerStride(2);
        loop.forEachSerial(3, (base, len) -> {
            for (int i = 0; i < len; i++) {
                int ai = base[0] + i * sa;
                int bi = base[1] + i * sb;
                int oi = base[2] + i * so;
                if (integral) {
                    os.setLong(oi, op.applyLong(as.getLong(ai), bs.getLong(bi)));
                } else {
                    os.setDouble(oi, op.apply(as.getDouble(ai), bs.getDouble(bi)));
                }
            }
        });
    }

    @Override
    public void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        Storage cs = cond.storage();
        Storage as = a.storage();
        Storage bs = b.storage();
        Storage os = out.storage();
        boolean integral = a.dtype().isIntegral();
        StridedLoop loop = StridedLoop.of(cond, a, b, out);
        int sc = loop.innerStride(0);
        int sa = loop.innerStride(1);
        int sb = loop.innerStride(2);
        int so = loop.innerStride(3);
        loop.forEachSerial(4, (base, len) -> {
            for (int i = 0; i < len; i++) {
                boolean c = cs.getLong(base[0] + i * sc) != 0;
                int src = c ? base[1] + i * sa : base[2] + i * sb;
                Storage s = c ? as : bs;
                if (integral) {
                    os.setLong(base[3] + i * so, s.getLong(src));
                } else {
                    os.setDouble(base[3] + i * so, s.getDouble(src));
                }
            }
        });
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        Storage ss = src.storage();
        Storage ds = dst.storage();
        boolean integral = src.dtype().isIntegral() && dst.dtype().isIntegral();
        StridedLoop loop = StridedLoop.of(src, dst);
        int s0 = loop.innerStride(0);
        int s1 = loop.innerStride(1);
        loop.forEachSerial(2, (base, len) -> {
            for (int i = 0; i < len; i++) {
                if (integral) {
                    ds.setLong(base[1] + i * s1, ss.getLong(base[0] + i * s0));
                } else {
                    ds.setDouble(base[1] + i * s1, ss.getDouble(base[0] + i * s0));
                }
            }
        });
    }

    @Override
    public void fill(Tensor dst, double value) {
        Storage ds = dst.storage();
        StridedLoop loop = StridedLoop.of(dst);
        int s = loop.innerStride(0);
        loop.forEachSerial(1, (base, len) -> {
            for (int i = 0; i < len; i++) {
                ds.setDouble(base[0] + i * s, value);
            }
        });
    }

    @Override
    public void reduce(ReduceOp op, Tensor x, Tensor out, Tensor indices) {
        int outer = x.shape()[0];
        int n = x.shape()[1];
        int inner = x.shape()[2];
        int[] st = x.strides();
        Storage xs = x.storage();
        Storage os = out.storage();
        boolean integral = x.dtype().isIntegral();
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int base = x.offset() + o * st[0] + in * st[2];
                int r = o * inner + in;
                switch (op) {
                    case SUM, PROD -> {
                        if (integral) {
                            long acc = op == ReduceOp.SUM ? 0 : 1;
                            for (int j = 0; j < n; j++) {
                                long v = xs.getLong(base + j * st[1]);
                                acc = op == ReduceOp.SUM ? acc + v : acc * v;
                            }
                            os.setLong(r, acc);
                        } else {
                            double acc = op == ReduceOp.SUM ? 0 : 1;
                            for (int j = 0; j < n; j++) {
                                double v = xs.getDouble(base + j * st[1]);
                                acc = op == ReduceOp.SUM ? acc + v : acc * v;
                            }
                            os.setDouble(r, acc);
                        }
                    }
                    case MAX, MIN -> {
                        int best = 0;
                        if (integral) {
                            // compared as long: int64 values above 2^53 differ where their doubles do not
                            long bl = xs.getLong(base);
                            for (int j = 1; j < n; j++) {
                                long v = xs.getLong(base + j * st[1]);
                                if (op == ReduceOp.MAX ? v > bl : v < bl) {
                                    bl = v;
                                    best = j;
                                }
                            }
                            os.setLong(r, bl);
                        } else {
                            double bv = xs.getDouble(base);
                            for (int j = 1; j < n && !Double.isNaN(bv); j++) {
                                double v = xs.getDouble(base + j * st[1]);
                                if (Double.isNaN(v) || (op == ReduceOp.MAX ? v > bv : v < bv)) {
                                    bv = v;
                                    best = j;
                                }
                            }
                            os.setDouble(r, bv);
                        }
                        if (indices != null) {
                            indices.storage().setLong(r, best);
                        }
                    }
                }
            }
        }
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        int rank = a.dim();
        int[] as = a.shape();
        int[] ast = a.strides();
        int[] bst = b.strides();
        int[] ost = out.strides();
        int m = as[rank - 2];
        int k = as[rank - 1];
        int n = b.shape()[rank - 1];
        Storage sa = a.storage();
        Storage sb = b.storage();
        Storage so = out.storage();
        int batches = 1;
        for (int i = 0; i < rank - 2; i++) {
            batches *= as[i];
        }
        int[] off = new int[3];
        for (int bi = 0; bi < batches; bi++) {
            batchOffsets(bi, as, rank - 2, a, b, out, off);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double acc = 0;
                    for (int p = 0; p < k; p++) {
                        acc += sa.getDouble(off[0] + i * ast[rank - 2] + p * ast[rank - 1])
                                * sb.getDouble(off[1] + p * bst[rank - 2] + j * bst[rank - 1]);
                    }
                    so.setDouble(off[2] + i * ost[rank - 2] + j * ost[rank - 1], acc);
                }
            }
        }
    }

    /** Start offsets of batch {@code bi} (row-major over the first {@code batchRank} dims) in a, b and out. */
    protected static void batchOffsets(int bi, int[] shape, int batchRank, Tensor a, Tensor b, Tensor out, int[] off) {
        int[] sa = a.strides();
        int[] sb = b.strides();
        int[] so = out.strides();
        off[0] = a.offset();
        off[1] = b.offset();
        off[2] = out.offset();
        int r = bi;
        for (int d = batchRank - 1; d >= 0; d--) {
            int idx = r % shape[d];
            r /= shape[d];
            off[0] += idx * sa[d];
            off[1] += idx * sb[d];
            off[2] += idx * so[d];
        }
    }

    @Override
    public void unfold2d(Tensor x, int[] g, double padValue, Tensor out) {
        int[] xs = x.shape();
        int[] st = x.strides();
        int[] os = out.shape();
        Storage src = x.storage();
        Storage dst = out.storage();
        int kh = g[0];
        int kw = g[1];
        int oh = os[3];
        int ow = os[4];
        // integers are moved as long, so int64 values above 2^53 survive (max pooling of indices)
        boolean integral = x.dtype().isIntegral();
        long padLong = (long) padValue;
        int o = out.offset();
        for (int n = 0; n < xs[0]; n++) {
            for (int c = 0; c < xs[1]; c++) {
                for (int ki = 0; ki < kh; ki++) {
                    for (int kj = 0; kj < kw; kj++) {
                        for (int y = 0; y < oh; y++) {
                            int iy = y * g[2] - g[4] + ki * g[6];
                            for (int xx = 0; xx < ow; xx++) {
                                int ix = xx * g[3] - g[5] + kj * g[7];
                                boolean inside = iy >= 0 && iy < xs[2] && ix >= 0 && ix < xs[3];
                                int at = x.offset() + n * st[0] + c * st[1] + iy * st[2] + ix * st[3];
                                if (integral) {
                                    dst.setLong(o++, inside ? src.getLong(at) : padLong);
                                } else {
                                    dst.setDouble(o++, inside ? src.getDouble(at) : padValue);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public void fold2d(Tensor cols, int[] g, Tensor out) {
        int[] os = out.shape();
        int[] cs = cols.shape();
        Tensor c = cols.contiguous();
        Storage src = c.storage();
        Storage dst = out.storage();
        int kh = g[0];
        int kw = g[1];
        int i = c.offset();
        for (int n = 0; n < os[0]; n++) {
            for (int ch = 0; ch < os[1]; ch++) {
                for (int ki = 0; ki < kh; ki++) {
                    for (int kj = 0; kj < kw; kj++) {
                        for (int y = 0; y < cs[3]; y++) {
                            int iy = y * g[2] - g[4] + ki * g[6];
                            for (int xx = 0; xx < cs[4]; xx++, i++) {
                                int ix = xx * g[3] - g[5] + kj * g[7];
                                if (iy >= 0 && iy < os[2] && ix >= 0 && ix < os[3]) {
                                    int p = out.offset() + ((n * os[1] + ch) * os[2] + iy) * os[3] + ix;
                                    dst.setDouble(p, dst.getDouble(p) + src.getDouble(i));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    public void gather(Tensor x, int dim, Tensor index, Tensor out) {
        int[] is = index.shape();
        int[] xst = x.strides();
        Storage xs = x.storage();
        Storage os = out.storage();
        Tensor idx = index.contiguous();
        int total = out.numel();
        int[] pos = new int[is.length];
        for (int i = 0; i < total; i++) {
            unravel(i, is, pos);
            int src = x.offset();
            for (int d = 0; d < is.length; d++) {
                int coord = d == dim ? (int) idx.storage().getLong(idx.offset() + i) : pos[d];
                src += coord * xst[d];
            }
            if (x.dtype().isIntegral()) {
                os.setLong(i, xs.getLong(src));
            } else {
                os.setDouble(i, xs.getDouble(src));
            }
        }
    }

    @Override
    public void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        int[] is = index.shape();
        int[] dstStrides = dst.strides();
        int[] srcStrides = src.strides();
        Tensor idx = index.contiguous();
        Storage ds = dst.storage();
        Storage ss = src.storage();
        int total = index.numel();
        int[] pos = new int[is.length];
        for (int i = 0; i < total; i++) {
            unravel(i, is, pos);
            int d0 = dst.offset();
            int s0 = src.offset();
            for (int d = 0; d < is.length; d++) {
                int coord = d == dim ? (int) idx.storage().getLong(idx.offset() + i) : pos[d];
                d0 += coord * dstStrides[d];
                s0 += pos[d] * srcStrides[d];
            }
            if (dst.dtype().isIntegral()) {
                ds.setLong(d0, ds.getLong(d0) + ss.getLong(s0));
            } else {
                ds.setDouble(d0, ds.getDouble(d0) + ss.getDouble(s0));
            }
        }
    }

    @Override
    public void indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        Tensor idx = index.contiguous();
        int n = idx.numel();
        for (int k = 0; k < n; k++) {
            int row = (int) idx.storage().getLong(idx.offset() + k);
            copy(x.detach().select(dim, row), out.detach().select(dim, k));
        }
    }

    @Override
    public void sort(Tensor x, boolean descending, Tensor values, Tensor indices) {
        int rows = x.shape()[0];
        int n = x.shape()[1];
        int[] st = x.strides();
        Storage xs = x.storage();
        boolean integral = x.dtype().isIntegral();
        for (int r = 0; r < rows; r++) {
            int base = x.offset() + r * st[0];
            Integer[] order = new Integer[n];
            double[] dv = new double[n];
            long[] lv = new long[n];
            for (int j = 0; j < n; j++) {
                order[j] = j;
                if (integral) {
                    lv[j] = xs.getLong(base + j * st[1]);
                } else {
                    dv[j] = xs.getDouble(base + j * st[1]);
                }
            }
            // Double.compare orders NaN above +inf, which is where torch puts it; Arrays.sort on objects is stable
            Comparator<Integer> cmp = integral
                    ? (p, q) -> Long.compare(lv[p], lv[q])
                    : (p, q) -> Double.compare(dv[p], dv[q]);
            Arrays.sort(order, descending ? (p, q) -> cmp.compare(q, p) : cmp);
            for (int j = 0; j < n; j++) {
                int src = order[j];
                if (integral) {
                    values.storage().setLong(r * n + j, lv[src]);
                } else {
                    values.storage().setDouble(r * n + j, dv[src]);
                }
                indices.storage().setLong(r * n + j, src);
            }
        }
    }

    @Override
    public void cumsum(Tensor x, Tensor out) {
        int rows = x.shape()[0];
        int n = x.shape()[1];
        int[] st = x.strides();
        Storage xs = x.storage();
        Storage os = out.storage();
        boolean integral = x.dtype().isIntegral();
        for (int r = 0; r < rows; r++) {
            int base = x.offset() + r * st[0];
            double acc = 0;
            long lacc = 0;
            for (int j = 0; j < n; j++) {
                if (integral) {
                    lacc += xs.getLong(base + j * st[1]);
                    os.setLong(r * n + j, lacc);
                } else {
                    acc += xs.getDouble(base + j * st[1]);
                    os.setDouble(r * n + j, acc);
                }
            }
        }
    }

    /** Row-major multi-index of flat position i. */
    protected static void unravel(int i, int[] shape, int[] pos) {
        int r = i;
        for (int d = shape.length - 1; d >= 0; d--) {
            pos[d] = r % shape[d];
            r /= shape[d];
        }
    }
}
