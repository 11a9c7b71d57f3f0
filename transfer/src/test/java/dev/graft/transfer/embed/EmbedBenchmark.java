package dev.graft.transfer.embed;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.graft.autograd.NoGrad;
import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Parallel;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * MiniLM embedding throughput and latency, Graft next to ONNX Runtime in the same JVM, same thread
 * count, same token ids (run by bench/compare_embed.sh; not a test). Prints one line per
 * configuration: sentences/s and ms per batch for both, and the ratio Graft time / ORT time.
 * Args: threads (default 1), then optional "quantized".
 */
public final class EmbedBenchmark {
    private EmbedBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        boolean quantized = args.length > 1 && args[1].equals("quantized");
        Parallel.setThreads(threads);
        SentenceEmbedder graft = SentenceEmbedder.miniLm(quantized);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(threads);
        o.setInterOpNumThreads(1);
        try (OrtSession ort = env.createSession(SentenceEmbedder.resource(quantized ? SentenceEmbedder.MINILM_QUANTIZED : SentenceEmbedder.MINILM), o)) {
            for (int[] cfg : new int[][] {{32, 16}, {1, 16}, {32, 64}}) {
                int b = cfg[0];
                int t = cfg[1];
                long[][] ids = new long[b][t];
                long[][] mask = new long[b][t];
                long[][] types = new long[b][t];
                Generator g = new Generator(11);
                for (int i = 0; i < b; i++) {
                    for (int j = 0; j < t; j++) {
                        ids[i][j] = j == 0 ? 101 : j == t - 1 ? 102 : 1000 + (long) (g.nextDouble() * 29000);
                        mask[i][j] = 1;
                    }
                }
                Tensor idT = Tensor.fromArray(Arrays.stream(ids).flatMapToLong(Arrays::stream).toArray(), b, t);
                Tensor maskT = Tensor.fromArray(Arrays.stream(mask).flatMapToLong(Arrays::stream).toArray(), b, t);
                Tensor typeT = Tensor.zeros(DType.INT64, b, t);
                double graftSec;
                try (NoGrad ignored = NoGrad.enter()) {
                    graftSec = median(() -> {
                        Tensor h = graft.encoder().lastHiddenState(idT, maskT, typeT);
                        dev.graft.transfer.bert.SentenceEmbeddings.embed(h, maskT).get(0, 0);
                    });
                }
                try (OnnxTensor a = OnnxTensor.createTensor(env, ids); OnnxTensor m = OnnxTensor.createTensor(env, mask);
                     OnnxTensor ty = OnnxTensor.createTensor(env, types)) {
                    Map<String, OnnxTensor> feeds = Map.of("input_ids", a, "attention_mask", m, "token_type_ids", ty);
                    double ortSec = median(() -> {
                        try (OrtSession.Result r = ort.run(feeds)) {
                            r.get(0);
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                    System.out.printf(Locale.ROOT, "embed %s batch=%d tokens=%d threads=%d graft_sent_per_s=%.1f graft_ms=%.2f ort_sent_per_s=%.1f ort_ms=%.2f time_ratio=%.2f%n",
                            quantized ? "int8" : "fp32", b, t, threads, b / graftSec, graftSec * 1e3, b / ortSec, ortSec * 1e3, graftSec / ortSec);
                }
            }
        }
    }

    private static double median(Runnable r) {
        long warm = System.nanoTime() + 3_000_000_000L;
        int w = 0;
        while (System.nanoTime() < warm || w < 3) {
            r.run();
            w++;
        }
        double[] t = new double[200];
        int n = 0;
        long end = System.nanoTime() + 5_000_000_000L;
        while (n < t.length && (System.nanoTime() < end || n < 5)) {
            long t0 = System.nanoTime();
            r.run();
            t[n++] = (System.nanoTime() - t0) / 1e9;
        }
        double[] u = Arrays.copyOf(t, n);
        Arrays.sort(u);
        return u[n / 2];
    }
}
