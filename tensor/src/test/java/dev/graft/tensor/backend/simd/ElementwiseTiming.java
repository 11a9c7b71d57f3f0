package dev.graft.tensor.backend.simd;

import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import java.util.function.UnaryOperator;

/**
 * JMH-free timing of the float32 elementwise and softmax paths (not a test): ns per element after
 * warm-up, for checking that the Vector API loops are intrinsified. Run with the test classpath:
 * {@code java --add-modules=jdk.incubator.vector -Dgraft.threads=1 -cp ... ElementwiseTiming [ops...]}.
 */
public final class ElementwiseTiming {
    private ElementwiseTiming() {
    }

    public static void main(String[] args) {
        Generator g = new Generator(7);
        Tensor x = Tensor.randn(g, 1 << 20).mul(3);
        Tensor pos = Tensor.rand(g, 1 << 20).add(0.01);
        Tensor y = Tensor.randn(g, 1 << 20);
        Tensor s2 = Tensor.randn(g, 512, 384).mul(3);
        Tensor s3 = Tensor.randn(g, 384, 16, 16).mul(3);
        String[] ops = args.length > 0 ? args : new String[] {"gelu", "exp", "log", "sigmoid", "silu", "erf", "tanh", "add", "mul", "softmax2", "softmax3"};
        double warmSec = Double.parseDouble(System.getProperty("warm", "2"));
        double measSec = Double.parseDouble(System.getProperty("meas", "2"));
        for (String op : ops) {
            Tensor in = switch (op) {
                case "log" -> pos;
                case "softmax2" -> s2;
                case "softmax3" -> s3;
                default -> x;
            };
            UnaryOperator<Tensor> f = switch (op) {
                case "gelu" -> Tensor::gelu;
                case "exp" -> Tensor::exp;
                case "log" -> Tensor::log;
                case "sigmoid" -> Tensor::sigmoid;
                case "silu" -> Tensor::silu;
                case "erf" -> Tensor::erf;
                case "tanh" -> Tensor::tanh;
                case "add" -> t -> t.add(y);
                case "mul" -> t -> t.mul(y);
                case "softmax2", "softmax3" -> t -> t.softmax(-1);
                default -> throw new IllegalArgumentException(op);
            };
            run(f, in, (long) (warmSec * 1e9));
            long[] r = run(f, in, (long) (measSec * 1e9));
            double ns = (double) r[1] / r[0] / in.numel();
            System.out.printf("%-9s %8.3f ns/element  (%d calls)%n", op, ns, r[0]);
        }
    }

    private static long[] run(UnaryOperator<Tensor> f, Tensor in, long budgetNs) {
        long t0 = System.nanoTime();
        long calls = 0;
        long sink = 0;
        long t;
        do {
            Tensor o = f.apply(in);
            sink += Double.doubleToRawLongBits(o.get(new int[o.shape().length]));
            calls++;
            t = System.nanoTime();
        } while (t - t0 < budgetNs);
        if (sink == 42L) {
            System.out.println();
        }
        return new long[] {calls, t - t0};
    }
}
