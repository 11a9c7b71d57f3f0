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
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    private ElementwiseTiming() {
    }

    public static void main(String[] args) {
        Generator g = new Generator(7);
        Tensor x = Tensor.randn(g, 1 << 20).mul(3);
        Tensor pos = Tensor.rand(g, 1 << 20).add(0.01);
        Tensor y = Tensor.randn(g, 1 << 20);
        Tensor s2 = Tensor.randn(g, 512, 384).mul(3);
        Tensor s3 = Tensor.randn(g, 384, 16, 16).mul(3);
        Tensor w = Tensor.randn(g, 384, 384);
        String[] ops = args.length > 0 ? args : new String[] {"gelu", "exp", "log", "sigmoid", "silu", "erf", "tanh", "add", "mul", "softmax2", "softmax3"};
        double warmSec = Double.parseDouble(System.getProperty("warm", "2"));
        double measSec = Double.parseDouble(System.getProperty("meas", "2"));
        for (String op : ops) {
            if (op.startsWith("k-")) {
                kernel(dev.graft.tensor.spi.UnaryOp.valueOf(op.substring(2).toUpperCase(java.util.Locale.ROOT)), warmSec, measSec);
                continue;
            }
            Tensor in = switch (op) {
                case "log" -> pos;
                case "softmax2", "matmul" -> s2;
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
                case "matmul" -> t -> t.matmul(w); // not elementwise: for checking the SGEMM kernel's compiled code
                default -> throw new IllegalArgumentException(op);
            };
            run(f, in, (long) (warmSec * 1e9));
            long c0 = CPU.getCurrentThreadCpuTime();
            long[] r = run(f, in, (long) (measSec * 1e9));
            long cpu = CPU.getCurrentThreadCpuTime() - c0;
            double ns = (double) r[1] / r[0] / in.numel();
            // CPU time of this thread: with -Dgraft.threads=1 the kernels run here, and on a shared
            // machine it is less disturbed by other processes than the wall clock
            System.out.printf("%-9s %8.3f ns/element wall %8.3f cpu  (%d calls)%n", op, ns, (double) cpu / r[0] / in.numel(), r[0]);
        }
    }

    /**
     * "k-gelu" etc.: FloatKernels.unary itself on 16K floats (L2-resident, no tensor allocation):
     * the arithmetic cost without memory traffic.
     */
    private static void kernel(dev.graft.tensor.spi.UnaryOp op, double warmSec, double measSec) {
        int n = 1 << 14;
        float[] x = new float[n];
        float[] o = new float[n];
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < n; i++) {
            x[i] = op == dev.graft.tensor.spi.UnaryOp.LOG ? r.nextFloat() + 0.01f : (float) r.nextGaussian() * 3;
        }
        long calls = 0;
        long t0 = System.nanoTime();
        long tm = t0 + (long) (warmSec * 1e9);
        long c0 = 0;
        long a0 = 0;
        long t;
        do {
            FloatKernels.unary(op, 0, 0, x, 0, o, 0, n);
            t = System.nanoTime();
            if (c0 == 0 && t >= tm) {
                c0 = calls + 1;
                t0 = t;
                a0 = allocated();
            }
            calls++;
        } while (c0 == 0 || t - t0 < measSec * 1e9);
        // bytes allocated per element: 0 when every vector stays in registers (a boxed vector shows
        // up here as allocation)
        double bytes = (double) (allocated() - a0) / (calls - c0) / n;
        System.out.printf("%-9s %8.3f ns/element %7.3f bytes allocated/element (kernel only, 16K floats, %d calls)%n",
                "k-" + op.name().toLowerCase(java.util.Locale.ROOT), (double) (t - t0) / (calls - c0) / n, bytes, calls - c0);
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) CPU).getCurrentThreadAllocatedBytes();
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
