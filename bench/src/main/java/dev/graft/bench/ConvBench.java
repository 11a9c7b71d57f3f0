package dev.graft.bench;

import dev.graft.autograd.NoGrad;
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

import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The two convolutions of a MobileNet block on float32 CPU tensors, through the public API:
 * depthwise 3 x 3 (groups 64, padding 1) on [8, 64, 56, 56], and 1 x 1 64 -> 128 on the same
 * input; forward alone, and forward + backward (gradients of the input and the weight from a fixed
 * output gradient; the weight's gradient is cleared each call so nothing accumulates). Peer:
 * {@code bench/compare_conv.py} times the same shapes in PyTorch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ConvBench {
    @Param({"1"})
    public int threads;

    private Tensor x;
    private Tensor xg;
    private Tensor wDepth;
    private Tensor wPoint;
    private Tensor gDepth;
    private Tensor gPoint;

    @Setup
    public void setup() {
        Fixtures.threads(threads);
        x = Fixtures.randn(1, 8, 64, 56, 56);
        xg = x.detach().requiresGrad(true);
        wDepth = Fixtures.randn(2, 64, 1, 3, 3).requiresGrad(true);
        wPoint = Fixtures.randn(3, 128, 64, 1, 1).requiresGrad(true);
        gDepth = Fixtures.randn(4, 8, 64, 56, 56);
        gPoint = Fixtures.randn(5, 8, 128, 56, 56);
    }

    private Tensor depthwise(Tensor in) {
        return in.conv2d(wDepth, null, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 64);
    }

    private Tensor pointwise(Tensor in) {
        return in.conv2d(wPoint, null, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1);
    }

    /** Forward without recording a graph. */
    private Tensor forward(UnaryOperator<Tensor> conv) {
        try (var _ = NoGrad.enter()) {
            return conv.apply(x);
        }
    }

    /** Forward and backward from a fixed output gradient, with fresh gradients for the input and weight. */
    private Tensor forwardBackward(UnaryOperator<Tensor> conv, Tensor w, Tensor gOut) {
        xg.setGrad(null);
        w.setGrad(null);
        conv.apply(xg).backward(gOut);
        return w.grad();
    }

    @Benchmark
    public Tensor depthwise3x3Forward() {
        return forward(this::depthwise);
    }

    @Benchmark
    public Tensor depthwise3x3ForwardBackward() {
        return forwardBackward(this::depthwise, wDepth, gDepth);
    }

    @Benchmark
    public Tensor pointwise1x1Forward() {
        return forward(this::pointwise);
    }

    @Benchmark
    public Tensor pointwise1x1ForwardBackward() {
        return forwardBackward(this::pointwise, wPoint, gPoint);
    }
}
