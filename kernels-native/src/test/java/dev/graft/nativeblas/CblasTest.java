package dev.graft.nativeblas;

import dev.graft.tensor.backend.Parallel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The raw bindings: discovery, every transpose combination with offsets and padded rows, the checks, threads. */
class CblasTest {
    static final Cblas BLAS = Cblas.get();

    @Test
    void aLibraryIsFoundAndDescribesItself() {
        // on CI (no system BLAS) this is the OpenBLAS extracted from org.bytedeco:openblas
        assertTrue(Cblas.unavailableReason().isEmpty(), Cblas.unavailableReason());
        assertFalse(BLAS.location().isEmpty());
        if (BLAS.location().contains("openblas")) {
            assertTrue(BLAS.config().startsWith("OpenBLAS"), BLAS.config());
            assertFalse(BLAS.corename().isEmpty());
        }
    }

    /** C = alpha op(A) op(B) + beta C in double, row-major, the definition the bindings must meet. */
    static double[] naive(boolean ta, boolean tb, int m, int n, int k, double alpha, double[] a, int ao, int lda,
                          double[] b, int bo, int ldb, double beta, double[] c, int co, int ldc) {
        double[] r = c.clone();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double x = ta ? a[ao + p * lda + i] : a[ao + i * lda + p];
                    double y = tb ? b[bo + j * ldb + p] : b[bo + p * ldb + j];
                    s += x * y;
                }
                r[co + i * ldc + j] = alpha * s + beta * c[co + i * ldc + j];
            }
        }
        return r;
    }

    @Test
    void sgemmAndDgemmMeetTheDefinition() {
        Random rnd = new Random(42);
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {17, 1, 9}, {1, 33, 65}, {64, 48, 80}};
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0;
                boolean tb = (t & 2) != 0;
                int m = s[0];
                int n = s[1];
                int k = s[2];
                int lda = (ta ? m : k) + 2;
                int ldb = (tb ? k : n) + 1;
                int ldc = n + 3;
                int ao = 3;
                int bo = 1;
                int co = 2;
                double[] a = rnd.doubles(ao + (ta ? k : m) * lda).toArray();
                double[] b = rnd.doubles(bo + (tb ? n : k) * ldb).toArray();
                double[] c = rnd.doubles(co + m * ldc).toArray();
                double[] want = naive(ta, tb, m, n, k, 0.75, a, ao, lda, b, bo, ldb, -1.5, c, co, ldc);
                double[] dc = c.clone();
                BLAS.dgemm(ta, tb, m, n, k, 0.75, a, ao, lda, b, bo, ldb, -1.5, dc, co, ldc);
                float[] fa = toFloat(a);
                float[] fb = toFloat(b);
                float[] fc = toFloat(c);
                BLAS.sgemm(ta, tb, m, n, k, 0.75f, fa, ao, lda, fb, bo, ldb, -1.5f, fc, co, ldc);
                String what = m + "x" + n + "x" + k + (ta ? " A^T" : "") + (tb ? " B^T" : "");
                for (int i = 0; i < c.length; i++) {
                    assertEquals(want[i], dc[i], 1e-12 * (k + 1), what + " dgemm element " + i);
                    assertEquals(want[i], fc[i], 1e-5 * (k + 1), what + " sgemm element " + i);
                }
            }
        }
    }

    private static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    /** Asserts the call throws IllegalArgumentException mentioning every fragment, and that no native call was made. */
    private static void rejected(Executable call, String... fragments) {
        long before = BLAS.nativeCalls();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
        assertEquals(before, BLAS.nativeCalls(), "the call reached native code: " + e.getMessage());
    }

    @Test
    void aWrongDimensionThrowsBeforeTheNativeCall() {
        float[] a = new float[6];
        float[] b = new float[12];
        float[] c = new float[8];
        long before = BLAS.nativeCalls();
        BLAS.sgemm(false, false, 2, 4, 3, 1f, a, 0, 3, b, 0, 4, 0f, c, 0, 4); // valid: one native call
        assertEquals(before + 1, BLAS.nativeCalls(), "the counter sees a native call");

        // K = 4 claimed with 3 columns of A: lda = 3 < K would read A's rows overlapping, and past the end
        rejected(() -> BLAS.sgemm(false, false, 2, 4, 4, 1f, a, 0, 3, b, 0, 4, 0f, c, 0, 4), "cblas_sgemm", "lda = 3", "max(1, 4)");
        // M = 3: C needs 12 elements, has 8
        rejected(() -> BLAS.sgemm(false, false, 3, 4, 3, 1f, new float[9], 0, 3, b, 0, 4, 0f, c, 0, 4),
                "cblas_sgemm", "C (stored 3 x 4)", "reaches element 11", "8 elements");
        // an offset that pushes B past its end
        rejected(() -> BLAS.sgemm(false, false, 2, 4, 3, 1f, a, 0, 3, b, 1, 4, 0f, c, 0, 4), "B (stored 3 x 4)", "offset 1", "12 elements");
        // transposed A: stored K x M, so lda must cover M
        rejected(() -> BLAS.sgemm(true, false, 4, 4, 3, 1f, new float[12], 0, 3, b, 0, 4, 0f, new float[16], 0, 4),
                "A (transposed, stored 3 x 4)", "lda = 3", "max(1, 4)");
        rejected(() -> BLAS.sgemm(false, false, -1, 4, 3, 1f, a, 0, 3, b, 0, 4, 0f, c, 0, 4), "dimensions must be >= 0", "M = -1");
        rejected(() -> BLAS.sgemm(false, false, 2, 4, 3, 1f, a, -1, 3, b, 0, 4, 0f, c, 0, 4), "offset -1");
        rejected(() -> BLAS.sgemm(false, false, 2, 4, 3, 1f, null, 0, 3, b, 0, 4, 0f, c, 0, 4), "A", "no array");
        rejected(() -> BLAS.dgemm(false, false, 2, 4, 3, 1.0, new double[6], 0, 3, new double[11], 0, 4, 0.0, new double[8], 0, 4),
                "cblas_dgemm", "B (stored 3 x 4)", "11 elements");
        rejected(() -> BLAS.sgemm(false, false, 2, 4, 3, 1f, a, 0, 3, b, 0, 4, 0f, c, 0, 3), "ldc = 3");
    }

    @Test
    void blasThreadsFollowGraftsThreadCount() {
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            float[] x = new float[64 * 64];
            BLAS.sgemm(false, false, 64, 64, 64, 1f, x, 0, 64, x, 0, 64, 0f, new float[64 * 64], 0, 64);
            if (BLAS.threads() >= 0) {
                assertEquals(1, BLAS.threads());
            }
        } finally {
            Parallel.setThreads(before);
        }
        float[] x = new float[4];
        BLAS.sgemm(false, false, 2, 2, 2, 1f, x, 0, 2, x, 0, 2, 0f, new float[4], 0, 2);
        if (BLAS.threads() >= 0) {
            assertEquals(Math.min(before, 64), BLAS.threads(), "restored (OpenBLAS caps at its MAX_THREADS)");
        }
    }
}
