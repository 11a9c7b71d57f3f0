package dev.graft.bench;

import dev.graft.nativeblas.BlasBackend;
import dev.graft.nativeblas.Cblas;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * Native BLAS through FFM (kernels-native), run by {@code kernels-native/bench/run-blas-bench.sh}
 * next to the same OpenBLAS called from C ({@code kernels-native/bench/sgemm.c}):
 * <ul>
 *   <li>{@code sgemmFfm}: {@code Cblas.sgemm} on preallocated float[] n x n operands: the FFM
 *       binding alone, directly comparable with the C program's cblas_sgemm;</li>
 *   <li>{@code matmulBlas} / {@code matmulJava}: {@code Tensor.matmul} (allocating its output, as
 *       in a model) on the blas backend with BLAS forced, and on the pure-Java backend, over
 *       square and model-shaped products: the crossover behind {@link BlasBackend#DEFAULT_CROSSOVER};</li>
 *   <li>{@code downcallOnly}: {@code openblas_get_num_threads()}, a native call that does no work:
 *       the floor of FFM's per-call cost.</li>
 * </ul>
 * The blas backend is built here rather than found through ServiceLoader (the benchmarks jar does
 * not register it, so other benchmarks keep the pure-Java default).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class BlasBench {

    /** Square operands as plain arrays, for the raw binding. */
    @State(Scope.Benchmark)
    public static class Arrays {
        @Param({"1", "2", "4", "8", "64", "256", "1024", "2048"})
        public int n;

        Cblas blas;
        float[] a;
        float[] b;
        float[] c;

        @Setup
        public void setup() {
            blas = Cblas.get();
            a = Tensor.randn(new Generator(1), n, n).toFloatArray();
            b = Tensor.randn(new Generator(2), n, n).toFloatArray();
            c = new float[n * n];
            System.err.println("BlasBench: " + blas);
        }
    }

    /** [m, k] @ [k, n] tensors ("MxKxN"), or a batch of them ("BxMxKxN"). */
    @State(Scope.Benchmark)
    public static class Product {
        @Param({"2x2x2", "4x4x4", "8x8x8", "16x16x16", "32x32x32", "64x64x64", "128x128x128", "256x256x256", "512x512x512",
            "1x1024x1024", "4x1024x1024", "16x1024x1024", "1024x1024x1", "512x16x512", "128x384x1536",
            "64x32x32x32", "96x128x64x128"})
        public String shape;

        Backend blas;
        Backend java;
        Tensor a;
        Tensor b;

        @Setup
        public void setup() {
            String[] p = shape.split("x");
            int o = p.length - 3; // "BxMxKxN": a batch of B products
            int m = Integer.parseInt(p[o]);
            int k = Integer.parseInt(p[o + 1]);
            int n = Integer.parseInt(p[o + 2]);
            blas = BlasBackend.create(BlasBackend.MatmulPath.BLAS)
                    .orElseThrow(() -> new IllegalStateException("no BLAS: " + Cblas.unavailableReason()));
            java = Backends.available().stream().filter(x -> x.name().equals("java-simd")).findFirst().orElseThrow();
            if (o == 0) {
                a = Tensor.randn(new Generator(3), m, k);
                b = Tensor.randn(new Generator(4), k, n);
            } else {
                int batch = Integer.parseInt(p[0]);
                a = Tensor.randn(new Generator(3), batch, m, k);
                b = Tensor.randn(new Generator(4), batch, k, n);
            }
        }
    }

    @Benchmark
    public float[] sgemmFfm(Arrays s) {
        s.blas.sgemm(false, false, s.n, s.n, s.n, 1f, s.a, 0, s.n, s.b, 0, s.n, 0f, s.c, 0, s.n);
        return s.c;
    }

    /** The library alone, for the empty downcall. */
    @State(Scope.Benchmark)
    public static class Lib {
        Cblas blas;

        @Setup
        public void setup() {
            blas = Cblas.get();
        }
    }

    @Benchmark
    public int downcallOnly(Lib s) {
        return s.blas.threads();
    }

    @Benchmark
    public Tensor matmulBlas(Product s) {
        return Backends.with(s.blas, () -> s.a.matmul(s.b));
    }

    @Benchmark
    public Tensor matmulJava(Product s) {
        return Backends.with(s.java, () -> s.a.matmul(s.b));
    }
}
