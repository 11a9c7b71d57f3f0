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
 * float32 GEMM on the fast backend: square n x n @ n x n, and the shape of a BERT-small
 * feed-forward layer ([128, 384] @ [384, 1536]: 128 tokens into a 4x-wide hidden layer).
 * Each call allocates its output, as {@code Tensor.matmul} does in a model. The scalar
 * reference is timed at the small sizes only, in {@link MatmulScalarBench}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
// Until C2 has compiled the GEMM kernel a call at n >= 512 can take seconds (seen on a loaded 2-core
// machine, where the compiler threads get little CPU), and then one warmup iteration is one call.
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatmulBench {

    /** Operands of a square product. */
    @State(Scope.Benchmark)
    public static class Square {
        @Param({"java-simd"})
        public String backend;

        @Param({"64", "128", "256", "512", "1024"})
        public int n;

        @Param({"1", "2"})
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

    /** Operands of the BERT-small feed-forward product. */
    @State(Scope.Benchmark)
    public static class Bert {
        public static final int TOKENS = 128;
        public static final int HIDDEN = 384;
        public static final int FFN = 1536;

        @Param({"java-simd"})
        public String backend;

        @Param({"1", "2"})
        public int threads;

        Backend impl;
        Tensor x;
        Tensor w;

        @Setup
        public void setup() {
            impl = Fixtures.backend(backend);
            Fixtures.threads(threads);
            x = Fixtures.randn(3, TOKENS, HIDDEN);
            w = Fixtures.randn(4, HIDDEN, FFN);
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
