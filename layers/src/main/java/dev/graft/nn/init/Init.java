package dev.graft.nn.init;

import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.TensorShapeException;

/**
 * Weight initialisers with PyTorch's definitions ({@code torch.nn.init}): fan-in/fan-out count the
 * receptive field of convolution kernels, Kaiming gains follow the nonlinearity, truncated normal
 * redraws values outside [a, b]. Deterministic for a given generator. {@link #manualSeed} seeds the
 * generator that layers use when built without an explicit weight source.
 */
public final class Init {
    private static Generator global = new Generator(0);

    private Init() {
    }

    /** Reseeds the default generator used by layers constructed without a weight source. */
    public static synchronized void manualSeed(long seed) {
        global = new Generator(seed);
    }

    public static synchronized Generator defaultGenerator() {
        return global;
    }

    /** [fanIn, fanOut] of a weight: dims 1 and 0 times the receptive field (product of dims 2..). */
    public static int[] fans(int[] shape) {
        if (shape.length < 2) {
            throw new TensorShapeException("init: fan in and fan out need a tensor with at least 2 dimensions, got "
                    + java.util.Arrays.toString(shape));
        }
        int receptive = 1;
        for (int i = 2; i < shape.length; i++) {
            receptive *= shape[i];
        }
        return new int[] {shape[1] * receptive, shape[0] * receptive};
    }

    /** Gain for a nonlinearity, like torch.nn.init.calculate_gain ("linear", "relu", "leaky_relu", "tanh", "sigmoid", "selu"). */
    public static double gain(String nonlinearity, double param) {
        return switch (nonlinearity) {
            case "linear", "conv1d", "conv2d", "sigmoid", "identity" -> 1.0;
            case "tanh" -> 5.0 / 3;
            case "relu" -> Math.sqrt(2.0);
            case "leaky_relu" -> Math.sqrt(2.0 / (1 + param * param));
            case "selu" -> 3.0 / 4;
            default -> throw new IllegalArgumentException("init: unknown nonlinearity '" + nonlinearity + "'");
        };
    }

    public static Initializer zeros() {
        return (s, g) -> Tensor.zeros(DType.FLOAT32, s);
    }

    public static Initializer ones() {
        return (s, g) -> Tensor.ones(DType.FLOAT32, s);
    }

    public static Initializer constant(double v) {
        return (s, g) -> Tensor.full(v, DType.FLOAT32, s);
    }

    public static Initializer uniform(double a, double b) {
        return (s, g) -> Tensor.uniform(g, a, b, DType.FLOAT32, s);
    }

    public static Initializer normal(double mean, double std) {
        return (s, g) -> Tensor.normal(g, mean, std, DType.FLOAT32, s);
    }

    /** Normal(mean, std) redrawn until inside [a, b] (absolute bounds, like torch.nn.init.trunc_normal_). */
    public static Initializer truncNormal(double mean, double std, double a, double b) {
        if (!(a < b)) {
            throw new IllegalArgumentException("truncNormal: empty interval [" + a + ", " + b + "]");
        }
        return (s, g) -> {
            Tensor t = Tensor.empty(DType.FLOAT32, s);
            float[] v = (float[]) t.storage().array();
            for (int i = 0; i < v.length; i++) {
                double x;
                int tries = 0;
                do {
                    x = mean + std * g.nextGaussian();
                    if (++tries > 1000) {
                        // the interval is far in the tail: fall back to uniform inside it
                        x = a + (b - a) * g.nextDouble();
                        break;
                    }
                } while (x < a || x > b);
                v[i] = (float) x;
            }
            return t;
        };
    }

    /** fan: "fan_in" or "fan_out". */
    public static Initializer kaimingUniform(double a, String fan, String nonlinearity) {
        return (s, g) -> {
            double std = gain(nonlinearity, a) / Math.sqrt(fan(s, fan));
            double bound = Math.sqrt(3.0) * std;
            return Tensor.uniform(g, -bound, bound, DType.FLOAT32, s);
        };
    }

    public static Initializer kaimingNormal(double a, String fan, String nonlinearity) {
        return (s, g) -> Tensor.normal(g, 0, gain(nonlinearity, a) / Math.sqrt(fan(s, fan)), DType.FLOAT32, s);
    }

    public static Initializer xavierUniform(double gain) {
        return (s, g) -> {
            int[] f = fans(s);
            double bound = gain * Math.sqrt(6.0 / (f[0] + f[1]));
            return Tensor.uniform(g, -bound, bound, DType.FLOAT32, s);
        };
    }

    public static Initializer xavierNormal(double gain) {
        return (s, g) -> {
            int[] f = fans(s);
            return Tensor.normal(g, 0, gain * Math.sqrt(2.0 / (f[0] + f[1])), DType.FLOAT32, s);
        };
    }

    /** PyTorch's default for Linear/Conv weights: kaiming_uniform with a = sqrt(5), i.e. U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
    public static Initializer torchDefaultWeight() {
        return kaimingUniform(Math.sqrt(5), "fan_in", "leaky_relu");
    }

    /** PyTorch's default for Linear/Conv biases: U(-1/sqrt(fanIn), 1/sqrt(fanIn)) with the weight's fan-in. */
    public static Initializer torchDefaultBias(int fanIn) {
        double bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
        return uniform(-bound, bound);
    }

    private static int fan(int[] s, String which) {
        int[] f = fans(s);
        return switch (which) {
            case "fan_in" -> f[0];
            case "fan_out" -> f[1];
            default -> throw new IllegalArgumentException("init: fan mode must be fan_in or fan_out, got '" + which + "'");
        };
    }
}
