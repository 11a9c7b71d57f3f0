package dev.graft.tensor.backend.simd;

import dev.graft.tensor.backend.Parallel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link Dgemm} against a plain float64 triple loop, on SgemmTest's shapes (odd sizes, tails of M,
 * N and K, K across several KC blocks, N across several NC blocks, M below the tile height for the
 * skinny kernels, one-vector right edges), each with the four transpose combinations, padded
 * leading dimensions, offsets, alpha and beta (NaN in C when beta is 0), and bit-identical results
 * for 1, 2 and 3 threads.
 *
 * <p>Tolerance per element: 1e-300 + K u sum_p |alpha a_ip b_pj| + 2 u |beta c_ij|, u = 2^-53: the
 * worst case of a K-term float64 dot product in any order, plus the rounding of the beta term.
 */
class DgemmTest {
    private static final double U = 0x1p-53;

    record Mat(double[] data, int off, int rs, int cs) {
        double get(int i, int j) {
            return data[off + i * rs + j * cs];
        }
    }

    static Mat make(Random r, int rows, int cols, boolean transposed, int pad, int off) {
        int ld = (transposed ? rows : cols) + pad;
        double[] d = new double[off + (transposed ? cols : rows) * ld + 3];
        for (int i = 0; i < d.length; i++) {
            d[i] = r.nextGaussian();
        }
        return transposed ? new Mat(d, off, 1, ld) : new Mat(d, off, ld, 1);
    }

    static List<SgemmTest.Case> cases() {
        return SgemmTest.cases();
    }

    /** Runs Dgemm on a copy of C and checks every element against the reference; returns the result. */
    static double[] runAndCheck(SgemmTest.Case cs, long seed) {
        Random r = new Random(seed);
        Mat a = make(r, cs.m(), cs.k(), cs.ta(), cs.pad(), 5);
        Mat b = make(r, cs.k(), cs.n(), cs.tb(), cs.pad(), 2);
        double alpha = cs.alpha();
        double beta = cs.beta();
        int ldc = cs.n() + cs.pad();
        int co = 1;
        double[] c0 = new double[co + cs.m() * ldc];
        for (int i = 0; i < c0.length; i++) {
            c0[i] = beta == 0 ? Double.NaN : r.nextGaussian();
        }
        double[] c = c0.clone();
        Dgemm.gemm(cs.m(), cs.n(), cs.k(), alpha, a.data, a.off, a.rs, a.cs, b.data, b.off, b.rs, b.cs, beta, c, co, ldc,
                true);
        for (int i = 0; i < cs.m(); i++) {
            for (int j = 0; j < cs.n(); j++) {
                double acc = 0;
                double abs = 0;
                for (int p = 0; p < cs.k(); p++) {
                    double prod = alpha * a.get(i, p) * b.get(p, j);
                    acc += prod;
                    abs += Math.abs(prod);
                }
                double old = c0[co + i * ldc + j];
                double ref = acc + (beta == 0 ? 0 : beta * old);
                double tol = 1e-300 + (cs.k() + 2) * U * abs + (beta == 0 ? 0 : 2 * U * Math.abs(beta * old));
                double got = c[co + i * ldc + j];
                if (!(Math.abs(got - ref) <= tol)) {
                    fail(cs + ": C(" + i + ", " + j + ") = " + got + ", expected " + ref + " +- " + tol);
                }
            }
            for (int j = cs.n(); j < ldc && i < cs.m() - 1; j++) {
                assertEquals(Double.doubleToRawLongBits(c0[co + i * ldc + j]), Double.doubleToRawLongBits(c[co + i * ldc + j]),
                        cs + ": padding of C row " + i + " was written");
            }
        }
        assertEquals(Double.doubleToRawLongBits(c0[0]), Double.doubleToRawLongBits(c[0]), cs + ": wrote before the offset");
        return c;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesReference(SgemmTest.Case cs) {
        runAndCheck(cs, cs.hashCode());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sameBitsForAnyThreadCount(SgemmTest.Case cs) {
        int before = Parallel.threads();
        Dgemm.parallelMinFlops = 0; // the parallel split of every product, not only of big ones
        try {
            Parallel.setThreads(1);
            double[] one = runAndCheck(cs, 7);
            for (int t : new int[] {2, 3}) {
                Parallel.setThreads(t);
                assertArrayEquals(one, runAndCheck(cs, 7), cs + ": " + t + " threads differ from 1");
            }
        } finally {
            Parallel.setThreads(before);
            Dgemm.parallelMinFlops = Dgemm.PARALLEL_MIN_FLOPS;
        }
    }

    @Test
    void zeroKOrZeroAlphaOnlyScalesC() {
        double[] c = {1, 2, 3, 4, Double.NaN};
        Dgemm.gemm(2, 2, 0, 1.0, new double[0], 0, 0, 1, new double[0], 0, 2, 1, 0.5, c, 0, 2, true);
        assertArrayEquals(new double[] {0.5, 1, 1.5, 2, Double.NaN}, c);
        double[] nan = {Double.NaN, Double.NaN};
        Dgemm.gemm(1, 2, 3, 0.0, new double[3], 0, 3, 1, new double[6], 0, 2, 1, 0.0, nan, 0, 2, true);
        assertArrayEquals(new double[] {0, 0}, nan);
    }

    @Test
    void blockingIsSane() {
        assertTrue(Dgemm.KC >= 64 && Dgemm.KC % 8 == 0, Dgemm.describe());
        assertTrue(Dgemm.MC >= Dgemm.MR && Dgemm.MC % Dgemm.MR == 0, Dgemm.describe());
        assertTrue(Dgemm.NC >= Dgemm.NR && Dgemm.NC % Dgemm.NR == 0, Dgemm.describe());
        // SgemmTest's shapes cross KC (K = 1100) and NC (N = 2100) only if the blocking is what they assume
        assertTrue(Dgemm.KC < 1100 && Dgemm.NC < 2100, Dgemm.describe());
    }
}
