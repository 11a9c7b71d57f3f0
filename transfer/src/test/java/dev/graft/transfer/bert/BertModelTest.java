package dev.graft.transfer.bert;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.graft.autograd.NoGrad;
import dev.graft.nn.StateDictException;
import dev.graft.onnx.OnnxGraph;
import dev.graft.onnx.OnnxModel;
import dev.graft.onnx.OnnxModule;
import dev.graft.onnx.OnnxNode;
import dev.graft.onnx.ops.OpRegistry;
import dev.graft.optim.AdamW;
import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native BertModel loaded from all-MiniLM-L6-v2's ONNX file against ONNX Runtime on the same
 * file (the reference), its Hugging Face parameter names, the loader's error report, and a
 * fine-tuning sanity check.
 */
class BertModelTest {
    private static final int CLS = 101;
    private static final int SEP = 102;
    private static final int PAD = 0;

    private static byte[] bytes;
    private static OnnxModel onnx;
    private static BertModel bert;
    private static OrtEnvironment env;
    private static OrtSession ort;

    @BeforeAll
    static void load() throws IOException, OrtException {
        try (InputStream in = BertModelTest.class.getResourceAsStream(BertOnnxLoader.ALL_MINILM_L6_V2)) {
            assertNotNull(in, "the MiniLM artifact is a dependency of transfer");
            bytes = in.readAllBytes();
        }
        onnx = OnnxModel.parse(ByteBuffer.wrap(bytes), BertOnnxLoader.ALL_MINILM_L6_V2, null);
        bert = BertOnnxLoader.load(onnx);
        env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        opts.setIntraOpNumThreads(1);
        ort = env.createSession(bytes, opts);
    }

    @AfterAll
    static void close() throws OrtException {
        if (ort != null) {
            ort.close();
        }
        // the suite shares one 2 GB JVM: let the ~300 MB of model copies go
        ort = null;
        bert = null;
        onnx = null;
        bytes = null;
    }

    // ------------------------------------------------------------------ inputs

    /** Sentences of the given lengths ([CLS] ids [SEP]), right-padded to the longest, ids from a seeded generator. */
    private static long[][] batch(long seed, int... lengths) {
        Random r = new Random(seed);
        int t = Arrays.stream(lengths).max().orElseThrow();
        long[][] ids = new long[lengths.length][t];
        for (int b = 0; b < lengths.length; b++) {
            Arrays.fill(ids[b], PAD);
            ids[b][0] = CLS;
            for (int i = 1; i < lengths[b] - 1; i++) {
                ids[b][i] = 1000 + r.nextInt(30522 - 1000);
            }
            ids[b][lengths[b] - 1] = SEP;
        }
        return ids;
    }

    private static long[][] maskOf(long[][] ids) {
        long[][] m = new long[ids.length][];
        for (int b = 0; b < ids.length; b++) {
            m[b] = new long[ids[b].length];
            for (int i = 0; i < ids[b].length; i++) {
                // position 0 is [CLS] even if a test ever used id 0 there
                m[b][i] = i == 0 || ids[b][i] != PAD ? 1 : 0;
            }
        }
        return m;
    }

    private static Tensor tensor(long[][] a) {
        long[] flat = Arrays.stream(a).flatMapToLong(Arrays::stream).toArray();
        return Tensor.fromArray(flat, a.length, a[0].length);
    }

    private static float[][][] ortHidden(long[][] ids, long[][] mask) throws OrtException {
        long[][] types = new long[ids.length][ids[0].length];
        Map<String, OnnxTensor> feeds = new HashMap<>();
        try (OnnxTensor i = OnnxTensor.createTensor(env, ids);
             OnnxTensor m = OnnxTensor.createTensor(env, mask);
             OnnxTensor t = OnnxTensor.createTensor(env, types)) {
            feeds.put("input_ids", i);
            feeds.put("attention_mask", m);
            feeds.put("token_type_ids", t);
            try (OrtSession.Result r = ort.run(feeds)) {
                return (float[][][]) r.get("last_hidden_state").orElseThrow().getValue();
            }
        }
    }

    /** Masked mean then L2 normalisation in float64, written out independently of SentenceEmbeddings. */
    private static double[][] referenceEmbedding(float[][][] hidden, long[][] mask) {
        double[][] out = new double[hidden.length][];
        for (int b = 0; b < hidden.length; b++) {
            int h = hidden[b][0].length;
            double[] sum = new double[h];
            double count = 0;
            for (int t = 0; t < hidden[b].length; t++) {
                if (mask[b][t] != 0) {
                    count++;
                    for (int j = 0; j < h; j++) {
                        sum[j] += hidden[b][t][j];
                    }
                }
            }
            double norm = 0;
            for (int j = 0; j < h; j++) {
                sum[j] /= count;
                norm += sum[j] * sum[j];
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < h; j++) {
                sum[j] /= norm;
            }
            out[b] = sum;
        }
        return out;
    }

    // ------------------------------------------------------------------ (a) against ONNX Runtime

    @Test
    void matchesOnnxRuntimeOnPaddedBatches() throws OrtException {
        List<long[][]> batches = List.of(
                new long[][] {{CLS, 7592, 2088, SEP}},                  // "hello world"
                batch(1, 16, 7, 3, 12),
                batch(2, 9, 9),
                batch(3, 2, 16, 5));
        double worstHidden = 0;
        double worstCos = 1;
        double worstEmb = 0;
        for (long[][] ids : batches) {
            long[][] mask = maskOf(ids);
            float[][][] expected = ortHidden(ids, mask);
            Tensor hidden;
            Tensor emb;
            try (var g = NoGrad.enter()) {
                hidden = bert.forward(tensor(ids), tensor(mask), null);
                emb = SentenceEmbeddings.embed(hidden, tensor(mask));
            }
            int b = ids.length;
            int t = ids[0].length;
            assertArrayEquals(new int[] {b, t, 384}, hidden.shape());
            float[] got = hidden.contiguous().toFloatArray();
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < t; j++) {
                    if (mask[i][j] == 0) {
                        continue; // padded positions carry no meaning (and are not pooled)
                    }
                    for (int k = 0; k < 384; k++) {
                        worstHidden = Math.max(worstHidden, Math.abs(got[(i * t + j) * 384 + k] - expected[i][j][k]));
                    }
                }
            }
            double[][] ref = referenceEmbedding(expected, mask);
            float[] e = emb.contiguous().toFloatArray();
            for (int i = 0; i < b; i++) {
                double dot = 0;
                double nn = 0;
                for (int k = 0; k < 384; k++) {
                    dot += e[i * 384 + k] * ref[i][k];
                    nn += (double) e[i * 384 + k] * e[i * 384 + k];
                    worstEmb = Math.max(worstEmb, Math.abs(e[i * 384 + k] - ref[i][k]));
                }
                worstCos = Math.min(worstCos, dot / Math.sqrt(nn));
            }
        }
        System.out.printf("BertModel vs ONNX Runtime: last_hidden_state max |diff| %.3g (unpadded), embedding max |diff| %.3g,"
                + " min cosine %.9f%n", worstHidden, worstEmb, worstCos);
        assertTrue(worstHidden <= 1e-4, "last_hidden_state max |diff| " + worstHidden);
        assertTrue(worstEmb <= 1e-4, "embedding max |diff| " + worstEmb);
        assertTrue(worstCos >= 0.99999, "min cosine " + worstCos);
    }

    @Test
    void theImportedGraphAndTheNativeModelAgree() {
        // the "both paths give the same embeddings": OnnxModule executing the graph op by op vs BertModel
        OnnxModule graph = OnnxModule.of(onnx, OpRegistry.standard());
        long[][] ids = batch(4, 11, 5, 16);
        Tensor in = tensor(ids);
        Tensor mask = tensor(maskOf(ids));
        Tensor types = Tensor.zeros(DType.INT64, ids.length, ids[0].length);
        Tensor viaGraph = graph.infer(Map.of("input_ids", in, "attention_mask", mask, "token_type_ids", types)).get("last_hidden_state");
        Tensor native_;
        try (var g = NoGrad.enter()) {
            native_ = bert.forward(in, mask, types);
        }
        assertArrayEquals(native_.shape(), viaGraph.shape());
        // compare on tokens only: padded positions are never pooled
        Tensor keep = mask.to(DType.FLOAT32).unsqueeze(2);
        double worst = viaGraph.sub(native_).mul(keep).abs().max().item();
        double cos = SentenceEmbeddings.cosine(SentenceEmbeddings.embed(viaGraph, mask), SentenceEmbeddings.embed(native_, mask))
                .min().item();
        System.out.printf("BertModel vs OnnxModule: last_hidden_state max |diff| %.3g, min cosine %.9f%n", worst, cos);
        assertTrue(worst <= 1e-4, "max |diff| " + worst);
        assertTrue(cos >= 0.99999, "cosine " + cos);
    }

    @Test
    void paddingDoesNotChangeASentencesEmbedding() {
        long[][] alone = batch(7, 6);
        long[][] padded = batch(7, 6, 14);
        try (var g = NoGrad.enter()) {
            Tensor a = SentenceEmbeddings.embed(bert.forward(tensor(alone), tensor(maskOf(alone)), null), tensor(maskOf(alone)));
            Tensor b = SentenceEmbeddings.embed(bert.forward(tensor(padded), tensor(maskOf(padded)), null), tensor(maskOf(padded)));
            float[] x = a.contiguous().toFloatArray();
            float[] y = b.select(0, 0).contiguous().toFloatArray();
            for (int k = 0; k < x.length; k++) {
                assertEquals(x[k], y[k], 1e-5, "component " + k);
            }
        }
    }

    // ------------------------------------------------------------------ (b) names, config, mapping

    @Test
    void configIsReadFromTheGraph() {
        BertConfig c = bert.config();
        assertEquals(30522, c.vocabSize());
        assertEquals(384, c.hidden());
        assertEquals(6, c.layers());
        assertEquals(12, c.heads(), "from the attention Reshape constants (hidden / 64 would say 6)");
        assertEquals(32, c.headDim());
        assertEquals(1536, c.intermediate());
        assertEquals(512, c.maxPosition());
        assertEquals(2, c.typeVocab());
        assertEquals(1e-12, c.layerNormEps(), 1e-18);
        assertEquals(BertConfig.Activation.GELU, c.activation());
        assertEquals(-Float.MAX_VALUE, c.attentionMaskValue(), 0, "torch exports finfo(float32).min");
        assertNull(bert.pooler(), "the sentence-transformers export has no pooler");
        assertFalse(bert.isTraining(), "loaded models are in eval mode");
    }

    @Test
    void parametersHaveHuggingFaceNamesAndLayouts() {
        Map<String, Tensor> p = bert.namedParameters();
        Tensor q = p.get("encoder.layer.3.attention.self.query.weight");
        assertNotNull(q, "names: " + p.keySet());
        assertArrayEquals(new int[] {384, 384}, q.shape());
        assertArrayEquals(new int[] {1536, 384}, p.get("encoder.layer.5.intermediate.dense.weight").shape());
        assertArrayEquals(new int[] {384, 1536}, p.get("encoder.layer.5.output.dense.weight").shape());
        for (String n : List.of("embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias",
                "encoder.layer.0.attention.self.key.bias", "encoder.layer.0.attention.self.value.weight",
                "encoder.layer.0.attention.output.dense.weight", "encoder.layer.0.attention.output.LayerNorm.bias",
                "encoder.layer.0.output.LayerNorm.weight")) {
            assertTrue(p.containsKey(n), n + " missing from " + p.keySet());
        }
        // 5 embedding tensors + 16 per layer; HF's BertModel without pooler has exactly these
        assertEquals(5 + 16 * 6, p.size());
        long count = p.values().stream().mapToLong(Tensor::numel).sum();
        assertEquals(22_565_376L, count);
        p.values().forEach(t -> assertTrue(t.requiresGrad()));

        // the anonymous MatMul weight of that node, transposed, is what the query Linear holds
        OnnxNode mm = onnx.graph().nodes().stream().filter(n -> n.name().equals("/encoder/layer.3/attention/self/query/MatMul"))
                .findFirst().orElseThrow();
        Tensor w = onnx.graph().initializers().get(mm.inputs().get(1));
        assertTrue(mm.inputs().get(1).startsWith("onnx::MatMul_"), mm.inputs().get(1));
        assertArrayEquals(w.t().contiguous().toFloatArray(), q.contiguous().toFloatArray());
    }

    @Test
    void mapsMatMulWeightsThroughTheirBiasWhenNodesAreUnnamed() {
        // strip every node name: only the Add-with-named-bias route is left, and it must give the same weights
        List<OnnxNode> unnamed = new ArrayList<>();
        for (OnnxNode n : onnx.graph().nodes()) {
            unnamed.add(new OnnxNode("", n.opType(), n.domain(), n.inputs(), n.outputs(), n.attributes()));
        }
        OnnxGraph g = onnx.graph();
        Map<String, Tensor> viaBias = BertOnnxLoader.stateDict(onnx);
        BertModel other = BertOnnxLoader.load(new OnnxGraph(g.name(), unnamed, g.initializers(), g.initializerTypes(), g.inputs(),
                g.outputs(), g.valueInfo()));
        assertEquals(bert.config().heads(), other.config().heads(), "without names the head count comes from the Reshape constants");
        Map<String, Tensor> a = bert.stateDict();
        Map<String, Tensor> b = other.stateDict();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).contiguous().toFloatArray(), b.get(k).contiguous().toFloatArray(), k);
        }
        assertEquals(a.keySet(), viaBias.keySet());
    }

    @Test
    void reportsEveryMissingAndUnexpectedNameAtOnce() {
        OnnxGraph g = onnx.graph();
        Map<String, Tensor> inits = new LinkedHashMap<>(g.initializers());
        String w = g.nodes().stream().filter(n -> n.name().equals("/encoder/layer.5/intermediate/dense/MatMul")).findFirst()
                .orElseThrow().inputs().get(1);
        inits.remove(w);
        inits.remove("encoder.layer.2.output.LayerNorm.bias");
        inits.put("classifier.weight", Tensor.zeros(2, 384));
        OnnxGraph broken = new OnnxGraph(g.name(), g.nodes(), inits, g.initializerTypes(), g.inputs(), g.outputs(), g.valueInfo());
        StateDictException e = assertThrows(StateDictException.class, () -> BertOnnxLoader.load(broken));
        assertEquals(List.of("encoder.layer.2.output.LayerNorm.bias", "encoder.layer.5.intermediate.dense.weight"),
                e.result().missingKeys().stream().sorted().toList(), e.getMessage());
        assertEquals(List.of("classifier.weight"), e.result().unexpectedKeys());
        assertTrue(e.getMessage().contains("encoder.layer.5.intermediate.dense.weight") && e.getMessage().contains("classifier.weight"),
                e.getMessage());
    }

    @Test
    void refusesTheQuantizedSiblingWithAReason() throws IOException {
        byte[] q;
        try (InputStream in = BertModelTest.class.getResourceAsStream("/all-minilm-l6-v2-q.onnx")) {
            assertNotNull(in, "the int8 MiniLM artifact is a dependency of transfer");
            q = in.readAllBytes();
        }
        OnnxModel model = OnnxModel.parse(ByteBuffer.wrap(q), "all-minilm-l6-v2-q.onnx", null);
        var e = assertThrows(dev.graft.onnx.OnnxException.class, () -> BertOnnxLoader.load(model));
        assertTrue(e.getMessage().contains("quantized") && e.getMessage().contains("MatMulInteger"), e.getMessage());
    }

    @Test
    void rejectsBadInputsWithShapes() {
        Tensor ids = Tensor.fromArray(new long[] {CLS, SEP}, 1, 2);
        var ex = assertThrows(RuntimeException.class, () -> bert.forward(ids, Tensor.ones(DType.INT64, 1, 3), null));
        assertTrue(ex.getMessage().contains("[1, 3]") && ex.getMessage().contains("[1, 2]"), ex.getMessage());
        var ex2 = assertThrows(RuntimeException.class, () -> bert.forward(Tensor.zeros(DType.INT64, 1, 600), null, null));
        assertTrue(ex2.getMessage().contains("600"), ex2.getMessage());
        var ex3 = assertThrows(RuntimeException.class, () -> bert.forward(Tensor.fromArray(new long[] {CLS, 30522}, 1, 2), null, null));
        assertTrue(ex3.getMessage().contains("inputIds") && ex3.getMessage().contains("30522"), ex3.getMessage());
        var ex4 = assertThrows(RuntimeException.class, () -> bert.forward(ids, null, Tensor.fromArray(new long[] {0, 2}, 1, 2)));
        assertTrue(ex4.getMessage().contains("tokenTypeIds"), ex4.getMessage());
    }

    // ------------------------------------------------------------------ (c) fine-tuning sanity

    @Test
    void adamWStepsLowerALossAndLeaveFrozenEmbeddingsAlone() {
        BertModel model = BertOnnxLoader.load(onnx); // a private copy: the shared one stays pretrained
        model.embeddings().requiresGrad(false);
        Map<String, float[]> before = new LinkedHashMap<>();
        model.namedParameters().forEach((k, v) -> before.put(k, v.contiguous().toFloatArray()));

        long[][] ids = batch(11, 8, 6);
        Tensor in = tensor(ids);
        Tensor mask = tensor(maskOf(ids));
        // pull the two sentences' embeddings towards a fixed random direction: 1 - cosine
        Tensor target = SentenceEmbeddings.l2Normalize(Tensor.randn(new Generator(5), 1, 384));
        try (var g = NoGrad.enter()) {
            model.forward(in, mask, null); // fills BertLinear's inference cache of W^T, which the steps must invalidate
        }
        AdamW opt = new AdamW(model.parameters(), 1e-4);
        double first = Double.NaN;
        double last = Double.NaN;
        for (int step = 0; step < 3; step++) {
            Tensor emb = SentenceEmbeddings.embed(model.forward(in, mask, null), mask);
            Tensor loss = emb.mul(target).sum().mul(-1).div(ids.length).add(1);
            opt.zeroGrad();
            loss.backward();
            opt.step();
            double l = loss.item();
            if (step == 0) {
                first = l;
            } else {
                assertTrue(l < last, "loss went up at step " + step + ": " + last + " -> " + l);
            }
            last = l;
        }
        assertTrue(last < first - 1e-3, "loss " + first + " -> " + last);
        Map<String, Tensor> after = model.namedParameters();
        for (var e : before.entrySet()) {
            float[] now = after.get(e.getKey()).contiguous().toFloatArray();
            if (e.getKey().startsWith("embeddings.")) {
                assertArrayEquals(e.getValue(), now, e.getKey() + " is frozen");
                assertNull(after.get(e.getKey()).grad(), e.getKey() + " got a gradient");
            }
        }
        assertFalse(Arrays.equals(before.get("encoder.layer.3.attention.self.query.weight"),
                after.get("encoder.layer.3.attention.self.query.weight").contiguous().toFloatArray()), "trainable weights moved");
        assertFalse(Arrays.equals(before.get("encoder.layer.0.output.LayerNorm.bias"),
                after.get("encoder.layer.0.output.LayerNorm.bias").contiguous().toFloatArray()));
        // the inference path (cached W^T) sees the updated weights: it agrees with the autograd path
        Tensor trained = model.forward(in, mask, null);
        Tensor inference;
        try (var g = NoGrad.enter()) {
            inference = model.forward(in, mask, null);
        }
        assertTrue(trained.detach().sub(inference).abs().max().item() <= 1e-5, "stale W^T cache after optimizer steps");
    }
}
