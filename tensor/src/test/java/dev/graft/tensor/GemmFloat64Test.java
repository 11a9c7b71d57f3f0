package dev.graft.tensor;

import dev.graft.tensor.backend.Parallel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * float64 through {@link Gemm} (tensor and array forms) and {@link Tensor#matmul}: batches with an
 * operand broadcast through stride-0 dimensions, transposes by flag and by view, alpha and beta,
 * against a triple loop in float64 (per element, tolerance (K + 2) u sum |alpha a b| + 2 u |beta c|,
 * u = 2^-53), with 1 and 2 threads giving the same bits.
 */
class GemmFloat64Test {
    private static final double U = 0x1p-53;
    private static final Generator G = new Generator(11);

    private static Tensor randn(int... shape) {
        return Tensor.randn(G, shape).to(DType.FLOAT64);
    }

    /** C = alpha A B + beta C0 element by element, A [.., M, K] and B [.., K, N] already broadcast to C's batch. */
    private static void check(double alpha, Tensor a, Tensor b, double beta, Tensor c0, Tensor c, String what) {
        int r = c.dim();
        int m = c.shape()[r - 2];
        int n = c.shape()[r - 1];
        int k = a.shape()[r - 1];
        int batches = c.numel() / (m * n);
        int[] bshape = java.util.Arrays.copyOf(c.shape(), r - 2);
        Tensor ae = a.expand(concat(bshape, m, k));
        Tensor be = b.expand(concat(bshape, k, n));
        for (int bi = 0; bi < batches; bi++) {
            int[] idx = new int[r];
            for (int d = r - 3, rest = bi; d >= 0; d--) {
                idx[d] = rest % bshape[d];
                rest /= bshape[d];
            }
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double acc = 0;
                    double abs = 0;
                    for (int p = 0; p < k; p++) {
                        idx[r - 2] = i;
                        idx[r - 1] = p;
                        double x = ae.get(idx);
                        idx[r - 2] = p;
                        idx[r - 1] = j;
                        double prod = alpha * x * be.get(idx);
                        acc += prod;
                        abs += Math.abs(prod);
                    }
                    idx[r - 2] = i;
                    idx[r - 1] = j;
                    double old = beta == 0 ? 0 : beta * c0.get(idx);
                    double tol = (k + 2) * U * abs + 2 * U * Math.abs(old) + 1e-300;
                    double got = c.get(idx);
                    if (!(Math.abs(got - (acc + old)) <= tol)) {
                        throw new AssertionError(what + ": batch " + bi + " C(" + i + ", " + j + ") = " + got + ", expected "
                                + (acc + old) + " +- " + tol);
                    }
                }
            }
        }
    }

    private static int[] concat(int[] s, int x, int y) {
        int[] o = java.util.Arrays.copyOf(s, s.length + 2);
        o[s.length] = x;
        o[s.length + 1] = y;
        return o;
    }

    @Test
    void tensorFormAllTransposesAlphaBetaAndBroadcastBatches() {
        Tensor a = randn(3, 1, 19, 37); // broadcast over the second batch dimension
        Tensor b = randn(4, 37, 21);    // broadcast over the first
        Tensor bt = randn(4, 21, 37);
        Tensor at = randn(3, 1, 37, 19);
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0;
            boolean tb = (t & 2) != 0;
            Tensor c0 = randn(3, 4, 19, 21);
            Tensor c = c0.clone();
            double alpha = t == 0 ? 1 : -0.75;
            double beta = t == 1 ? 0 : 1.5;
            Gemm.gemm(alpha, ta ? at : a, ta, tb ? bt : b, tb, beta, c);
            check(alpha, ta ? at.transpose(2, 3) : a, tb ? bt.transpose(1, 2) : b, beta, c0, c, "transA " + ta + " transB " + tb);
        }
    }

    @Test
    void arrayFormAndMixedDtypes() {
        int m = 13;
        int n = 35;
        int k = 70;
        Tensor a = randn(k, m); // used as A^T, lda = m
        Tensor b = randn(n, k); // used as B^T, ldb = k
        Tensor c0 = randn(m, n);
        double[] c = c0.toDoubleArray();
        Gemm.dgemm(true, true, m, n, k, 2, a.toDoubleArray(), 0, m, b.toDoubleArray(), 0, k, -1, c, 0, n);
        check(2, a.transpose(0, 1), b.transpose(0, 1), -1, c0, Tensor.fromArray(c, m, n), "dgemm array form");
        assertThrows(IllegalArgumentException.class,
                () -> Gemm.dgemm(false, false, 2, 2, 2, 1, new double[3], 0, 2, new double[4], 0, 2, 0, new double[4], 0, 2));
        assertThrows(TensorTypeException.class, () -> Gemm.gemm(1, randn(2, 2), false, Tensor.randn(G, 2, 2), false, 0,
                Tensor.zeros(2, 2)));
    }

    @Test
    void matmulBatchedViewsSameBitsOnOneAndTwoThreads() {
        int before = Parallel.threads();
        try {
            Tensor a = randn(1, 70, 130).expand(3, 70, 130);        // stride-0 batch
            Tensor b = randn(3, 90, 130).transpose(1, 2);           // B^T views, [3, 130, 90]
            Parallel.setThreads(1);
            Tensor one = a.matmul(b);
            check(1, a, b, 0, one, one, "matmul float64 batched");
            Parallel.setThreads(2);
            Tensor two = a.matmul(b);
            assertArrayEquals(one.toDoubleArray(), two.toDoubleArray());
            Tensor big = randn(260, 300);
            Tensor bigB = randn(300, 250);
            Parallel.setThreads(1);
            Tensor p1 = big.matmul(bigB);
            Parallel.setThreads(2);
            Tensor p2 = big.matmul(bigB);
            check(1, big, bigB, 0, p1, p1, "matmul float64 260x300x250");
            assertArrayEquals(p1.toDoubleArray(), p2.toDoubleArray());
        } finally {
            Parallel.setThreads(before);
        }
    }
}
