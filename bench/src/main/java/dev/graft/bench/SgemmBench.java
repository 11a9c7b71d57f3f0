package dev.graft.bench;

import dev.graft.nativeblas.Cblas;
import dev.graft.tensor.Gemm;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Parallel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * SGEMM side by side: Graft's pure-Java kernel ({@link Gemm#sgemm}, the checked array entry point)
 * and OpenBLAS's {@code cblas_sgemm} through FFM ({@link Cblas}, about 20 ns per call more than
 * from C; see RESULTS.md), on the same preallocated row-major float[] operands, C = A B, in the
 * same JVM and the same run, with the same thread count ({@code -p threads}). Shapes are
 * "MxKxN": the squares and the BERT-small layers (M tokens x 384 x 1536 and back, batch-1
 * vectors; a trailing "t" means B is stored transposed, N x K, as a Linear layer's weight is used in
 * x W^T). Run through {@code bench/gemm-compare.sh}, which unsets OPENBLAS_CORETYPE and
 * OPENBLAS_L2_SIZE for its own command (so OpenBLAS picks its kernels from the CPU) and prints
 * Graft/OpenBLAS ratios.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "-Dgraft.blas.library=bundled"})
public class SgemmBench {

    @State(Scope.Benchmark)
    public static class Operands {
        @Param({"64x64x64", "128x128x128", "256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048",
            "1x384x384", "1x384x1536", "16x384x1536", "32x384x1536", "64x384x1536", "128x384x1536", "256x384x1536",
            "512x384x1536", "16x1536x384", "512x1536x384", "1x384x384t", "16x384x1536t", "128x384x1536t", "512x384x1536t",
            "16x1536x384t"})
        public String shape;

        @Param({"java", "blas"})
        public String impl;

        @Param({"1", "2"})
        public int threads;

        int m;
        int n;
        int k;
        boolean tb;
        float[] a;
        float[] b;
        float[] c;
        Cblas blas;

        @Setup(Level.Trial)
        public void setup() {
            tb = shape.endsWith("t");
            String[] p = shape.replace("t", "").split("x");
            m = Integer.parseInt(p[0]);
            k = Integer.parseInt(p[1]);
            n = Integer.parseInt(p[2]);
            a = Tensor.randn(new Generator(1), m, k).toFloatArray();
            b = Tensor.randn(new Generator(2), k, n).toFloatArray(); // N x K when tb: the same numbers, read transposed
            c = new float[m * n];
            Parallel.setThreads(threads);
            if (impl.equals("blas")) {
                blas = Cblas.find().orElseThrow(() -> new IllegalStateException("no BLAS: " + Cblas.unavailableReason()));
                System.err.println("SgemmBench: " + blas);
            } else if (!impl.equals("java")) {
                throw new IllegalArgumentException("impl must be java or blas, got " + impl);
            }
        }
    }

    @Benchmark
    public float[] sgemm(Operands s) {
        if (s.blas != null) {
            s.blas.sgemm(false, s.tb, s.m, s.n, s.k, 1f, s.a, 0, s.k, s.b, 0, s.tb ? s.k : s.n, 0f, s.c, 0, s.n);
        } else {
            Gemm.sgemm(false, s.tb, s.m, s.n, s.k, 1f, s.a, 0, s.k, s.b, 0, s.tb ? s.k : s.n, 0f, s.c, 0, s.n);
        }
        return s.c;
    }
}
