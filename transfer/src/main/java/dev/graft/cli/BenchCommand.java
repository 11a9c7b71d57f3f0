package dev.graft.cli;

import dev.graft.loss.Losses;
import dev.graft.nn.Module;
import dev.graft.optim.SGD;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.backend.Parallel;
import dev.graft.tensor.spi.Backend;
import dev.graft.transfer.models.ReferenceModels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.DoubleSupplier;

/**
 * Quick measurements without JMH: warm up, then repeat until about a second has passed and report
 * the median. For comparisons that go into reports use the JMH benchmarks in bench/.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Quick speed measurements (median after warm-up; JMH lives in bench/).",
        subcommands = {BenchCommand.Gemm.class, BenchCommand.Train.class, BenchCommand.Embed.class})
public final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Median seconds per call of fn after warm-up, repeating for about targetSeconds. */
    static double median(DoubleSupplier fn, double targetSeconds) {
        long warmEnd = System.nanoTime() + (long) (targetSeconds * 1e9);
        int warm = 0;
        while (System.nanoTime() < warmEnd || warm < 5) {
            fn.getAsDouble();
            warm++;
        }
        double[] t = new double[Math.max(5, warm)];
        long end = System.nanoTime() + (long) (targetSeconds * 1e9);
        int n = 0;
        while (n < t.length && (System.nanoTime() < end || n < 5)) {
            long t0 = System.nanoTime();
            fn.getAsDouble();
            t[n++] = (System.nanoTime() - t0) / 1e9;
        }
        double[] used = Arrays.copyOf(t, n);
        Arrays.sort(used);
        return used[n / 2];
    }

    static void threads(CommandSpec spec, int threads) {
        if (threads < 1) {
            throw new ParameterException(spec.commandLine(), "--threads must be >= 1, got " + threads);
        }
        Parallel.setThreads(threads);
    }

    @Command(name = "gemm", mixinStandardHelpOptions = true, description = "Square float32 matrix product n x n x n; prints GFLOP/s.")
    static final class Gemm implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--size", required = true, description = "n (matrices are n x n)")
        int size;

        @Option(names = "--threads", description = "kernel threads (default: available processors)")
        Integer threads;

        @Option(names = "--backend", defaultValue = "java", description = "java (Vector API) or blas (kernels-native, when found)")
        String backend;

        @Override
        public void run() {
            if (size < 1 || size > 16384) {
                throw new ParameterException(spec.commandLine(), "--size must be in 1..16384, got " + size);
            }
            int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
            threads(spec, t);
            String name = switch (backend) {
                case "java" -> "java-simd";
                case "blas" -> "blas";
                default -> throw new ParameterException(spec.commandLine(), "--backend must be java or blas, got '" + backend + "'");
            };
            Backend b = Backends.available().stream().filter(x -> x.name().equals(name)).findFirst()
                    .orElseThrow(() -> new ParameterException(spec.commandLine(), "backend " + name + " is not available here; see graft doctor"));
            Generator g = new Generator(1);
            Tensor a = Tensor.randn(g, size, size);
            Tensor c = Tensor.randn(g, size, size);
            double sec = Backends.with(b, () -> median(() -> a.matmul(c).get(0, 0), 1.0));
            double gflops = 2.0 * size * size * (double) size / sec / 1e9;
            spec.commandLine().getOut().printf(Locale.ROOT, "gemm n=%d threads=%d backend=%s gflops=%.1f%n", size, t, backend, gflops);
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "One SGD training step of the reference MLP (784-512-512-10, batch 128) or CNN (1x28x28, batch 64).")
    static final class Train implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--model", required = true, description = "mlp or cnn")
        String model;

        @Option(names = "--threads", description = "kernel threads (default: available processors)")
        Integer threads;

        @Override
        public void run() {
            int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
            threads(spec, t);
            Generator g = new Generator(42);
            Module net;
            Tensor x;
            Tensor y;
            switch (model) {
                case "mlp" -> {
                    net = ReferenceModels.mlp(1);
                    x = Tensor.randn(g, 128, 784);
                    y = Tensor.randint(g, 0, 10, 128);
                }
                case "cnn" -> {
                    net = ReferenceModels.cnn(1);
                    x = Tensor.randn(g, 64, 1, 28, 28);
                    y = Tensor.randint(g, 0, 10, 64);
                }
                default -> throw new ParameterException(spec.commandLine(), "--model must be mlp or cnn, got '" + model + "'");
            }
            SGD sgd = new SGD(net.parameters(), 0.01);
            double sec = median(() -> {
                Tensor loss = Losses.crossEntropy(net.forward(x), y);
                sgd.zeroGrad();
                loss.backward();
                sgd.step();
                return loss.item();
            }, 2.0);
            spec.commandLine().getOut().printf(Locale.ROOT, "train model=%s threads=%d ms_per_step=%.2f%n", model, t, sec * 1e3);
        }
    }

    @Command(name = "embed", mixinStandardHelpOptions = true,
            description = {"Sentence-embedding throughput of all-MiniLM-L6-v2 (from the classpath): batches of B sentences",
                    "of T tokens ([CLS], T-2 word pieces drawn from the vocabulary, [SEP]; no padding), encoder + mean pooling +",
                    "L2 normalisation, no graph recorded. Tokenisation is not timed."})
    static final class Embed implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--batch", defaultValue = "32", description = "sentences per batch (default: ${DEFAULT-VALUE})")
        int batch;

        @Option(names = "--tokens", defaultValue = "16", description = "tokens per sentence including [CLS] and [SEP] (default: ${DEFAULT-VALUE})")
        int tokens;

        @Option(names = "--threads", description = "kernel threads (default: available processors)")
        Integer threads;

        @Option(names = "--quantized", description = "the int8 model")
        boolean quantized;

        @Override
        public void run() {
            if (batch < 1 || batch > 4096) {
                throw new ParameterException(spec.commandLine(), "--batch must be in 1..4096, got " + batch);
            }
            if (tokens < 2 || tokens > 512) {
                throw new ParameterException(spec.commandLine(), "--tokens must be in 2..512 (the model's positions), got " + tokens);
            }
            int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
            threads(spec, t);
            dev.graft.transfer.embed.SentenceEmbedder embedder = dev.graft.transfer.embed.SentenceEmbedder.miniLm(quantized);
            Generator g = new Generator(3);
            long[] ids = new long[batch * tokens];
            long[] ones = new long[batch * tokens];
            Tensor words = Tensor.randint(g, 1000, 30000, batch * tokens);
            for (int i = 0; i < ids.length; i++) {
                int pos = i % tokens;
                ids[i] = pos == 0 ? 101 : pos == tokens - 1 ? 102 : words.getLong(i);
                ones[i] = 1;
            }
            Tensor idT = Tensor.fromArray(ids, batch, tokens);
            Tensor maskT = Tensor.fromArray(ones, batch, tokens);
            Tensor typeT = Tensor.zeros(dev.graft.tensor.DType.INT64, batch, tokens);
            double sec;
            try (dev.graft.autograd.NoGrad ignored = dev.graft.autograd.NoGrad.enter()) {
                sec = median(() -> {
                    Tensor h = embedder.encoder().lastHiddenState(idT, maskT, typeT);
                    return dev.graft.transfer.bert.SentenceEmbeddings.embed(h, maskT).get(0, 0);
                }, 3.0);
            }
            spec.commandLine().getOut().printf(Locale.ROOT, "embed batch=%d tokens=%d threads=%d sentences_per_s=%.1f%n",
                    batch, tokens, t, batch / sec);
        }
    }
}
