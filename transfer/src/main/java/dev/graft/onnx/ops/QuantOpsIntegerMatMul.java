package dev.graft.onnx.ops;

import dev.graft.autograd.NoGrad;
import dev.graft.tensor.DType;
import dev.graft.tensor.Storage;
import dev.graft.tensor.Tensor;

/**
 * Exact integer matrix products for the quantized ops (MatMulInteger, QLinearMatMul), computed on
 * Graft's floating-point GEMM without losing a bit.
 *
 * <p>Why this is exact: the operands are small integers (after zero-point subtraction at most 255
 * in magnitude), every product and every partial sum of a dot product is an integer, and a float
 * format represents every integer up to 2^p exactly (p = 24 for float32, 53 for float64). Whatever
 * order or blocking the GEMM sums in, and whether or not it fuses multiply-adds, each partial sum
 * is bounded by {@code sum_k |a_ik| |b_kj|}; when that bound is below 2^p no addition rounds. We
 * compute a rigorous bound from the data ({@code min(maxRowAbsSum(A) * max|B|, max|A| *
 * maxColAbsSum(B))}) and use float32 when it is below 2^24 (the common case for 8-bit operands
 * with K up to a few hundred, or skewed activations with larger K) and float64 otherwise (exact for
 * any K a Java array can hold). This relies on the GEMM computing sums of products (no
 * Strassen-like reassociation with subtractions of large terms); QuantOpsTest checks it against a
 * plain integer loop on worst-case operands.
 */
final class QuantOpsIntegerMatMul {
    private QuantOpsIntegerMatMul() {
    }

    /** Largest integer magnitude below which float32 sums of integers are exact. */
    static final double FLOAT32_EXACT = 1 << 24;

    /**
     * NumPy matmul of two integer-valued float32 tensors (values exactly integers with |v| &lt;
     * 2^24), returned as an INT32 tensor, wrapping modulo 2^32 like an int32 accumulator would.
     */
    static Tensor matmul(Tensor a, Tensor b) {
        return matmul(a, b, bStats(b));
    }

    /** As {@link #matmul(Tensor, Tensor)} with B's {@link #bStats} computed beforehand (B is usually a constant weight). */
    static Tensor matmul(Tensor a, Tensor b, double[] bStats) {
        try (NoGrad ignored = NoGrad.enter()) {
            int[] as = a.shape();
            int k = as[as.length - 1];
            double[] aStats = aStats(a, k);
            double bound = Math.min(aStats[1] * bStats[0], aStats[0] * bStats[1]);
            Tensor out;
            if (bound < FLOAT32_EXACT) {
                out = a.matmul(b);
                float[] v = floats(out);
                int[] r = new int[v.length];
                for (int i = 0; i < v.length; i++) {
                    r[i] = (int) v[i];
                }
                return Tensor.fromStorage(Storage.wrap(DType.INT32, r), out.shape(), "MatMulInteger");
            }
            out = a.to(DType.FLOAT64).matmul(b.to(DType.FLOAT64));
            double[] v = out.contiguous().toDoubleArray();
            int[] r = new int[v.length];
            for (int i = 0; i < v.length; i++) {
                r[i] = (int) (long) v[i]; // wrap like int32 arithmetic; exact below 2^53
            }
            return Tensor.fromStorage(Storage.wrap(DType.INT32, r), out.shape(), "MatMulInteger");
        }
    }

    /** A bound on every partial sum of every dot product of {@code a @ b}. */
    static double bound(Tensor a, Tensor b, int k) {
        double[] sa = aStats(a, k);
        double[] sb = bStats(b);
        return Math.min(sa[1] * sb[0], sa[0] * sb[1]);
    }

    /** {max |a|, max over rows of sum |a_row|} for rows of length k. */
    static double[] aStats(Tensor a, int k) {
        float[] av = floats(a);
        double maxA = 0;
        double maxRowSum = 0;
        for (int r = 0; r + k <= av.length && k > 0; r += k) {
            double s = 0;
            for (int i = r; i < r + k; i++) {
                double x = Math.abs(av[i]);
                s += x;
                maxA = Math.max(maxA, x);
            }
            maxRowSum = Math.max(maxRowSum, s);
        }
        return new double[] {maxA, maxRowSum};
    }

    /** {max |b|, max over columns (of every batch matrix) of sum |b_col|}. */
    static double[] bStats(Tensor b) {
        float[] bv = floats(b);
        int[] bs = b.shape();
        int n = b.dim() == 1 ? 1 : bs[bs.length - 1];
        int kb = b.dim() == 1 ? bs[0] : bs[bs.length - 2];
        double maxB = 0;
        double maxColSum = 0;
        double[] col = new double[n];
        for (int base = 0; base + kb * n <= bv.length && kb * n > 0; base += kb * n) {
            java.util.Arrays.fill(col, 0);
            for (int i = 0; i < kb; i++) {
                int row = base + i * n;
                for (int j = 0; j < n; j++) {
                    double x = Math.abs(bv[row + j]);
                    col[j] += x;
                    maxB = Math.max(maxB, x);
                }
            }
            for (double c : col) {
                maxColSum = Math.max(maxColSum, c);
            }
        }
        return new double[] {maxB, maxColSum};
    }

    /** The elements of a float32 tensor in row-major order, without a copy when it owns a plain array. */
    private static float[] floats(Tensor t) {
        if (t.dtype() == DType.FLOAT32 && t.isContiguous() && t.offset() == 0 && t.storage().length() == t.numel()) {
            return (float[]) t.storage().hostForRead();
        }
        return t.contiguous().toFloatArray();
    }

    /** The plain integer triple loop on 2-D int arrays: the reference the float path is tested against. */
    static int[] naive(int[] a, int[] b, int m, int k, int n) {
        int[] c = new int[m * n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                int x = a[i * k + p];
                for (int j = 0; j < n; j++) {
                    c[i * n + j] += x * b[p * n + j];
                }
            }
        }
        return c;
    }
}
