package dev.graft.bench;

import dev.graft.loss.Losses;
import dev.graft.nn.Module;
import dev.graft.optim.SGD;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Parallel;
import dev.graft.transfer.models.ReferenceModels;
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
 * One training step (forward, cross-entropy, backward, SGD update) of the two reference models of
 * the layers and fast-kernels issues, float32: MLP 784-512-512-10 at batch 128, and CNN
 * conv3x3(32, pad 1)-relu-maxpool2-conv3x3(64, pad 1)-relu-maxpool2-linear(10) on 1x28x28 at batch
 * 64. bench/compare_pytorch.py runs the same steps in PyTorch for the side-by-side table.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class TrainStepBench {
    @Param({"mlp", "cnn"})
    public String model;

    @Param({"1", "2"})
    public int threads;

    private Module net;
    private SGD sgd;
    private Tensor x;
    private Tensor y;

    @Setup(Level.Trial)
    public void setUp() {
        Parallel.setThreads(threads);
        Generator g = new Generator(42);
        if (model.equals("mlp")) {
            net = ReferenceModels.mlp(1);
            x = Tensor.randn(g, 128, 784);
            y = Tensor.randint(g, 0, 10, 128);
        } else {
            net = ReferenceModels.cnn(1);
            x = Tensor.randn(g, 64, 1, 28, 28);
            y = Tensor.randint(g, 0, 10, 64);
        }
        sgd = new SGD(net.parameters(), 0.01);
    }

    /** Returns the loss so the step cannot be optimised away. */
    public static double step(Module net, SGD sgd, Tensor x, Tensor y) {
        Tensor loss = Losses.crossEntropy(net.forward(x), y);
        sgd.zeroGrad();
        loss.backward();
        sgd.step();
        return loss.item();
    }

    @Benchmark
    public double trainStep() {
        return step(net, sgd, x, y);
    }
}
