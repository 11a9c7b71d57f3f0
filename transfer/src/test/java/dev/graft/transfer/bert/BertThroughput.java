package dev.graft.transfer.bert;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.graft.autograd.NoGrad;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.backend.Parallel;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Map;
import java.util.Random;

/**
 * A quick throughput check of the native BertModel (MiniLM) next to ONNX Runtime on the same
 * inputs, not a timed test and not the JMH benchmark: run with the test classpath, e.g.
 * {@code java -Dgraft.threads=1 --add-modules=jdk.incubator.vector -cp ... dev.graft.transfer.bert.BertThroughput [batch] [tokens] [seconds]}.
 * Prints {@code graft|ort batch=B tokens=T threads=N sentences_per_s=X} per round (by this thread's
 * CPU time, so with more than one thread the figure is per-CPU, not wall-clock throughput) and the best round of each.
 */
public final class BertThroughput {
    private BertThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 5;
        int threads = Parallel.threads();
        byte[] bytes;
        try (InputStream in = BertThroughput.class.getResourceAsStream(BertOnnxLoader.ALL_MINILM_L6_V2)) {
            bytes = in.readAllBytes();
        }
        long t0 = System.nanoTime();
        BertModel bert = BertOnnxLoader.load(dev.graft.onnx.OnnxModel.parse(java.nio.ByteBuffer.wrap(bytes), "minilm", null));
        System.out.printf("load %.0f ms, backend %s%n", (System.nanoTime() - t0) / 1e6, Backends.current().name());

        long[][] ids = new long[batch][tokens];
        long[][] mask = new long[batch][tokens];
        Random r = new Random(1);
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < tokens; t++) {
                ids[b][t] = t == 0 ? 101 : t == tokens - 1 ? 102 : 1000 + r.nextInt(29000);
                mask[b][t] = 1;
            }
        }
        long[] flatIds = new long[batch * tokens];
        long[] flatMask = new long[batch * tokens];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(ids[b], 0, flatIds, b * tokens, tokens);
            System.arraycopy(mask[b], 0, flatMask, b * tokens, tokens);
        }
        Tensor idT = Tensor.fromArray(flatIds, batch, tokens);
        Tensor maskT = Tensor.fromArray(flatMask, batch, tokens);
        Runnable graft = () -> {
            try (var g = NoGrad.enter()) {
                SentenceEmbeddings.embed(bert.forward(idT, maskT, null), maskT);
            }
        };
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        opts.setIntraOpNumThreads(threads);
        opts.setInterOpNumThreads(1);
        try (OrtSession s = env.createSession(bytes, opts);
             OnnxTensor i = OnnxTensor.createTensor(env, ids);
             OnnxTensor m = OnnxTensor.createTensor(env, mask);
             OnnxTensor ty = OnnxTensor.createTensor(env, new long[batch][tokens])) {
            Map<String, OnnxTensor> feeds = Map.of("input_ids", i, "attention_mask", m, "token_type_ids", ty);
            Runnable ort = () -> {
                try (var res = s.run(feeds)) {
                    res.get(0);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            };
            // alternate the two, so that a busy machine slows both alike; the best round of each is printed last
            double bestGraft = 0;
            double bestOrt = 0;
            for (int round = 0; round < 3; round++) {
                bestGraft = Math.max(bestGraft, report("graft", batch, tokens, threads, seconds, graft));
                bestOrt = Math.max(bestOrt, report("ort", batch, tokens, threads, seconds, ort));
            }
            System.out.printf("best: bert batch=%d tokens=%d threads=%d sentences_per_s=%.1f (ort %.1f, ratio %.2f)%n", batch, tokens,
                    threads, bestGraft, bestOrt, bestGraft / bestOrt);
        }
    }

    /**
     * Runs body for about {@code seconds} of this thread's CPU time after a warm-up, and prints
     * sentences/s by CPU time (robust on a shared machine: time the thread spent descheduled does
     * not count; with one intra-op thread ORT also computes on the calling thread) and by wall time.
     */
    private static double report(String who, int batch, int tokens, int threads, double seconds, Runnable body) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long warmEnd = mx.getCurrentThreadCpuTime() + (long) (seconds * 0.4e9);
        while (mx.getCurrentThreadCpuTime() < warmEnd) {
            body.run();
        }
        int runs = 0;
        long wall0 = System.nanoTime();
        long cpu0 = mx.getCurrentThreadCpuTime();
        long cpu;
        do {
            body.run();
            runs++;
            cpu = mx.getCurrentThreadCpuTime();
        } while (cpu - cpu0 < seconds * 1e9);
        double cpuSecs = (cpu - cpu0) / 1e9;
        double wallSecs = (System.nanoTime() - wall0) / 1e9;
        System.out.printf("%s batch=%d tokens=%d threads=%d sentences_per_s=%.1f ms_per_batch=%.2f (cpu time; wall: %.1f/s)%n", who,
                batch, tokens, threads, runs * batch / cpuSecs, cpuSecs * 1e3 / runs, runs * batch / wallSecs);
        return runs * batch / cpuSecs;
    }
}
