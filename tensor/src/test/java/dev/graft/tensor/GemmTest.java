package dev.graft.tensor;

import org.junit.jupiter.api.Test;

import static dev.graft.tensor.TestSupport.assertThrowsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * {@link Gemm}: C = alpha op(A) op(B) + beta C in place, against the same product computed in
 * float64 with matmul; transposes through flags and through views, batches with a broadcast
 * operand, a non-contiguous C, and the argument checks of both forms. Tolerance: 1e-5 relative
 * to sum |alpha a b| + |beta c| per element (K <= 70 here, so K u is below 1e-5).
 */
class GemmTest {
    private static final Generator G = new Generator(5);

    /** float64 reference for C = alpha op(A) op(B) + beta C. */
    private static float[][] expect(double alpha, Tensor a, boolean ta, Tensor b, boolean tb, double beta, Tensor c) {
        Tensor a64 = (ta ? a.transpose(a.dim() - 2, a.dim() - 1) : a).to(DType.FLOAT64);
        Tensor b64 = (tb ? b.transpose(b.dim() - 2, b.dim() - 1) : b).to(DType.FLOAT64);
        Tensor prod = a64.matmul(b64);
        Tensor abs = a64.abs().matmul(b64.abs());
        Tensor c64 = c.to(DType.FLOAT64);
        Tensor ref = prod.mul(alpha).add(beta == 0 ? c64.mul(0) : c64.mul(beta));
        Tensor scale = abs.mul(Math.abs(alpha)).add(c64.abs().mul(Math.abs(beta)));
        return new float[][] {ref.toFloatArray(), scale.toFloatArray()};
    }

    private static void check(float[][] expected, Tensor c, String what) {
        float[] got = c.toFloatArray();
        assertEquals(expected[0].length, got.length, what);
        for (int i = 0; i < got.length; i++) {
            double tol = 1e-6 + 1e-5 * expected[1][i];
            if (!(Math.abs(got[i] - expected[0][i]) <= tol)) {
                throw new AssertionError(what + ": element " + i + " = " + got[i] + ", expected " + expected[0][i] + " +- " + tol);
            }
        }
    }

    @Test
    void allTransposeCombinationsWithAlphaBeta() {
        int m = 13;
        int n = 70;
        int k = 37;
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0;
            boolean tb = (t & 2) != 0;
            Tensor a = ta ? Tensor.randn(G, k, m) : Tensor.randn(G, m, k);
            Tensor b = tb ? Tensor.randn(G, n, k) : Tensor.randn(G, k, n);
            Tensor c = Tensor.randn(G, m, n);
            float[][] e = expect(1.5, a, ta, b, tb, -0.25, c);
            assertSame(c, Gemm.gemm(1.5, a, ta, b, tb, -0.25, c));
            check(e, c, "transA " + ta + " transB " + tb);
        }
    }

    @Test
    void transposedViewsAreReadInPlace() {
        Tensor a = Tensor.randn(G, 40, 9).t();   // [9, 40], column-major
        Tensor b = Tensor.randn(G, 33, 40).t();  // [40, 33], column-major
        Tensor c = Tensor.randn(G, 9, 33);
        float[][] e = expect(1, a, false, b, false, 1, c);
        Gemm.gemm(1, a, false, b, false, 1, c);
        check(e, c, "views");
    }

    @Test
    void betaZeroIgnoresNaNInC() {
        Tensor a = Tensor.randn(G, 5, 6);
        Tensor b = Tensor.randn(G, 6, 7);
        Tensor c = Tensor.zeros(DType.FLOAT32, 5, 7).add(Double.NaN);
        float[][] e = expect(2, a, false, b, false, 0, Tensor.zeros(DType.FLOAT32, 5, 7));
        Gemm.gemm(2, a, false, b, false, 0, c);
        check(e, c, "beta 0");
    }

    @Test
    void batchedWithBroadcastOperand() {
        Tensor a = Tensor.randn(G, 3, 4, 17, 20);
        Tensor b = Tensor.randn(G, 20, 30); // shared by every batch
        Tensor c = Tensor.randn(G, 3, 4, 17, 30);
        float[][] e = expect(0.5, a, false, b, false, 2, c);
        Gemm.gemm(0.5, a, false, b, false, 2, c);
        check(e, c, "batched");
        Tensor bt = Tensor.randn(G, 4, 30, 20); // broadcast over the first batch dimension, transposed
        Tensor c2 = Tensor.randn(G, 3, 4, 17, 30);
        float[][] e2 = expect(1, a, false, bt, true, 1, c2);
        Gemm.gemm(1, a, false, bt, true, 1, c2);
        check(e2, c2, "batched, B^T broadcast");
    }

    @Test
    void nonContiguousCIsUpdatedThroughATemporary() {
        Tensor a = Tensor.randn(G, 8, 5);
        Tensor b = Tensor.randn(G, 5, 11);
        Tensor base = Tensor.randn(G, 11, 8);
        Tensor c = base.t(); // [8, 11], column-major
        float[][] e = expect(1, a, false, b, false, 1, c);
        int before = base.storage().version();
        Gemm.gemm(1, a, false, b, false, 1, c);
        check(e, c, "column-major C");
        check(e, base.t(), "the base tensor sees the update");
        assertNotEquals(before, base.storage().version());
    }

    @Test
    void arrayFormMatchesTensorForm() {
        int m = 6;
        int n = 5;
        int k = 4;
        Tensor a = Tensor.randn(G, k, m); // stored transposed
        Tensor b = Tensor.randn(G, n, k); // stored transposed
        Tensor c = Tensor.randn(G, m, n);
        float[] ca = c.toFloatArray();
        float[] cPadded = new float[2 + m * 7];
        for (int i = 0; i < m; i++) {
            System.arraycopy(ca, i * n, cPadded, 2 + i * 7, n);
        }
        Gemm.sgemm(true, true, m, n, k, 1.25f, a.toFloatArray(), 0, m, b.toFloatArray(), 0, k, 0.75f, cPadded, 2, 7);
        Gemm.gemm(1.25, a, true, b, true, 0.75, c);
        float[] want = c.toFloatArray();
        float[] got = new float[m * n];
        for (int i = 0; i < m; i++) {
            System.arraycopy(cPadded, 2 + i * 7, got, i * n, n);
        }
        assertArrayEquals(want, got);
    }

    @Test
    void errorsNameTheProblem() {
        Tensor a = Tensor.randn(G, 3, 4);
        Tensor b = Tensor.randn(G, 5, 6);
        Tensor c = Tensor.zeros(DType.FLOAT32, 3, 6);
        assertThrowsWith(TensorShapeException.class, () -> Gemm.gemm(1, a, false, b, false, 0, c),
                "inner dimensions differ (4 vs 5)");
        assertThrowsWith(TensorShapeException.class, () -> Gemm.gemm(1, a, false, Tensor.randn(G, 4, 6), false, 0,
                Tensor.zeros(DType.FLOAT32, 3, 7)), "op(A) op(B) is [3, 6], C is [3, 7]");
        assertThrowsWith(TensorTypeException.class, () -> Gemm.gemm(1, a.to(DType.FLOAT64), false, Tensor.randn(G, 4, 6),
                false, 0, c), "expects float32");
        assertThrowsWith(IllegalArgumentException.class, () -> Gemm.sgemm(false, false, 3, 6, 4, 1f, new float[12], 0, 3,
                new float[24], 0, 6, 0f, new float[18], 0, 6), "leading dimension of A is 3, needs at least 4");
        assertThrowsWith(IllegalArgumentException.class, () -> Gemm.sgemm(false, false, 3, 6, 4, 1f, new float[11], 0, 4,
                new float[24], 0, 6, 0f, new float[18], 0, 6), "A (3 x 4, ld 4, offset 0) needs 12 elements, the array has 11");
    }
}
