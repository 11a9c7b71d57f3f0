package dev.graft.bench;

import dev.graft.nativeblas.Cblas;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.spi.Backend;
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
 * float64 square GEMM, n x n @ n x n into a preallocated C: Graft's {@code java-simd} backend
 * ({@code Backend.matmul} on float64 tensors, the path autograd's float64 products take) against
 * OpenBLAS's {@code cblas_dgemm} through FFM on the same arrays. Only public backend API is used, so
 * the same class times the code before and after a change to the float64 kernel. Unset
 * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for the command so OpenBLAS picks its kernels from the CPU.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "-Dgraft.blas.library=bundled"})
public class DgemmBench {

    @State(Scope.Benchmark)
    public static class Operands {
        @Param({"64", "256", "512", "1024"})
        public int n;

        @Param({"java", "blas"})
        public String impl;

        @Param({"1"})
        public int threads;

        Backend backend;
        Cblas blas;
        Tensor a;
        Tensor b;
        Tensor c;

        @Setup(Level.Trial)
        public void setup() {
            Fixtures.threads(threads);
            a = Fixtures.randn(1, n, n).to(DType.FLOAT64);
            b = Fixtures.randn(2, n, n).to(DType.FLOAT64);
            c = Tensor.zeros(DType.FLOAT64, n, n);
            if (impl.equals("blas")) {
                blas = Cblas.find().orElseThrow(() -> new IllegalStateException("no BLAS: " + Cblas.unavailableReason()));
            } else if (impl.equals("java")) {
                backend = Fixtures.backend("java-simd");
            } else {
                throw new IllegalArgumentException("impl must be java or blas, got " + impl);
            }
        }
    }

    @Benchmark
    public Tensor dgemm(Operands s) {
        if (s.blas != null) {
            int n = s.n;
            s.blas.dgemm(false, false, n, n, n, 1.0, (double[]) s.a.storage().array(), 0, n,
                    (double[]) s.b.storage().array(), 0, n, 0.0, (double[]) s.c.storage().array(), 0, n);
        } else {
            s.backend.matmul(s.a, s.b, s.c);
        }
        return s.c;
    }
}
