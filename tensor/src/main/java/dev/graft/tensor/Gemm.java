package dev.graft.tensor;

import dev.graft.tensor.backend.Parallel;
import dev.graft.tensor.backend.VectorInfo;

/**
 * BLAS-style general matrix multiply, {@code C = alpha * op(A) op(B) + beta * C} in place on C, in
 * float32 or float64, on the pure-Java SGEMM / DGEMM kernels (whatever backend is selected). {@code op(X)} is X or
 * its transpose; transposes are read through strides, never copied. Use it where a product
 * should be accumulated into an existing buffer (gradients, residual sums) without the temporary
 * and extra pass that {@code c.addInPlace(a.matmul(b))} costs.
 *
 * <p>Not recorded by autograd: for differentiable code use {@link Tensor#matmul}. C must not
 * require gradients. With beta 0, C's previous contents are not read (NaNs in it do not
 * propagate), as in BLAS.
 */
public final class Gemm {
    private Gemm() {
    }

    /**
     * Tensor form. A is {@code [..., M, K]} ({@code [..., K, M]} with transA), B is {@code [..., K, N]}
     * ({@code [..., N, K]} with transB), C is {@code [..., M, N]}; the batch dimensions of A and B
     * broadcast to C's. Any strides are accepted for A and B (views are read in place); C's rows are
     * written in place when its last dimension is unit-stride, through a temporary otherwise.
     *
     * @return c
     */
    public static Tensor gemm(double alpha, Tensor a, boolean transA, Tensor b, boolean transB, double beta, Tensor c) {
        String where = "gemm: " + Shape.str(a.shape()) + (transA ? "^T" : "") + " @ " + Shape.str(b.shape())
                + (transB ? "^T" : "") + " -> " + Shape.str(c.shape());
        DType dt = c.dtype();
        for (Tensor t : new Tensor[] {a, b, c}) {
            if (t.dtype() != dt || (dt != DType.FLOAT32 && dt != DType.FLOAT64)) {
                throw new TensorTypeException(where + ": expects float32 or float64 operands of one dtype, got " + a.dtype()
                        + ", " + b.dtype() + " and " + c.dtype() + "; convert with to(DType.FLOAT32)");
            }
            if (t.dim() < 2) {
                throw new TensorShapeException(where + ": every operand needs at least two dimensions");
            }
        }
        if (c.requiresGrad()) {
            throw new IllegalArgumentException(where + ": c requires gradients, and gemm writes it in place without "
                    + "recording; use matmul for differentiable code");
        }
        int ra = a.dim();
        int rb = b.dim();
        int rc = c.dim();
        int m = c.shape()[rc - 2];
        int n = c.shape()[rc - 1];
        int am = a.shape()[transA ? ra - 1 : ra - 2];
        int k = a.shape()[transA ? ra - 2 : ra - 1];
        int bk = b.shape()[transB ? rb - 1 : rb - 2];
        int bn = b.shape()[transB ? rb - 2 : rb - 1];
        if (k != bk) {
            throw new TensorShapeException(where + ": inner dimensions differ (" + k + " vs " + bk + ")");
        }
        if (am != m || bn != n) {
            throw new TensorShapeException(where + ": op(A) op(B) is [" + am + ", " + bn + "], C is [" + m + ", " + n + "]");
        }
        int[] batch = java.util.Arrays.copyOf(c.shape(), rc - 2);
        int[] aStr = batchStrides(where, "A", a, batch);
        int[] bStr = batchStrides(where, "B", b, batch);
        Tensor out = c.strides()[rc - 1] == 1 || n <= 1 ? c : c.contiguous();
        int[] cStr = out.strides();
        int ldc = n <= 1 ? Math.max(1, cStr[rc - 2]) : cStr[rc - 2];
        boolean overlap = m > 1 && n > 1 && ldc < n;
        for (int d = 0; d < batch.length; d++) {
            overlap |= batch[d] > 1 && cStr[d] == 0;
        }
        if (overlap && out == c) {
            // rows or batches of C overlap (a broadcast view): writing them in place would race
            out = c.contiguous();
            cStr = out.strides();
            ldc = cStr[rc - 2];
        }
        int ars = a.strides()[transA ? ra - 1 : ra - 2];
        int acs = a.strides()[transA ? ra - 2 : ra - 1];
        int brs = b.strides()[transB ? rb - 1 : rb - 2];
        int bcs = b.strides()[transB ? rb - 2 : rb - 1];
        Object aa = a.storage().array();
        Object ba = b.storage().array();
        Object ca = out.storage().array();
        int batches = Shape.numel(batch);
        long work = 2L * m * n * k;
        boolean acrossBatches = batches > 1 && batches >= Parallel.threads() && work < (1L << 24);
        Tensor cOut = out;
        int[] cs = cStr;
        int ldcF = ldc;
        Parallel.RangeBody body = (from, to) -> {
            for (int bi = from; bi < to; bi++) {
                int ao = a.offset();
                int bo = b.offset();
                int co = cOut.offset();
                for (int d = batch.length - 1, rest = bi; d >= 0; d--) {
                    int idx = rest % batch[d];
                    rest /= batch[d];
                    ao += idx * aStr[d];
                    bo += idx * bStr[d];
                    co += idx * cs[d];
                }
                if (dt == DType.FLOAT64) {
                    dgemmStrided(m, n, k, alpha, (double[]) aa, ao, ars, acs, (double[]) ba, bo, brs, bcs, beta, (double[]) ca,
                            co, ldcF, !acrossBatches);
                } else {
                    sgemmStrided(m, n, k, (float) alpha, (float[]) aa, ao, ars, acs, (float[]) ba, bo, brs, bcs, (float) beta,
                            (float[]) ca, co, ldcF, !acrossBatches);
                }
            }
        };
        if (acrossBatches) {
            Parallel.forRange(batches, 1, body);
        } else {
            body.run(0, batches);
        }
        if (out != c) {
            c.copyFrom(out);
        } else {
            c.storage().bumpVersion();
        }
        return c;
    }

    /** Strides of t's batch dimensions, aligned right with C's batch shape; 0 where t broadcasts. */
    private static int[] batchStrides(String where, String name, Tensor t, int[] batch) {
        int tb = t.dim() - 2;
        if (tb > batch.length) {
            throw new TensorShapeException(where + ": " + name + " has more batch dimensions than C");
        }
        int[] s = new int[batch.length];
        for (int d = 0; d < tb; d++) {
            int cd = d + batch.length - tb;
            int size = t.shape()[d];
            if (size == batch[cd]) {
                s[cd] = t.strides()[d];
            } else if (size != 1) {
                throw new TensorShapeException(where + ": batch dimension " + d + " of " + name + " is " + size
                        + ", C's is " + batch[cd]);
            }
        }
        return s;
    }

    /**
     * Array form with CBLAS's row-major conventions ({@code cblas_sgemm(CblasRowMajor, ...)}): op(A) is
     * M x K, stored as A with leading dimension lda (A is M x K, or K x M when transA); likewise B
     * (K x N, or N x K when transB); C is M x N with leading dimension ldc. Offsets are in elements.
     *
     * @throws IllegalArgumentException when a dimension or leading dimension is invalid or an operand
     *         does not fit in its array (checked before anything is written)
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                             int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        checkAll("sgemm", transA, transB, m, n, k, a == null ? -1 : a.length, aOff, lda, b == null ? -1 : b.length, bOff, ldb,
                c == null ? -1 : c.length, cOff, ldc);
        sgemmStrided(m, n, k, alpha, a, aOff, transA ? 1 : lda, transA ? lda : 1, b, bOff, transB ? 1 : ldb,
                transB ? ldb : 1, beta, c, cOff, ldc, true);
    }

    /**
     * The float64 twin of {@link #sgemm(boolean, boolean, int, int, int, float, float[], int, int, float[], int, int,
     * float, float[], int, int)} ({@code cblas_dgemm(CblasRowMajor, ...)}), on the pure-Java DGEMM kernel.
     *
     * @throws IllegalArgumentException when a dimension or leading dimension is invalid or an operand
     *         does not fit in its array (checked before anything is written)
     */
    public static void dgemm(boolean transA, boolean transB, int m, int n, int k, double alpha, double[] a, int aOff,
                             int lda, double[] b, int bOff, int ldb, double beta, double[] c, int cOff, int ldc) {
        checkAll("dgemm", transA, transB, m, n, k, a == null ? -1 : a.length, aOff, lda, b == null ? -1 : b.length, bOff, ldb,
                c == null ? -1 : c.length, cOff, ldc);
        dgemmStrided(m, n, k, alpha, a, aOff, transA ? 1 : lda, transA ? lda : 1, b, bOff, transB ? 1 : ldb,
                transB ? ldb : 1, beta, c, cOff, ldc, true);
    }

    private static void checkAll(String fn, boolean transA, boolean transB, int m, int n, int k, int aLen, int aOff, int lda,
                                 int bLen, int bOff, int ldb, int cLen, int cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException(fn + ": negative dimension (m " + m + ", n " + n + ", k " + k + ")");
        }
        check(fn, "A", aLen, aOff, lda, transA ? k : m, transA ? m : k);
        check(fn, "B", bLen, bOff, ldb, transB ? n : k, transB ? k : n);
        check(fn, "C", cLen, cOff, ldc, m, n);
    }

    /** len is the array's length, -1 when it is null. */
    private static void check(String fn, String name, int len, int off, int ld, int rows, int cols) {
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException(fn + ": leading dimension of " + name + " is " + ld + ", needs at least "
                    + Math.max(1, cols));
        }
        if (rows == 0 || cols == 0) {
            return;
        }
        if (len < 0) {
            throw new IllegalArgumentException(fn + ": " + name + " is null");
        }
        long last = (long) off + (long) (rows - 1) * ld + cols;
        if (off < 0 || last > len) {
            throw new IllegalArgumentException(fn + ": " + name + " (" + rows + " x " + cols + ", ld " + ld + ", offset "
                    + off + ") needs " + last + " elements, the array has " + len);
        }
    }

    private static void sgemmStrided(int m, int n, int k, float alpha, float[] a, int ao, int ars, int acs, float[] b,
                                     int bo, int brs, int bcs, float beta, float[] c, int co, int ldc, boolean parallel) {
        if (VectorInfo.available()) {
            dev.graft.tensor.backend.simd.VectorBackend.sgemm(m, n, k, alpha, a, ao, ars, acs, b, bo, brs, bcs, beta, c, co,
                    ldc, parallel);
            return;
        }
        // without the Vector API: the plain definition, accumulated in float64
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) {
                    acc += (double) a[ao + i * ars + p * acs] * b[bo + p * brs + j * bcs];
                }
                int o = co + i * ldc + j;
                c[o] = (float) (alpha * acc + (beta == 0f ? 0.0 : (double) beta * c[o]));
            }
        }
    }

    private static void dgemmStrided(int m, int n, int k, double alpha, double[] a, int ao, int ars, int acs, double[] b,
                                     int bo, int brs, int bcs, double beta, double[] c, int co, int ldc, boolean parallel) {
        if (VectorInfo.available()) {
            dev.graft.tensor.backend.simd.VectorBackend.dgemm(m, n, k, alpha, a, ao, ars, acs, b, bo, brs, bcs, beta, c, co,
                    ldc, parallel);
            return;
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) {
                    acc = Math.fma(a[ao + i * ars + p * acs], b[bo + p * brs + j * bcs], acc);
                }
                int o = co + i * ldc + j;
                c[o] = alpha * acc + (beta == 0.0 ? 0.0 : beta * c[o]);
            }
        }
    }
}
