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
 * Elementwise ops over 2^20 float32 elements (a contiguous [1024, 1024] tensor, 4 MiB per operand),
 * through the public Tensor API, so each call includes allocating its 4 MiB output. At this size
 * the simple ops are bound by memory bandwidth, exp and gelu by arithmetic.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ElementwiseBench {
    static final int ROWS = 1024;
    static final int COLS = 1024;

    @Param({"java-simd", "scalar"})
    public String backend;

    /** Kernel threads; the scalar backend ignores it, so its two rows measure the same code (a noise check). */
    @Param({"1", "2"})
    public int threads;

    private Backend impl;
    private Tensor x;
    private Tensor y;
    private Tensor row;

    @Setup
    public void setup() {
        impl = Fixtures.backend(backend);
        Fixtures.threads(threads);
        x = Fixtures.randn(1, ROWS, COLS);
        y = Fixtures.randn(2, ROWS, COLS);
        row = Fixtures.randn(3, COLS);
    }

    /** x + y, same shape. */
    @Benchmark
    public Tensor add() {
        return Fixtures.on(impl, () -> x.add(y));
    }

    /** [1024, 1024] + [1024]: the bias add of a Linear layer (the row is broadcast with stride 0). */
    @Benchmark
    public Tensor addRow() {
        return Fixtures.on(impl, () -> x.add(row));
    }

    /** x * 0.5, a Java scalar operand. */
    @Benchmark
    public Tensor mulScalar() {
        return Fixtures.on(impl, () -> x.mul(0.5));
    }

    @Benchmark
    public Tensor exp() {
        return Fixtures.on(impl, () -> x.exp());
    }

    /** Exact (erf) GELU, BERT's activation. */
    @Benchmark
    public Tensor gelu() {
        return Fixtures.on(impl, () -> x.gelu());
    }

    @Benchmark
    public Tensor relu() {
        return Fixtures.on(impl, () -> x.relu());
    }
}
