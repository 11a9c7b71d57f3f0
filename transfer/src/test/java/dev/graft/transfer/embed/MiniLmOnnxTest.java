package dev.graft.transfer.embed;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.graft.tensor.Tensor;
import dev.graft.tokenizers.BatchEncoding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * all-MiniLM-L6-v2 (fp32 and int8) run by Graft's ONNX executor against ONNX Runtime on the same
 * file and the same token ids: cosine of the pooled, normalised embeddings >= 0.99999 (int8:
 * >= 0.9999) and max abs difference <= 1e-4 (fp32), for single sentences and padded batches.
 */
class MiniLmOnnxTest {
    static final List<String> SENTENCES = List.of(
            "hello world",
            "The quick brown fox jumps over the lazy dog.",
            "Graft runs pretrained models on the JVM, with the same numbers as the reference runtime.",
            "Café naïve Zürich — accents are stripped; 中文 and 日本語 are split per character!",
            "a",
            "Transfer learning: freeze the encoder, fine-tune the head, and ship it inside a service.");

    static OrtEnvironment env;

    @BeforeAll
    static void ort() {
        env = OrtEnvironment.getEnvironment();
    }

    @AfterAll
    static void close() {
        // the environment is process-wide; sessions are closed per test
    }

    static float[][] ortEmbed(OrtSession s, BatchEncoding enc) throws OrtException {
        try (OnnxTensor ids = OnnxTensor.createTensor(env, enc.ids());
             OnnxTensor mask = OnnxTensor.createTensor(env, enc.attentionMask());
             OnnxTensor types = OnnxTensor.createTensor(env, enc.typeIds());
             OrtSession.Result r = s.run(Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types))) {
            float[][][] h = (float[][][]) r.get(0).getValue();
            int b = h.length;
            int t = h[0].length;
            int d = h[0][0].length;
            float[] flat = new float[b * t * d];
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < t; j++) {
                    System.arraycopy(h[i][j], 0, flat, (i * t + j) * d, d);
                }
            }
            Tensor pooled = dev.graft.transfer.bert.SentenceEmbeddings.embed(Tensor.fromArray(flat, b, t, d), enc.attentionMaskTensor());
            float[] p = pooled.toFloatArray();
            float[][] out = new float[b][d];
            for (int i = 0; i < b; i++) {
                System.arraycopy(p, i * d, out[i], 0, d);
            }
            return out;
        }
    }

    static OrtSession session(String resource, boolean optimized) throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(1);
        if (!optimized) {
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
        }
        return env.createSession(SentenceEmbedder.resource(resource), o);
    }

    static double cosine(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    static double maxAbs(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    void compare(boolean quantized, boolean optimized, boolean singlesOnly, double minCos, double maxDiff) throws OrtException {
        SentenceEmbedder graft = SentenceEmbedder.miniLm(quantized);
        double worstCos = 1;
        double worstDiff = 0;
        try (OrtSession s = session(quantized ? SentenceEmbedder.MINILM_QUANTIZED : SentenceEmbedder.MINILM, optimized)) {
            List<List<String>> batches = new ArrayList<>();
            for (String one : SENTENCES) {
                batches.add(List.of(one));                      // single sentences
            }
            if (!singlesOnly) {
                batches.add(SENTENCES);                         // one padded batch
                batches.add(SENTENCES.subList(1, 4));
            }
            for (List<String> batch : batches) {
                BatchEncoding enc = graft.tokenizer().encodeBatch(batch);
                float[][] expected = ortEmbed(s, enc);
                Tensor got = graft.embedBatch(batch);
                assertEquals(expected.length, got.size(0));
                assertEquals(384, got.size(1));
                for (int i = 0; i < expected.length; i++) {
                    float[] g = got.select(0, i).contiguous().toFloatArray();
                    worstCos = Math.min(worstCos, cosine(g, expected[i]));
                    worstDiff = Math.max(worstDiff, maxAbs(g, expected[i]));
                }
            }
        }
        System.out.printf("MiniLM %s vs ONNX Runtime (%s, %s): min cosine %.9f, max abs diff %.3g%n", quantized ? "int8" : "fp32",
                optimized ? "default optimizations" : "NO_OPT", singlesOnly ? "single sentences" : "singles and padded batches", worstCos, worstDiff);
        assertTrue(worstCos >= minCos, "min cosine " + worstCos + " < " + minCos);
        assertTrue(worstDiff <= maxDiff, "max abs diff " + worstDiff + " > " + maxDiff);
    }

    @Test
    void fp32MatchesOnnxRuntime() throws OrtException {
        compare(false, true, false, 0.99999, 1e-4);
    }

    /**
     * The int8 model quantizes activations with one scale per batch (DynamicQuantizeLinear), so
     * its output is a discontinuous function of float rounding: a value whose x / scale lies within
     * a few ulps of a .5 tie rounds to one integer or the next depending on float32 rounding
     * upstream (softmax, GEMM summation order), which the ONNX spec does not fix, and one flipped
     * quantum then spreads through attention and the batch-wide scales. Measured on the padded
     * batch SENTENCES[1..3]: at layer 2 the attention output [row 1, token 2, column 287] has
     * x / scale = 22.5000054 in float64 (from bitwise-identical scores and V); ORT's float32
     * value gives 22.499998 (q = 172), Graft's 22.500006 (q = 173); that single flip takes the
     * rows to cosine 0.9990 / 0.9987 / 0.9991, and overriding it to ORT's 172 in Graft brings all
     * rows to >= 0.9999996. ORT disagrees with itself at the same scale (NO_OPT vs its default
     * session: cosine 0.9935-0.998 on these batches). So the graph-as-written check is made per
     * node, where it is deterministic: every node, fed ORT's own intermediate values, must give
     * ORT's outputs (integers exactly, floats to 1e-5 relative); end to end, padded batches only
     * have to agree as closely as ORT's two modes agree with each other.
     */
    @Test
    void int8MatchesTheGraphAsWritten() throws OrtException {
        compare(true, false, true, 0.9999, 0.05);                  // single sentences: no tie hit here
        compare(true, false, false, 0.99, 0.05);                   // padded batches: see above
    }

    @Test
    void int8EveryNodeMatchesOnnxRuntimeOnTheSameInputs() throws OrtException {
        byte[] model = SentenceEmbedder.resource(SentenceEmbedder.MINILM_QUANTIZED);
        dev.graft.onnx.OnnxModel om = dev.graft.onnx.OnnxModel.parse(java.nio.ByteBuffer.wrap(model), "int8", null);
        List<String> names = new ArrayList<>();
        for (dev.graft.onnx.OnnxNode n : om.graph().nodes()) {
            for (String o : n.outputs()) {
                if (!o.isEmpty() && om.graph().outputs().stream().noneMatch(v -> v.name().equals(o))) {
                    names.add(o);
                }
            }
        }
        BatchEncoding enc = SentenceEmbedder.miniLmTokenizer().encodeBatch(SENTENCES.subList(1, 4));
        Map<String, Tensor> feeds = Map.of("input_ids", enc.idsTensor(), "attention_mask", enc.attentionMaskTensor(),
                "token_type_ids", enc.typeIdsTensor());
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(1);
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
        Map<String, Tensor> ort = new java.util.HashMap<>();
        try (OrtSession s = env.createSession(withGraphOutputs(model, names), o);
             OnnxTensor ids = OnnxTensor.createTensor(env, enc.ids());
             OnnxTensor mask = OnnxTensor.createTensor(env, enc.attentionMask());
             OnnxTensor types = OnnxTensor.createTensor(env, enc.typeIds());
             OrtSession.Result r = s.run(Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types))) {
            for (String n : names) {
                ort.put(n, graftTensor((OnnxTensor) r.get(n).orElseThrow()));
            }
        }
        var registry = dev.graft.onnx.ops.OpRegistry.standard();
        int checked = 0;
        try (var ignored = dev.graft.autograd.NoGrad.enter()) {
            for (dev.graft.onnx.OnnxNode n : om.graph().nodes()) {
                Tensor[] args = new Tensor[n.inputs().size()];
                for (int i = 0; i < args.length; i++) {
                    String in = n.inputs().get(i);
                    args[i] = in.isEmpty() ? null : feeds.containsKey(in) ? feeds.get(in)
                            : om.graph().initializers().containsKey(in) ? om.graph().initializers().get(in) : ort.get(in);
                }
                Tensor[] got = registry.find(n.domain(), n.opType()).apply(new dev.graft.onnx.ops.OpContext(n, om.opset(), args));
                for (int k = 0; k < n.outputs().size(); k++) {
                    Tensor want = ort.get(n.outputs().get(k));
                    if (want == null) {
                        continue;
                    }
                    double[] e = want.to(dev.graft.tensor.DType.FLOAT64).contiguous().toDoubleArray();
                    double[] g = got[k].to(dev.graft.tensor.DType.FLOAT64).contiguous().toDoubleArray();
                    assertEquals(e.length, g.length, n.describe() + " output " + k);
                    boolean exact = !want.dtype().isFloating();
                    for (int i = 0; i < e.length; i++) {
                        double tol = exact ? 0 : 1e-6 + 1e-5 * Math.abs(e[i]);
                        if (!(Math.abs(e[i] - g[i]) <= tol || e[i] == g[i])) {
                            throw new AssertionError(n.describe() + " output '" + n.outputs().get(k) + "' [" + i + "]: ORT " + e[i]
                                    + ", Graft " + g[i] + " (same inputs)");
                        }
                    }
                    checked++;
                }
            }
        }
        assertTrue(checked > 500, "checked " + checked + " node outputs");
    }

    /** The model bytes with {@code names} appended to the graph's outputs (ModelProto.graph = 7, GraphProto.output = 12). */
    static byte[] withGraphOutputs(byte[] m, List<String> names) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int p = 0;
        while (p < m.length) {
            int start = p;
            long[] key = varint(m, p);
            p = (int) key[1];
            int field = (int) (key[0] >>> 3);
            int wire = (int) (key[0] & 7);
            switch (wire) {
                case 0 -> p = (int) varint(m, p)[1];
                case 1 -> p += 8;
                case 5 -> p += 4;
                case 2 -> {
                    long[] len = varint(m, p);
                    int data = (int) len[1];
                    p = data + (int) len[0];
                    if (field == 7) {
                        java.io.ByteArrayOutputStream g = new java.io.ByteArrayOutputStream();
                        g.write(m, data, p - data);
                        for (String n : names) {
                            byte[] nb = n.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                            java.io.ByteArrayOutputStream vi = new java.io.ByteArrayOutputStream();
                            writeVarint(vi, (1 << 3) | 2);
                            writeVarint(vi, nb.length);
                            vi.writeBytes(nb);
                            writeVarint(g, (12 << 3) | 2);
                            writeVarint(g, vi.size());
                            g.writeBytes(vi.toByteArray());
                        }
                        writeVarint(out, (7 << 3) | 2);
                        writeVarint(out, g.size());
                        out.writeBytes(g.toByteArray());
                        continue;
                    }
                }
                default -> throw new IllegalStateException("unexpected wire type " + wire);
            }
            out.write(m, start, p - start);
        }
        return out.toByteArray();
    }

    private static long[] varint(byte[] b, int p) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            int x = b[p++] & 0xff;
            v |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                return new long[] {v, p};
            }
        }
    }

    private static void writeVarint(java.io.ByteArrayOutputStream o, long v) {
        while ((v & ~0x7fL) != 0) {
            o.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
    }

    /** An ORT tensor as the Graft tensor the executor would hold (int8 as INT32, uint8 as UINT8). */
    static Tensor graftTensor(OnnxTensor t) {
        var info = t.getInfo();
        int[] shape = java.util.Arrays.stream(info.getShape()).mapToInt(Math::toIntExact).toArray();
        int n = (int) info.getNumElements();
        return switch (info.onnxType) {
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT -> {
                float[] v = new float[n];
                t.getFloatBuffer().get(v);
                yield Tensor.fromArray(v, shape);
            }
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 -> {
                long[] v = new long[n];
                t.getLongBuffer().get(v);
                yield Tensor.fromArray(v, shape);
            }
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32 -> {
                int[] v = new int[n];
                t.getIntBuffer().get(v);
                yield Tensor.fromArray(v, shape);
            }
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8 -> {
                byte[] v = new byte[n];
                t.getByteBuffer().get(v);
                yield Tensor.fromStorage(dev.graft.tensor.Storage.wrap(dev.graft.tensor.DType.UINT8, v), shape, "uint8");
            }
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8 -> {
                byte[] b = new byte[n];
                t.getByteBuffer().get(b);
                int[] v = new int[n];
                for (int i = 0; i < n; i++) {
                    v[i] = b[i];
                }
                yield Tensor.fromArray(v, shape);
            }
            case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL -> {
                byte[] b = new byte[n];
                t.getByteBuffer().get(b);
                boolean[] v = new boolean[n];
                for (int i = 0; i < n; i++) {
                    v[i] = b[i] != 0;
                }
                yield Tensor.fromArray(v, shape);
            }
            default -> throw new AssertionError("ORT returned " + info.onnxType);
        };
    }

    @Test
    void int8SingleSentencesMatchOptimizedOnnxRuntime() throws OrtException {
        compare(true, true, true, 0.9999, 0.05);
    }

    @Test
    void fp32EmbeddingsDoNotDependOnBatchSize() {
        SentenceEmbedder graft = SentenceEmbedder.miniLm(false);
        float[][] one = graft.embed(SENTENCES, 1);
        float[][] all = graft.embed(SENTENCES, 32);
        float[][] three = graft.embed(SENTENCES, 3);
        for (int i = 0; i < SENTENCES.size(); i++) {
            assertTrue(maxAbs(one[i], all[i]) <= 1e-5, "sentence " + i + ": batch 1 vs 32 differ by " + maxAbs(one[i], all[i]));
            assertTrue(maxAbs(one[i], three[i]) <= 1e-5, "sentence " + i + ": batch 1 vs 3 differ by " + maxAbs(one[i], three[i]));
            double norm = 0;
            for (float v : one[i]) {
                norm += v * v;
            }
            assertEquals(1.0, norm, 1e-5);
        }
    }
}
