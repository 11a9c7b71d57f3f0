package dev.graft.bench;

import dev.graft.optim.Adam;
import dev.graft.optim.AdamW;
import dev.graft.optim.Optimizer;
import dev.graft.optim.ParamGroup;
import dev.graft.tensor.Tensor;
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

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One Adam / AdamW step on a float32 parameter of 2^20 elements (4 MiB; the gradient, both moments
 * and the new moments make 20 MiB of traffic at the least), fused ({@code graft.optim.fused=true},
 * the default) against the composed tensor ops ({@code false}), in the same fork.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class AdamStepBench {
    @Param({"true", "false"})
    public String fused;

    @Param({"Adam", "AdamW"})
    public String optimizer;

    @Param({"1"})
    public int threads;

    private Optimizer opt;

    @Setup
    public void setup() {
        Fixtures.threads(threads);
        System.setProperty("graft.optim.fused", fused);
        Tensor p = Fixtures.randn(1, 1024, 1024).requiresGrad(true);
        p.setGrad(Fixtures.randn(2, 1024, 1024).mul(1e-3));
        ParamGroup options = ParamGroup.defaults().lr(1e-4).weightDecay(1e-2);
        opt = optimizer.equals("Adam") ? new Adam(List.of(p), options) : new AdamW(List.of(p), options);
    }

    @Benchmark
    public Optimizer step() {
        opt.step();
        return opt;
    }
}
