package dev.graft.bench;

import dev.graft.nativeblas.Cblas;
import dev.graft.tensor.DType;
import dev.graft.tensor.Gemm;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Parallel;
import dev.graft.tensor.spi.Backend;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * Graft's SGEMM against OpenBLAS on a shared, noisy machine: the two run in alternation, in short
 * windows (default 0.2 s each, 9 pairs per shape after a 1.5 s warm-up), so that both see the same
 * load, and the ratio is taken per pair (Graft throughput / OpenBLAS throughput in the same pair,
 * median over pairs). JMH ({@link SgemmBench}) runs each configuration for seconds at a time, so on a
 * loaded machine its Graft and OpenBLAS rows can be minutes apart under different load.
 *
 * <pre>
 * env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *   -Dgraft.blas.library=bundled -cp bench/target/benchmarks.jar dev.graft.bench.GemmRatio THREADS SHAPE...
 * </pre>
 * SHAPE is MxKxN (row-major B) or MxKxNt (B stored transposed, N x K: a Linear weight used as W^T).
 * Prints one line per shape: median GFLOP/s of each (and the best window), the median pair ratio, its
 * range, and the CPU other processes used meanwhile (as {@link ContentionProfiler} measures it). -Dwindow=seconds and -Dpairs=N change the schedule;
 * -Dfloat64=true times the float64 product (the java-simd backend's matmul on float64 tensors) against cblas_dgemm.
 */
public final class GemmRatio {
    private GemmRatio() {
    }

    private interface Call {
        void run();
    }

    /** Median seconds per call over a window of about {@code seconds}. */
    private static double window(Call c, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        double[] t = new double[1 << 14];
        int n = 0;
        do {
            long t0 = System.nanoTime();
            c.run();
            t[n++] = (System.nanoTime() - t0) * 1e-9;
        } while (System.nanoTime() < end && n < t.length);
        double[] s = Arrays.copyOf(t, n);
        Arrays.sort(s);
        return s[n / 2];
    }

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: GemmRatio THREADS MxKxN[t]...");
            System.exit(64);
        }
        int threads = Integer.parseInt(args[0]);
        Parallel.setThreads(threads);
        Cblas blas = Cblas.find().orElseThrow(() -> new IllegalStateException("no BLAS: " + Cblas.unavailableReason()));
        boolean float64 = Boolean.getBoolean("float64");
        double win = Double.parseDouble(System.getProperty("window", "0.2"));
        int pairs = Integer.parseInt(System.getProperty("pairs", "9"));
        System.out.println("# " + blas + (float64 ? "; float64 (java-simd matmul vs dgemm)" : "") + "; threads " + threads + "; " + pairs + " pairs of " + win + " s windows");
        for (int ai = 1; ai < args.length; ai++) {
            boolean tb = args[ai].endsWith("t");
            String[] d = args[ai].replace("t", "").split("x");
            int m = Integer.parseInt(d[0]);
            int k = Integer.parseInt(d[1]);
            int n = Integer.parseInt(d[2]);
            Random r = new Random(1);
            float[] a = new float[m * k];
            float[] b = new float[k * n];
            float[] c1 = new float[m * n];
            float[] c2 = new float[m * n];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) r.nextGaussian();
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) r.nextGaussian();
            }
            int ldb = tb ? k : n;
            Call java = () -> Gemm.sgemm(false, tb, m, n, k, 1f, a, 0, k, b, 0, ldb, 0f, c1, 0, n);
            Call ob = () -> blas.sgemm(false, tb, m, n, k, 1f, a, 0, k, b, 0, ldb, 0f, c2, 0, n);
            if (float64) {
                // the float64 product as autograd runs it: the java-simd backend's matmul on float64 tensors
                Tensor ta = Tensor.fromArray(a, m, k).to(DType.FLOAT64);
                Tensor tbt = Tensor.fromArray(b, tb ? n : k, tb ? k : n).to(DType.FLOAT64);
                Tensor tbv = tb ? tbt.transpose(0, 1) : tbt;
                Tensor tc = Tensor.zeros(DType.FLOAT64, m, n);
                Backend be = Fixtures.backend("java-simd");
                double[] da = (double[]) ta.storage().array();
                double[] db = (double[]) tbt.storage().array();
                double[] dc = new double[m * n];
                java = () -> be.matmul(ta, tbv, tc);
                ob = () -> blas.dgemm(false, tb, m, n, k, 1.0, da, 0, k, db, 0, ldb, 0.0, dc, 0, n);
            }
            window(java, 1.5);
            window(ob, 0.5);
            double flop = 2.0 * m * n * k;
            double[] gj = new double[pairs];
            double[] gb = new double[pairs];
            double[] ratio = new double[pairs];
            long[] before = ContentionProfiler.sample();
            for (int q = 0; q < pairs; q++) {
                // alternate which goes first, so neither always follows the other
                if (q % 2 == 0) {
                    gj[q] = flop / window(java, win) * 1e-9;
                    gb[q] = flop / window(ob, win) * 1e-9;
                } else {
                    gb[q] = flop / window(ob, win) * 1e-9;
                    gj[q] = flop / window(java, win) * 1e-9;
                }
                ratio[q] = gj[q] / gb[q];
            }
            double other = ContentionProfiler.otherCores(before, ContentionProfiler.sample());
            double[] sj = gj.clone();
            double[] sb = gb.clone();
            double[] sr = ratio.clone();
            Arrays.sort(sj);
            Arrays.sort(sb);
            Arrays.sort(sr);
            System.out.println(String.format(Locale.ROOT,
                    "%-15s threads %d  graft %6.1f (best %6.1f)  openblas %6.1f (best %6.1f) GFLOP/s  ratio %.2f [%.2f..%.2f]"
                            + "  other load %.2f cores",
                    args[ai], threads, sj[pairs / 2], sj[pairs - 1], sb[pairs / 2], sb[pairs - 1], sr[pairs / 2], sr[0],
                    sr[pairs - 1], other));
        }
    }
}
