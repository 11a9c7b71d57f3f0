package dev.graft.tensor.backend.simd;

import dev.graft.tensor.backend.Parallel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link Sgemm} against a float64 triple loop, on every path: the skinny kernels (M < 8), the
 * blocked path with A and B read in place or packed, tails of M, N and K, K spanning several KC
 * blocks, N spanning several NC blocks, the four transpose combinations and padded leading
 * dimensions (as strides), offsets, alpha and beta (with NaN in C when beta is 0, which BLAS says
 * must not be read), and bit-identical results for 1, 2 and 3 threads.
 *
 * <p>Paths by shape: N <= 8, or B^T with M <= 16, dot products along K; B^T with M <= 64 the
 * transposed product C^T = B^T A^T; M < 8 the skinny row kernels; otherwise the blocked path, whose
 * right-edge panels of at most one vector use the 8 x 1 kernels. Each shape runs with all four
 * transpose combinations.
 *
 * <p>Tolerance per element: 1e-6 + K u sum_p |alpha a_ip b_pj| + 2 u |beta c_ij|, u = 2^-24: the
 * worst case of a K-term float32 dot product in any order, plus the rounding of the beta term.
 */
class SgemmTest {
    private static final double U = 0x1p-24;

    /** An operand laid out in a larger array: element (i, j) at off + i*rs + j*cs. */
    record Mat(float[] data, int off, int rs, int cs) {
        float get(int i, int j) {
            return data[off + i * rs + j * cs];
        }
    }

    /** rows x cols, row-major or transposed (column-major), with padding in the leading dimension and an offset. */
    static Mat make(Random r, int rows, int cols, boolean transposed, int pad, int off) {
        int ld = (transposed ? rows : cols) + pad;
        int outer = transposed ? cols : rows;
        float[] d = new float[off + outer * ld + 3];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) r.nextGaussian();
        }
        return transposed ? new Mat(d, off, 1, ld) : new Mat(d, off, ld, 1);
    }

    record Case(int m, int n, int k, boolean ta, boolean tb, int pad, float alpha, float beta) {
        @Override
        public String toString() {
            return m + "x" + k + "x" + n + (ta ? " A^T" : "") + (tb ? " B^T" : "") + (pad > 0 ? " pad" + pad : "")
                    + (alpha != 1f || beta != 0f ? " alpha=" + alpha + " beta=" + beta : "");
        }
    }

    static List<Case> cases() {
        List<Case> cs = new ArrayList<>();
        int[][] shapes = {
            {1, 1, 1}, {1, 7, 3}, {1, 384, 384}, {1, 100, 17}, {2, 65, 9}, {3, 130, 31}, {4, 33, 5}, {5, 64, 64},
            {6, 200, 13}, {7, 129, 40}, {8, 32, 8}, {9, 31, 7}, {15, 47, 33}, {16, 1536, 384}, {17, 63, 65},
            {31, 100, 100}, {33, 129, 70}, {40, 300, 50}, {64, 64, 64}, {65, 65, 65}, {100, 37, 300}, {127, 129, 131},
            {200, 257, 64}, {96, 40, 1100}, {3, 40, 1100}, {40, 2100, 20}, {300, 300, 300},
            // few columns: dot products (N <= 8), one-vector tiles (N <= 16 and right edges)
            {100, 1, 300}, {37, 3, 77}, {13, 5, 40}, {64, 8, 129}, {300, 2, 1024}, {1, 4, 33}, {9, 16, 20}, {50, 9, 33},
            {70, 40, 9}, {33, 50, 600},
            // B^T (x W^T) with M <= 64: computed as C^T = W A^T, tiles stored transposed
            {48, 100, 77}, {64, 200, 384}, {20, 33, 300}, {65, 70, 30}, {2, 19, 50}, {6, 21, 40}, {128, 40, 20},
            // attention per head (16 x 32 x 16 and 16 x 16 x 32), a right-edge panel of one vector read in place
            // (N = NR + VL), small B^T around the dot-product cut-off (M <= 16)
            {16, 16, 32}, {16, 32, 16}, {16, 48, 64}, {12, 16, 64}, {32, 80, 100}, {8, 24, 300}, {24, 16, 512},
            {33, 16, 32}, {7, 16, 32},
        };
        float[][] ab = {{1f, 0f}, {1f, 1f}, {2.5f, -0.5f}, {-1f, 0f}};
        int i = 0;
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0;
                boolean tb = (t & 2) != 0;
                float[] x = ab[(i + t) % ab.length];
                cs.add(new Case(s[0], s[1], s[2], ta, tb, (i + t) % 3 == 0 ? 3 : 0, x[0], x[1]));
            }
            i++;
        }
        return cs;
    }

    /** Runs Sgemm on a copy of c and checks it against the float64 reference. Returns the result. */
    static float[] runAndCheck(Case cs, long seed, boolean parallel) {
        Random r = new Random(seed);
        Mat a = make(r, cs.m, cs.k, cs.ta, cs.pad, 5);
        Mat b = make(r, cs.k, cs.n, cs.tb, cs.pad, 2);
        int ldc = cs.n + cs.pad;
        int co = 1;
        float[] c0 = new float[co + cs.m * ldc];
        for (int i = 0; i < c0.length; i++) {
            c0[i] = cs.beta == 0f ? Float.NaN : (float) r.nextGaussian();
        }
        float[] c = c0.clone();
        Sgemm.gemm(cs.m, cs.n, cs.k, cs.alpha, a.data, a.off, a.rs, a.cs, b.data, b.off, b.rs, b.cs, cs.beta, c, co, ldc,
                parallel);
        for (int i = 0; i < cs.m; i++) {
            for (int j = 0; j < cs.n; j++) {
                double acc = 0;
                double abs = 0;
                for (int p = 0; p < cs.k; p++) {
                    double prod = (double) cs.alpha * a.get(i, p) * b.get(p, j);
                    acc += prod;
                    abs += Math.abs(prod);
                }
                double old = c0[co + i * ldc + j];
                double ref = acc + (cs.beta == 0f ? 0 : cs.beta * old);
                double tol = 1e-6 + cs.k * U * abs + (cs.beta == 0f ? 0 : 2 * U * Math.abs(cs.beta * old));
                float got = c[co + i * ldc + j];
                if (!(Math.abs(got - ref) <= tol)) {
                    fail(cs + ": C(" + i + ", " + j + ") = " + got + ", expected " + ref + " +- " + tol);
                }
            }
            // padding between rows of C is untouched
            for (int j = cs.n; j < ldc && i < cs.m - 1; j++) {
                assertEquals(Float.floatToRawIntBits(c0[co + i * ldc + j]), Float.floatToRawIntBits(c[co + i * ldc + j]),
                        cs + ": padding of C row " + i + " was written");
            }
        }
        assertEquals(Float.floatToRawIntBits(c0[0]), Float.floatToRawIntBits(c[0]), cs + ": wrote before the offset");
        return c;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesFloat64Reference(Case cs) {
        runAndCheck(cs, cs.hashCode(), true);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sameBitsForAnyThreadCount(Case cs) {
        int before = Parallel.threads();
        Sgemm.parallelMinFlops = 0; // every path's parallel split, not only those of big products
        try {
            Parallel.setThreads(1);
            float[] one = runAndCheck(cs, 7, true);
            for (int t : new int[] {2, 3}) {
                Parallel.setThreads(t);
                float[] many = runAndCheck(cs, 7, true);
                assertArrayEquals(one, many, cs + ": " + t + " threads differ from 1");
            }
        } finally {
            Parallel.setThreads(before);
            Sgemm.parallelMinFlops = Sgemm.PARALLEL_MIN_FLOPS;
        }
    }

    @Test
    void zeroKOrZeroAlphaOnlyScalesC() {
        float[] c = {1, 2, 3, 4, Float.NaN};
        Sgemm.gemm(2, 2, 0, 1f, new float[0], 0, 0, 1, new float[0], 0, 2, 1, 0.5f, c, 0, 2, true);
        assertArrayEquals(new float[] {0.5f, 1, 1.5f, 2, Float.NaN}, c);
        float[] nan = {Float.NaN, Float.NaN};
        Sgemm.gemm(1, 2, 3, 0f, new float[3], 0, 3, 1, new float[6], 0, 2, 1, 0f, nan, 0, 2, true);
        assertArrayEquals(new float[] {0, 0}, nan);
    }

    @Test
    void blockingIsSane() {
        assertTrue(Sgemm.KC >= 64 && Sgemm.KC % 8 == 0, Sgemm.describe());
        assertTrue(Sgemm.MC >= Sgemm.MR && Sgemm.MC % Sgemm.MR == 0, Sgemm.describe());
        assertTrue(Sgemm.NC >= Sgemm.NR && Sgemm.NC % Sgemm.NR == 0, Sgemm.describe());
        // the reference cases above cross KC and NC only if the blocking is what they assume
        assertTrue(Sgemm.KC < 1100 && Sgemm.NC < 2100, Sgemm.describe());
    }

    @Test
    void everyMicroKernelShapeAgreesWithPlainLoop() {
        // the same product through the skinny path row by row and the blocked path: within rounding
        Random r = new Random(3);
        int m = 9;
        int n = 70;
        int k = 50;
        float[] a = new float[m * k];
        float[] b = new float[k * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) r.nextGaussian();
        }
        float[] whole = new float[m * n];
        Sgemm.gemm(m, n, k, a, 0, k, 1, b, 0, n, 1, whole, 0, n, false);
        float[] rows = new float[m * n];
        for (int i = 0; i < m; i++) {
            Sgemm.gemm(1, n, k, a, i * k, k, 1, b, 0, n, 1, rows, i * n, n, false);
        }
        for (int i = 0; i < whole.length; i++) {
            assertEquals(whole[i], rows[i], 1e-4, "element " + i + " " + Arrays.toString(new int[] {i / n, i % n}));
        }
    }
}
