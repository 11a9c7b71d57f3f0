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
 * Reductions over 2^20 float32 elements, along each kind of axis (every element, the contiguous
 * last axis, the strided first axis), and softmax over the last axis of an attention-score-sized
 * [256, 1024] tensor (a composite: max, subtract, exp, sum, divide), with its max step alone.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ReductionBench {
    @Param({"java-simd", "scalar"})
    public String backend;

    /** Kernel threads; the scalar backend ignores it, so its two rows measure the same code (a noise check). */
    @Param({"1", "2"})
    public int threads;

    private Backend impl;
    private Tensor flat;
    private Tensor square;
    private Tensor scores;

    @Setup
    public void setup() {
        impl = Fixtures.backend(backend);
        Fixtures.threads(threads);
        flat = Fixtures.randn(1, 1 << 20);
        square = Fixtures.randn(2, 1024, 1024);
        scores = Fixtures.randn(3, 256, 1024);
    }

    /** Sum of all 2^20 elements to a 0-d tensor. */
    @Benchmark
    public Tensor sumAll() {
        return Fixtures.on(impl, () -> flat.sum());
    }

    /** [1024, 1024] summed over the last (contiguous) axis: one sum per row. */
    @Benchmark
    public Tensor sumLastAxis() {
        return Fixtures.on(impl, () -> square.sum(1));
    }

    /** [1024, 1024] summed over axis 0 (stride 1024): one sum per column. */
    @Benchmark
    public Tensor sumFirstAxis() {
        return Fixtures.on(impl, () -> square.sum(0));
    }

    /** max over the last axis of [256, 1024], kept as [256, 1]: the first step of softmax, timed alone. */
    @Benchmark
    public Tensor maxLastAxis() {
        return Fixtures.on(impl, () -> scores.amax(new int[] {1}, true));
    }

    /** softmax over the last axis of [256, 1024]. */
    @Benchmark
    public Tensor softmax() {
        return Fixtures.on(impl, () -> scores.softmax(-1));
    }
}
