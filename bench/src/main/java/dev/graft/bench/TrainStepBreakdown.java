package dev.graft.bench;

import dev.graft.loss.Losses;
import dev.graft.nn.Module;
import dev.graft.optim.SGD;
import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.backend.Parallel;
import dev.graft.tensor.spi.Backend;
import dev.graft.transfer.models.ReferenceModels;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where one training step of {@link TrainStepBench}'s models spends its time, for profiling (not a
 * benchmark of record: no JMH, and the machine's noise applies). Three reports, each repeated in
 * 2-second windows after a 3-second warm-up:
 * <ul>
 *   <li>{@code phases}: forward, loss, backward (with zeroGrad) and SGD step, mean ms per step;</li>
 *   <li>{@code layers}: the forward time of each top-level module, and the whole backward;</li>
 *   <li>{@code gemm}: the per-sample GEMMs of the CNN's second convolution (forward, weight
 *       gradient, input gradient) with im2col and col2im, ms per batch of 64 and GFLOP/s.</li>
 * </ul>
 * <pre>
 * java --add-modules=jdk.incubator.vector -cp bench/target/benchmarks.jar dev.graft.bench.TrainStepBreakdown phases|layers|gemm mlp|cnn THREADS
 * </pre>
 * JFR's sampling was the other tool (-XX:StartFlightRecording); it inflates the share of the Vector API
 * kernels, so per-layer timings are the check on it.
 */
public final class TrainStepBreakdown {
    private TrainStepBreakdown() {
    }

    public static void main(String[] args) {
        String report = args.length > 0 ? args[0] : "phases";
        String model = args.length > 1 ? args[1] : "cnn";
        Parallel.setThreads(args.length > 2 ? Integer.parseInt(args[2]) : 1);
        if (report.equals("gemm")) {
            gemm();
            return;
        }
        Generator g = new Generator(42);
        boolean mlp = model.equals("mlp");
        Module net = mlp ? ReferenceModels.mlp(1) : ReferenceModels.cnn(1);
        Tensor x = mlp ? Tensor.randn(g, 128, 784) : Tensor.randn(g, 64, 1, 28, 28);
        Tensor y = Tensor.randint(g, 0, 10, mlp ? 128 : 64);
        SGD sgd = new SGD(net.parameters(), 0.01);
        List<Module> mods = new ArrayList<>(net.namedChildren().values());
        long warm = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < warm) {
            TrainStepBench.step(net, sgd, x, y);
        }
        for (int rep = 0; rep < 5; rep++) {
            double[] t = new double[mods.size() + 4]; // per module (layers) or fwd, loss, bwd, sgd (phases)
            int n = 0;
            long end = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < end) {
                long t0 = System.nanoTime();
                Tensor h = x;
                if (report.equals("layers")) {
                    for (int i = 0; i < mods.size(); i++) {
                        long s = System.nanoTime();
                        h = mods.get(i).forward(h);
                        t[i] += System.nanoTime() - s;
                    }
                } else {
                    h = net.forward(x);
                }
                long t1 = System.nanoTime();
                Tensor loss = Losses.crossEntropy(h, y);
                long t2 = System.nanoTime();
                sgd.zeroGrad();
                loss.backward();
                long t3 = System.nanoTime();
                sgd.step();
                loss.item();
                long t4 = System.nanoTime();
                int b = mods.size();
                t[b] += t1 - t0;
                t[b + 1] += t2 - t1;
                t[b + 2] += t3 - t2;
                t[b + 3] += t4 - t3;
                n++;
            }
            StringBuilder sb = new StringBuilder(model + ":");
            if (report.equals("layers")) {
                for (int i = 0; i < mods.size(); i++) {
                    sb.append(String.format(Locale.ROOT, " %s %.2f", mods.get(i).getClass().getSimpleName(), t[i] / n / 1e6));
                }
                sb.append(" |");
            }
            int b = mods.size();
            sb.append(String.format(Locale.ROOT, " forward %.3f loss %.3f backward %.3f sgd %.3f total %.3f ms", t[b] / n / 1e6,
                    t[b + 1] / n / 1e6, t[b + 2] / n / 1e6, t[b + 3] / n / 1e6, (t[b] + t[b + 1] + t[b + 2] + t[b + 3]) / n / 1e6));
            System.out.println(sb);
        }
    }

    /** The CNN's second convolution (32 -> 64 channels, 3 x 3, pad 1, 14 x 14) as Conv2dKernels runs it, per sample. */
    private static void gemm() {
        Generator gen = new Generator(1);
        int[] geo = {3, 3, 1, 1, 1, 1, 1, 1};
        int c = 32;
        int hw = 14;
        int o = 64;
        int l = hw * hw;
        int ck = c * 9;
        Tensor x = Tensor.randn(gen, 64, c, hw, hw);
        Tensor w = Tensor.randn(gen, o, c, 3, 3).reshape(1, o, ck);
        Tensor cols = Tensor.empty(DType.FLOAT32, 1, c, 9, hw, hw);
        Tensor colsM = cols.reshape(1, ck, l);
        Tensor out = Tensor.empty(DType.FLOAT32, 1, o, l);
        Tensor gs = Tensor.randn(gen, 1, o, l);
        Tensor gw = Tensor.empty(DType.FLOAT32, 1, o, ck);
        Tensor gx = Tensor.zeros(DType.FLOAT32, 1, c, hw, hw);
        Backend be = Backends.current();
        double gflop = 2.0 * o * ck * l * 64 / 1e9;
        Runnable[] parts = {
            () -> be.unfold2d(x.narrow(0, 0, 1), geo, 0, cols),
            () -> be.matmul(w, colsM, out),
            () -> be.matmul(gs, colsM.transpose(1, 2), gw),
            () -> be.matmul(w.transpose(1, 2), gs, colsM),
            () -> be.fold2d(cols, geo, gx),
        };
        String[] names = {"im2col", "forward GEMM", "weight-gradient GEMM", "input-gradient GEMM", "col2im"};
        for (int rep = 0; rep < 6; rep++) {
            StringBuilder sb = new StringBuilder("conv 32->64 14x14, per batch of 64:");
            for (int p = 0; p < parts.length; p++) {
                long t0 = System.nanoTime();
                for (int k = 0; k < 10 * 64; k++) {
                    parts[p].run();
                }
                double ms = (System.nanoTime() - t0) / 10e6;
                sb.append(String.format(Locale.ROOT, " %s %.3f ms", names[p], ms));
                if (p >= 1 && p <= 3) {
                    sb.append(String.format(Locale.ROOT, " (%.0f GFLOP/s)", gflop / (ms / 1e3)));
                }
                sb.append(';');
            }
            System.out.println(sb);
        }
    }
}
