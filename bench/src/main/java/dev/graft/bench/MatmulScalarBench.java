package dev.graft.bench;

import dev.graft.tensor.Tensor;
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
 * The control for {@link MatmulBench}: the same products on the scalar reference backend, at the
 * sizes where it finishes in a reasonable time (it is a triple loop, single-threaded, so n = 1024
 * would take seconds per call). Method names and inputs match MatmulBench's, so the summary can
 * pair the rows and print the java-simd / scalar ratio.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatmulScalarBench {

    @State(Scope.Benchmark)
    public static class Square {
        @Param({"scalar"})
        public String backend;

        @Param({"64", "128", "256"})
        public int n;

        /** The scalar backend never uses the pool; the parameter is here so rows pair with MatmulBench's. */
        @Param({"1"})
        public int threads;

        Backend impl;
        Tensor a;
        Tensor b;

        @Setup
        public void setup() {
            impl = Fixtures.backend(backend);
            Fixtures.threads(threads);
            a = Fixtures.randn(1, n, n);
            b = Fixtures.randn(2, n, n);
        }
    }

    @State(Scope.Benchmark)
    public static class Bert {
        @Param({"scalar"})
        public String backend;

        @Param({"1"})
        public int threads;

        Backend impl;
        Tensor x;
        Tensor w;

        @Setup
        public void setup() {
            impl = Fixtures.backend(backend);
            Fixtures.threads(threads);
            x = Fixtures.randn(3, MatmulBench.Bert.TOKENS, MatmulBench.Bert.HIDDEN);
            w = Fixtures.randn(4, MatmulBench.Bert.HIDDEN, MatmulBench.Bert.FFN);
        }
    }

    @Benchmark
    public Tensor square(Square s) {
        return Fixtures.on(s.impl, () -> s.a.matmul(s.b));
    }

    @Benchmark
    public Tensor bertFfn(Bert s) {
        return Fixtures.on(s.impl, () -> s.x.matmul(s.w));
    }
}
