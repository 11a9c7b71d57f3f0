package dev.graft.nativeblas;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Parallel;
import dev.graft.tensor.backend.scalar.ScalarBackendProvider;
import dev.graft.tensor.backend.simd.VectorBackendProvider;
import dev.graft.tensor.spi.Backend;
import dev.graft.tensor.spi.BinaryOp;
import dev.graft.tensor.spi.ReduceOp;
import dev.graft.tensor.spi.UnaryOp;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The Java backend with matrix products handed to a CBLAS library. Every primitive is delegated
 * to the pure-Java backend ({@code java-simd}, or {@code scalar} without the Vector API) except
 * {@link #matmul} where BLAS measured faster: float32 only when the Java backend lacks the Vector
 * API SGEMM (which now matches OpenBLAS), float64 by {@link #auto} (from M*N*K =
 * {@value #DEFAULT_CROSSOVER} up, except a thin inner dimension, batches of mid-size products,
 * which the Java kernel runs in parallel, and few-row products on one thread).
 * {@code -Dgraft.matmul=java|blas} forces a path.
 *
 * <p>Operands go to BLAS without a copy when each matrix is row-major or column-major with unit
 * stride in one dimension (a transposed view becomes {@code CblasTrans}); any other layout
 * (negative or zero strides, steps in both dimensions) is copied into a contiguous scratch
 * matrix first. Batches are a loop of GEMM calls, each threaded by the library.
 */
public final class BlasBackend implements Backend {
    /** Which implementation runs matmul: decided by size, or forced. */
    public enum MatmulPath {
        AUTO, JAVA, BLAS
    }

    /** {@code -Dgraft.matmul=java|blas|auto}. */
    public static final String PATH_PROPERTY = "graft.matmul";
    /** {@code -Dgraft.blas.crossover=N}: the smallest per-batch M*N*K that goes to BLAS. */
    public static final String CROSSOVER_PROPERTY = "graft.blas.crossover";
    /**
     * The smallest M*N*K that goes to BLAS by default. Measured with BlasBench on a 2-core AMD EPYC
     * (Zen 4), OpenBLAS 0.3.31 (Cooperlake kernels) against java-simd as of 26 November 2026: the
     * two tie at 2^3, BLAS is faster from 4^3 up (0.32 vs 0.48 us per Tensor.matmul). Re-measure
     * when the Java GEMM changes (kernels-native/bench/run-blas-bench.sh).
     */
    public static final long DEFAULT_CROSSOVER = 4L * 4 * 4;

    private final Cblas blas;
    private final Backend java;
    private final MatmulPath path;
    private final long crossover;

    /** The Java backend is the Vector API one, whose SGEMM matches OpenBLAS here (see {@link #usesBlas(DType, int, int, int, int)}). */
    private final boolean javaSgemmIsFast;

    BlasBackend(Cblas blas, Backend java, MatmulPath path, long crossover) {
        this.javaSgemmIsFast = java.name().equals("java-simd");
        this.blas = blas;
        this.java = java;
        this.path = path;
        this.crossover = crossover;
    }

    /**
     * A backend over the BLAS this JVM found ({@link Cblas#find()}), with {@code path} forcing
     * or not the matmul route and the crossover from {@code -Dgraft.blas.crossover}; empty when no
     * BLAS library could be loaded.
     */
    public static Optional<BlasBackend> create(MatmulPath path) {
        return Cblas.find().map(c -> new BlasBackend(c, javaBackend(), path, crossoverFromSystem()));
    }

    /** The backend every non-matmul primitive goes to: java-simd when the Vector API is there, else scalar. */
    static Backend javaBackend() {
        return new VectorBackendProvider().create()
                .or(() -> new ScalarBackendProvider().create())
                .orElseThrow(() -> new IllegalStateException("neither java-simd nor scalar backend is available"));
    }

    static MatmulPath pathFromSystem() {
        String p = System.getProperty(PATH_PROPERTY);
        if (p == null || p.isBlank()) {
            return MatmulPath.AUTO;
        }
        return switch (p.trim().toLowerCase(Locale.ROOT)) {
            case "auto" -> MatmulPath.AUTO;
            case "java" -> MatmulPath.JAVA;
            case "blas" -> MatmulPath.BLAS;
            default -> throw new IllegalArgumentException("-D" + PATH_PROPERTY + " must be java, blas or auto, got '" + p + "'");
        };
    }

    static long crossoverFromSystem() {
        String p = System.getProperty(CROSSOVER_PROPERTY);
        if (p == null || p.isBlank()) {
            return DEFAULT_CROSSOVER;
        }
        try {
            long v = Long.parseLong(p.trim());
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // the error below says what is expected
        }
        throw new IllegalArgumentException("-D" + CROSSOVER_PROPERTY + " must be a number >= 0 (M*N*K), got '" + p + "'");
    }

    /** The library behind this backend. */
    public Cblas blas() {
        return blas;
    }

    public MatmulPath path() {
        return path;
    }

    public long crossover() {
        return crossover;
    }

    /** True when a single float32/float64 product [m, k] @ [k, n] runs in BLAS. */
    public boolean usesBlas(int m, int n, int k) {
        return usesBlas(1, m, n, k);
    }

    /**
     * True when {@code batches} products [m, k] @ [k, n] of {@code dt} run in BLAS. In AUTO,
     * float32 stays in Java when the Java backend is the Vector API one: its SGEMM measured
     * 0.88-2.35x OpenBLAS's AVX-512 (Cooperlake) kernels on one thread and about 1.0x on two
     * (bench/RESULTS.md, "SGEMM: the pure-Java kernel against OpenBLAS"), and these machines run
     * OpenBLAS with OPENBLAS_CORETYPE=Haswell (AVX2, about half that). float64 follows {@link #auto}:
     * Java's DGEMM is still a plain loop.
     */
    public boolean usesBlas(DType dt, int batches, int m, int n, int k) {
        if (path == MatmulPath.AUTO && dt == DType.FLOAT32 && javaSgemmIsFast) {
            return false;
        }
        return usesBlas(batches, m, n, k);
    }

    /** True when {@code batches} float64 products [m, k] @ [k, n] run in BLAS (with Graft's thread count); float32: see the dtype overload. */
    public boolean usesBlas(int batches, int m, int n, int k) {
        return switch (path) {
            case JAVA -> false;
            case BLAS -> true;
            case AUTO -> auto(batches, m, n, k, Parallel.threads());
        };
    }

    /**
     * The measured rule (docs/ARCHITECTURE.md, "Native BLAS and CUDA"; numbers in bench/RESULTS.md),
     * per {@code Tensor.matmul} on 2 threads unless noted; the first rule that matches decides:
     * <ol>
     *   <li>M*N*K below {@code crossover} (64): Java; at 2^3 the two tie (0.36 us, all overhead);</li>
     *   <li>a thin inner dimension, K &lt;= 32 with M*N &gt;= 2^16: Java (512 x 16 @ 16 x 512: Java
     *       0.23 ms, BLAS 0.40-0.49 ms; 1024 x 16 @ 16 x 1024: 0.63 vs 1.72 ms);</li>
     *   <li>a batch of at least {@code threads} (&gt; 1) products of 2^18 &lt; M*N*K &lt; 2^23 each:
     *       Java, which runs the batches in parallel, where OpenBLAS threads (and synchronises)
     *       every call (96 x [128 x 64] @ [64 x 128]: Java 2.6 ms, BLAS 4.7 ms); smaller products
     *       run single-threaded in OpenBLAS and win (64 x 32^3: BLAS 0.06 ms, Java 0.16 ms);</li>
     *   <li>on one thread, M &lt;= 16 against K*N &gt;= 2^16: Java, which streams B once where
     *       OpenBLAS packs all of B first (1 x 1024 @ 1024 x 1024 on 1 thread: Java 0.17 ms, BLAS
     *       0.46 ms; on 2 threads BLAS wins, 0.26 vs 0.34 ms);</li>
     *   <li>everything else: BLAS (4^3: 0.32 vs 0.48 us; 64^3: 6.6 vs 8.7 us; 256^3: 0.21 vs 0.43 ms;
     *       512^3 ties; 1024 x 1024 @ 1024 x 1: 0.14 vs 1.75 ms).</li>
     * </ol>
     */
    boolean auto(int batches, int m, int n, int k, int threads) {
        long mnk = (long) m * n * k;
        if (mnk < crossover) {
            return false;
        }
        if (k <= 32 && (long) m * n >= (1L << 16)) {
            return false;
        }
        if (threads > 1 && batches >= threads && mnk > (1L << 18) && mnk < (1L << 23)) {
            return false;
        }
        if (threads == 1 && m <= 16 && (long) k * n >= (1L << 16)) {
            return false;
        }
        return true;
    }

    /** Whether float32 matmul stays in the Java backend under AUTO. */
    public boolean javaSgemmIsFast() {
        return javaSgemmIsFast;
    }

    @Override
    public String name() {
        return "blas";
    }

    @Override
    public String description() {
        String lib = blas.config().isEmpty() ? blas.location() : firstWords(blas.config(), 2);
        String core = blas.corename().isEmpty() ? "" : "core " + blas.corename() + ", ";
        String route = switch (path) {
            case JAVA -> "matmul forced to " + java.name() + " by -D" + PATH_PROPERTY + "=java";
            case BLAS -> "float32/float64 matmul forced to BLAS by -D" + PATH_PROPERTY + "=blas";
            case AUTO -> (javaSgemmIsFast ? "float64" : "float32/float64") + " matmul with M*N*K >= " + crossover
                    + " (except thin-K, mid-size batched and one-thread row-vector shapes)";
        };
        return lib + " (" + core + Math.max(blas.threads(), 0) + " threads) for " + route + "; everything else "
                + java.name();
    }

    private static String firstWords(String s, int n) {
        String[] w = s.split("\\s+");
        return String.join(" ", Arrays.copyOf(w, Math.min(n, w.length)));
    }

    /**
     * How a [rows x cols] matrix with strides (rs, cs) is handed to row-major BLAS without a copy:
     * as stored (ld = rs, unit column stride) or transposed (ld = cs, unit row stride); null when
     * neither fits. A dimension of size 1 is never stepped along, so its stride is free.
     */
    record Operand(boolean trans, int ld) {
        static Operand of(int rows, int cols, int rs, int cs) {
            if ((cs == 1 || cols <= 1) && (rows <= 1 || rs >= Math.max(1, cols))) {
                return new Operand(false, rows <= 1 ? Math.max(1, cols) : rs);
            }
            if ((rs == 1 || rows <= 1) && (cols <= 1 || cs >= Math.max(1, rows))) {
                return new Operand(true, cols <= 1 ? Math.max(1, rows) : cs);
            }
            return null;
        }
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        DType dt = a.dtype();
        int rank = a.dim();
        int[] as = a.shape();
        int m = as[rank - 2];
        int k = as[rank - 1];
        int n = b.shape()[rank - 1];
        int[] ost = out.strides();
        boolean floating = (dt == DType.FLOAT32 || dt == DType.FLOAT64) && b.dtype() == dt && out.dtype() == dt;
        int batchRank = rank - 2;
        int batches = 1;
        for (int d = 0; d < batchRank; d++) {
            batches *= as[d];
        }
        if (!floating || m == 0 || n == 0 || k == 0 || !usesBlas(dt, batches, m, n, k)
                || (n > 1 && ost[rank - 1] != 1) || (m > 1 && ost[rank - 2] < n)
                || (long) m * k > Integer.MAX_VALUE - 8 || (long) k * n > Integer.MAX_VALUE - 8) {
            java.matmul(a, b, out); // also k = 0: the Java kernel writes the zeros
            return;
        }
        int[] ast = a.strides();
        int[] bst = b.strides();
        int ldc = m > 1 ? ost[rank - 2] : n;
        Operand la = Operand.of(m, k, ast[rank - 2], ast[rank - 1]);
        Operand lb = Operand.of(k, n, bst[rank - 2], bst[rank - 1]);
        Object aArr = a.storage().array();
        Object bArr = b.storage().array();
        Object cArr = out.storage().array();
        boolean f32 = dt == DType.FLOAT32;
        Operand ua = la != null ? la : new Operand(false, k);
        Operand ub = lb != null ? lb : new Operand(false, n);
        // operands BLAS cannot read in place are copied into a scratch matrix, reused across batches;
        // a broadcast one (batch stride 0) is copied once, not once per batch.
        // (Spreading small products over Graft's pool instead was measured: on 2 cores it lost more
        // to waking the pool and to OpenBLAS's buffer allocation than it gained.)
        Object aScratch = la != null ? null : f32 ? new float[m * k] : new double[m * k];
        Object bScratch = lb != null ? null : f32 ? new float[k * n] : new double[k * n];
        int aGathered = -1;
        int bGathered = -1;
        for (int bi = 0; bi < batches; bi++) { // one product after another, each threaded by the library
            int ao = a.offset();
            int bo = b.offset();
            int co = out.offset();
            for (int d = batchRank - 1, r = bi; d >= 0; d--) {
                int idx = r % as[d];
                r /= as[d];
                ao += idx * ast[d];
                bo += idx * bst[d];
                co += idx * ost[d];
            }
            Object aa = aArr;
            Object bb = bArr;
            if (aScratch != null) {
                if (ao != aGathered) {
                    gather(aArr, ao, ast[rank - 2], ast[rank - 1], m, k, aScratch);
                    aGathered = ao;
                }
                aa = aScratch;
                ao = 0;
            }
            if (bScratch != null) {
                if (bo != bGathered) {
                    gather(bArr, bo, bst[rank - 2], bst[rank - 1], k, n, bScratch);
                    bGathered = bo;
                }
                bb = bScratch;
                bo = 0;
            }
            if (f32) {
                blas.sgemm(ua.trans(), ub.trans(), m, n, k, 1f, (float[]) aa, ao, ua.ld(), (float[]) bb, bo, ub.ld(),
                        0f, (float[]) cArr, co, ldc);
            } else {
                blas.dgemm(ua.trans(), ub.trans(), m, n, k, 1.0, (double[]) aa, ao, ua.ld(), (double[]) bb, bo, ub.ld(),
                        0.0, (double[]) cArr, co, ldc);
            }
        }
    }

    /** Copies the strided [rows x cols] matrix at {@code off} into the row-major {@code dst}. */
    private static void gather(Object src, int off, int rs, int cs, int rows, int cols, Object dst) {
        if (src instanceof float[] s) {
            float[] d = (float[]) dst;
            for (int i = 0; i < rows; i++) {
                int si = off + i * rs;
                int di = i * cols;
                for (int j = 0; j < cols; j++) {
                    d[di + j] = s[si + j * cs];
                }
            }
        } else {
            double[] s = (double[]) src;
            double[] d = (double[]) dst;
            for (int i = 0; i < rows; i++) {
                int si = off + i * rs;
                int di = i * cols;
                for (int j = 0; j < cols; j++) {
                    d[di + j] = s[si + j * cs];
                }
            }
        }
    }

    // ---- everything else: the Java backend ----

    @Override
    public void unary(UnaryOp op, double p0, double p1, Tensor x, Tensor out) {
        java.unary(op, p0, p1, x, out);
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        java.binary(op, a, b, out);
    }

    @Override
    public void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        java.where(cond, a, b, out);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        java.copy(src, dst);
    }

    @Override
    public void fill(Tensor dst, double value) {
        java.fill(dst, value);
    }

    @Override
    public void reduce(ReduceOp op, Tensor x, Tensor out, Tensor indices) {
        java.reduce(op, x, out, indices);
    }

    @Override
    public void unfold2d(Tensor x, int[] g, double padValue, Tensor out) {
        java.unfold2d(x, g, padValue, out);
    }

    @Override
    public void fold2d(Tensor cols, int[] g, Tensor out) {
        java.fold2d(cols, g, out);
    }

    @Override
    public void gather(Tensor x, int dim, Tensor index, Tensor out) {
        java.gather(x, dim, index, out);
    }

    @Override
    public void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        java.scatterAdd(dst, dim, index, src);
    }

    @Override
    public void indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        java.indexSelect(x, dim, index, out);
    }

    @Override
    public void sort(Tensor x, boolean descending, Tensor values, Tensor indices) {
        java.sort(x, descending, values, indices);
    }

    @Override
    public void cumsum(Tensor x, Tensor out) {
        java.cumsum(x, out);
    }
}
