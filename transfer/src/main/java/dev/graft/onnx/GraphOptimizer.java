package dev.graft.onnx;

import dev.graft.onnx.fusion.FusedOps;
import dev.graft.onnx.ops.OnnxOp;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Load-time graph rewrites, in the spirit of ONNX Runtime's fusions: chains of primitive nodes that
 * exporters emit for one layer are replaced by one node of the private domain {@value #DOMAIN}, run
 * by an op of {@link FusedOps}. Recognised (by exact structure, with checks on every constant):
 * <ul>
 *   <li>{@code LayerNorm}: ReduceMean(x, last axis) → Sub → Pow 2 → ReduceMean → Add eps → Sqrt → Div
 *       → Mul scale → Add bias (the opset &lt; 17 export of torch.nn.LayerNorm);</li>
 *   <li>{@code Gelu}: x · 0.5 · (1 + Erf(x / √2)) in the two orders exporters write it;</li>
 *   <li>{@code Linear}: MatMul(x, W) with a 2-D initializer W, then Add of a 1-D initializer bias of
 *       W's column count (either operand order), and the GELU after it when that is the sum's only
 *       reader ({@code activation="gelu"}: bias and GELU in one pass over the product);</li>
 *   <li>{@code Attention}: MatMul(q, k) → Div or Mul by a constant → Add mask (optional, either order)
 *       → Softmax → MatMul(·, v), the softmax keeping its opset's axis semantics.</li>
 * </ul>
 *
 * <p>A chain is rewritten only when every intermediate value has exactly the consumers the pattern
 * expects (also counting values read from inside If/Loop/Scan bodies) and none is a graph output,
 * so nothing outside the chain can observe the difference. Structural constants (eps, the exponent,
 * √2, 1, 0.5) must come from {@code Constant} nodes: a float initializer is a trainable parameter
 * whose value may change after load, so a chain reading one is left alone. The fused node takes the
 * chain's external inputs, writes the chain's last output, and is named after the chain's first and
 * last nodes so errors still point at the file. Fused ops give the unfused graph's results within
 * float32 rounding and stay differentiable (they record the same Graft ops when a gradient is
 * needed). Constant nodes left without consumers are dropped. Graphs with DynamicQuantizeLinear are
 * not rewritten (see {@code quantizesActivations}).
 *
 * <p>On by default; {@code -Dgraft.onnx.optimize=false} or {@link OnnxModule#of(OnnxModel,
 * dev.graft.onnx.ops.OpRegistry, boolean)} turns it off. Fusion bypasses the registry's ops for the
 * fused types, so a caller who replaced MatMul, Erf, ... with their own op should turn it off.
 */
public final class GraphOptimizer {
    /** The domain of fused nodes. */
    public static final String DOMAIN = "dev.graft.fused";
    /** The system property that turns the rewrite off when "false". */
    public static final String PROPERTY = "graft.onnx.optimize";

    private static final double SQRT2 = Math.sqrt(2.0);

    private GraphOptimizer() {
    }

    /** Whether {@link OnnxModule#load}/{@code of} optimize when not told: unless the system property says "false". */
    public static boolean enabledByDefault() {
        return !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").trim());
    }

    /** The op that runs a fused node type, or null when {@code opType} is not one. */
    public static OnnxOp op(String opType) {
        return FusedOps.find(opType);
    }

    /** True for nodes this optimizer wrote. */
    public static boolean isFused(OnnxNode n) {
        return DOMAIN.equals(n.domain());
    }

    /**
     * The graph with every recognised chain fused (the same object when nothing matched), for a file
     * whose default-domain opset is unknown: Softmax chains are then fused only with axis -1, where
     * every opset agrees.
     */
    public static OnnxGraph optimize(OnnxGraph g) {
        return optimize(g, -1);
    }

    /** As {@link #optimize(OnnxGraph)} for a file importing the default domain at {@code opset} (Softmax semantics). */
    public static OnnxGraph optimize(OnnxGraph g, int opset) {
        if (quantizesActivations(g)) {
            return g;
        }
        Rewriter r = new Rewriter(g, opset);
        r.pass(r::layerNorm);
        r.pass(r::gelu);
        r.pass(r::linear);
        r.pass(r::attention);
        if (r.changed) {
            r.dropDeadConstants(); // only the Constants a fusion orphaned: an unfused graph comes back as it was
        }
        if (!r.changed) {
            return g;
        }
        return new OnnxGraph(g.name(), List.copyOf(r.nodes), g.initializers(), g.initializerTypes(), g.inputs(), g.outputs(),
                g.valueInfo());
    }

    /**
     * Graphs that quantize activations with data-dependent scales (DynamicQuantizeLinear) are left as
     * written: their output is a discontinuous function of float rounding (an x / scale within an ulp
     * of a .5 tie rounds either way, and one flipped quantum spreads through the batch-wide scales),
     * so a fused op that rounds differently from the chain, though equally accurate, can move the
     * result far more than float32 rounding. Measured on all-MiniLM-L6-v2 int8: fused LayerNorm/GELU
     * took single-sentence agreement with ONNX Runtime from cosine 1.0000000 to 0.9989.
     */
    static boolean quantizesActivations(OnnxGraph g) {
        for (OnnxNode n : g.nodes()) {
            if (Rewriter.isOp(n, "DynamicQuantizeLinear")) {
                return true;
            }
        }
        return false;
    }

    /** How many nodes of each fused type a graph holds (for tests and diagnostics). */
    public static Map<String, Integer> fusedCounts(OnnxGraph g) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (OnnxNode n : g.nodes()) {
            if (isFused(n)) {
                counts.merge(n.opType(), 1, Integer::sum);
            }
        }
        return counts;
    }

    // ------------------------------------------------------------------ the rewriter

    private interface Matcher {
        /** Tries to match a chain anchored at {@code n}; returns the chain (fused node last) or null. */
        Match match(OnnxNode n);
    }

    /** The chain's nodes, in pattern order, and the node replacing them. */
    private record Match(List<OnnxNode> chain, OnnxNode fused) {
    }

    private static final class Rewriter {
        private final OnnxGraph g;
        private final int opset;
        private List<OnnxNode> nodes;
        private final Map<String, OnnxNode> producer = new HashMap<>();
        /** Every reading of a value: one entry per node input slot (and per subgraph that mentions it). */
        private final Map<String, List<OnnxNode>> consumers = new HashMap<>();
        private final Set<String> graphOutputs = new HashSet<>();
        boolean changed;

        Rewriter(OnnxGraph g, int opset) {
            this.g = g;
            this.opset = opset;
            this.nodes = new ArrayList<>(g.nodes());
            for (OnnxValueInfo v : g.outputs()) {
                graphOutputs.add(v.name());
            }
        }

        private void index() {
            producer.clear();
            consumers.clear();
            for (OnnxNode n : nodes) {
                for (String out : n.outputs()) {
                    if (!out.isEmpty()) {
                        producer.put(out, n);
                    }
                }
                for (String in : n.inputs()) {
                    if (!in.isEmpty()) {
                        consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
                    }
                }
                // a body graph may read any outer value by name: count those readings too
                for (OnnxAttribute a : n.attributes().values()) {
                    Set<String> seen = new HashSet<>();
                    if (a.g() != null) {
                        mentioned(a.g(), seen);
                    }
                    for (String s : seen) {
                        consumers.computeIfAbsent(s, k -> new ArrayList<>()).add(n);
                    }
                }
            }
        }

        private static void mentioned(OnnxGraph sub, Set<String> into) {
            for (OnnxNode n : sub.nodes()) {
                into.addAll(n.inputs());
                for (OnnxAttribute a : n.attributes().values()) {
                    if (a.g() != null) {
                        mentioned(a.g(), into);
                    }
                }
            }
        }

        /** Runs one matcher over every node; chains never share nodes. */
        void pass(Matcher m) {
            index();
            Map<OnnxNode, OnnxNode> replaceAt = new IdentityHashMap<>();
            Set<OnnxNode> removed = Collections.newSetFromMap(new IdentityHashMap<>());
            for (OnnxNode n : nodes) {
                if (removed.contains(n)) {
                    continue;
                }
                Match found = m.match(n);
                if (found == null || found.chain.stream().anyMatch(removed::contains)) {
                    continue;
                }
                removed.addAll(found.chain);
                // the fused node takes the place of the chain's last node in file order (the executor sorts anyway)
                OnnxNode last = null;
                int lastIndex = -1;
                for (OnnxNode c : found.chain) {
                    int i = indexOf(c);
                    if (i > lastIndex) {
                        lastIndex = i;
                        last = c;
                    }
                }
                replaceAt.put(last, found.fused);
            }
            if (removed.isEmpty()) {
                return;
            }
            List<OnnxNode> next = new ArrayList<>(nodes.size());
            for (OnnxNode n : nodes) {
                OnnxNode f = replaceAt.get(n);
                if (f != null) {
                    next.add(f);
                } else if (!removed.contains(n)) {
                    next.add(n);
                }
            }
            nodes = next;
            changed = true;
        }

        private int indexOf(OnnxNode n) {
            for (int i = 0; i < nodes.size(); i++) {
                if (nodes.get(i) == n) {
                    return i;
                }
            }
            return -1;
        }

        void dropDeadConstants() {
            index();
            List<OnnxNode> next = new ArrayList<>(nodes.size());
            for (OnnxNode n : nodes) {
                boolean dead = isOp(n, "Constant") && n.outputs().stream()
                        .allMatch(o -> o.isEmpty() || !consumers.containsKey(o) && !graphOutputs.contains(o));
                if (!dead) {
                    next.add(n);
                }
            }
            if (next.size() != nodes.size()) {
                nodes = next;
                changed = true;
            }
        }

        // ------------------------------------------------------------------ matching helpers

        private static boolean isOp(OnnxNode n, String opType) {
            return n != null && (n.domain().isEmpty() || n.domain().equals("ai.onnx")) && n.opType().equals(opType);
        }

        private static String out(OnnxNode n) {
            return n.outputs().size() == 1 ? n.outputs().getFirst() : "";
        }

        /** The only reader of {@code value}, when it has exactly one and is not a graph output; else null. */
        private OnnxNode sole(String value) {
            if (value.isEmpty() || graphOutputs.contains(value)) {
                return null;
            }
            List<OnnxNode> c = consumers.get(value);
            return c != null && c.size() == 1 ? c.getFirst() : null;
        }

        /** For a binary node with {@code known} as one operand: the other operand (null when neither is {@code known}). */
        private static String other(OnnxNode n, String known) {
            if (n.inputs().size() != 2) {
                return null;
            }
            String a = n.inputs().get(0);
            String b = n.inputs().get(1);
            if (a.equals(known) && !b.isEmpty()) {
                return b;
            }
            return b.equals(known) && !a.isEmpty() ? a : null;
        }

        /** The value of a Constant node's output, or null (initializers and computed values do not count). */
        private Tensor constant(String value) {
            OnnxNode p = producer.get(value);
            if (!isOp(p, "Constant") || p.outputs().size() != 1) {
                return null;
            }
            OnnxAttribute a = p.attributes().get("value");
            if (a != null && a.type() == OnnxAttribute.Type.TENSOR && a.t() != null) {
                return a.t();
            }
            OnnxAttribute f = p.attributes().get("value_float");
            if (f != null && f.type() == OnnxAttribute.Type.FLOAT) {
                return Tensor.scalar(f.f());
            }
            return null;
        }

        /** A one-element float Constant of rank 0 or 1 (rank 1 could add a dimension to a 0-d operand). */
        private Tensor floatScalar(String value) {
            Tensor t = constant(value);
            if (t == null || t.numel() != 1 || t.dim() > 1 || !t.dtype().isFloating()) {
                return null;
            }
            return t;
        }

        private static boolean near(Tensor t, double expected) {
            return t != null && Math.abs(t.item() - expected) <= 1e-6 * Math.abs(expected);
        }

        /** ReduceMean over exactly the last axis, keeping dims (axes as attribute, or as a constant input from opset 18). */
        private boolean meanOverLastAxis(OnnxNode n) {
            if (!isOp(n, "ReduceMean") || n.outputs().size() != 1 || n.inputs().isEmpty() || n.inputs().getFirst().isEmpty()) {
                return false;
            }
            OnnxAttribute keep = n.attributes().get("keepdims");
            if (keep != null && (keep.type() != OnnxAttribute.Type.INT || keep.i() != 1)) {
                return false;
            }
            OnnxAttribute axes = n.attributes().get("axes");
            long[] ax;
            if (n.inputs().size() >= 2 && !n.inputs().get(1).isEmpty()) {
                Tensor t = constant(n.inputs().get(1));
                if (axes != null || t == null || t.dtype() != DType.INT64 || t.dim() != 1) {
                    return false;
                }
                ax = t.toLongArray();
            } else {
                if (axes == null || axes.type() != OnnxAttribute.Type.INTS) {
                    return false;
                }
                ax = axes.ints();
            }
            return ax.length == 1 && ax[0] == -1;
        }

        private OnnxNode fusedNode(String opType, List<OnnxNode> chain, List<String> inputs, String output,
                                   Map<String, OnnxAttribute> attrs) {
            String last = chain.getLast().label();
            if (isFused(chain.getLast()) && last.contains("..")) {
                last = last.substring(last.lastIndexOf("..") + 2); // a fused node joining in: its own last node
            }
            String name = chain.getFirst().label() + ".." + last;
            return new OnnxNode(name, opType, DOMAIN, List.copyOf(inputs), List.of(output), Map.copyOf(attrs));
        }

        private static OnnxAttribute tensorAttr(String name, Tensor t) {
            return new OnnxAttribute(name, OnnxAttribute.Type.TENSOR, 0f, 0L, null, t, null, null, null, null, null);
        }

        private static OnnxAttribute stringAttr(String name, String v) {
            return new OnnxAttribute(name, OnnxAttribute.Type.STRING, 0f, 0L, v, null, null, null, null, null, null);
        }

        private static OnnxAttribute intAttr(String name, long v) {
            return new OnnxAttribute(name, OnnxAttribute.Type.INT, 0f, v, null, null, null, null, null, null, null);
        }

        // ------------------------------------------------------------------ patterns

        /**
         * mean = ReduceMean(x); d = Sub(x, mean); var = ReduceMean(Pow(d, 2)); y = Div(d, Sqrt(Add(var, eps)));
         * out = Add(Mul(y, scale), bias), operands of Add/Mul in either order.
         */
        Match layerNorm(OnnxNode rm1) {
            if (!meanOverLastAxis(rm1)) {
                return null;
            }
            String x = rm1.inputs().getFirst();
            OnnxNode sub = sole(out(rm1));
            if (!isOp(sub, "Sub") || !sub.inputs().equals(List.of(x, out(rm1)))) {
                return null;
            }
            String d = out(sub);
            List<OnnxNode> dReaders = consumers.getOrDefault(d, List.of());
            if (d.isEmpty() || graphOutputs.contains(d) || dReaders.size() != 2) {
                return null;
            }
            OnnxNode pow = dReaders.stream().filter(n -> isOp(n, "Pow")).findFirst().orElse(null);
            OnnxNode div = dReaders.stream().filter(n -> isOp(n, "Div")).findFirst().orElse(null);
            if (pow == null || div == null || pow.inputs().size() != 2 || !pow.inputs().getFirst().equals(d)
                    || !near(floatOrIntScalar(pow.inputs().get(1)), 2.0)) {
                return null;
            }
            OnnxNode rm2 = sole(out(pow));
            if (!meanOverLastAxis(rm2) || !rm2.inputs().getFirst().equals(out(pow))) {
                return null;
            }
            OnnxNode addEps = sole(out(rm2));
            String epsName = isOp(addEps, "Add") ? other(addEps, out(rm2)) : null;
            Tensor eps = epsName == null ? null : floatScalar(epsName);
            if (eps == null || eps.item() < 0) {
                return null;
            }
            OnnxNode sqrt = sole(out(addEps));
            if (!isOp(sqrt, "Sqrt") || sole(out(sqrt)) != div || !div.inputs().equals(List.of(d, out(sqrt)))) {
                return null;
            }
            OnnxNode mul = sole(out(div));
            String scale = isOp(mul, "Mul") ? other(mul, out(div)) : null;
            if (scale == null) {
                return null;
            }
            OnnxNode addB = sole(out(mul));
            String bias = isOp(addB, "Add") ? other(addB, out(mul)) : null;
            if (bias == null || out(addB).isEmpty()) {
                return null;
            }
            List<OnnxNode> chain = List.of(rm1, sub, pow, rm2, addEps, sqrt, div, mul, addB);
            return new Match(chain, fusedNode("LayerNorm", chain, List.of(x, scale, bias), out(addB),
                    Map.of("epsilon", tensorAttr("epsilon", eps))));
        }

        private Tensor floatOrIntScalar(String value) {
            Tensor t = constant(value);
            return t == null || t.numel() != 1 || t.dim() > 1 ? null : t;
        }

        /**
         * Gelu(x) = Mul(Mul(x, Add(Erf(x / √2), 1)), 0.5) or Mul(Mul(x, 0.5), Add(Erf(x / √2), 1)), where x / √2 may
         * also be Mul(x, 1/√2); commutative operands in either order.
         */
        Match gelu(OnnxNode erf) {
            if (!isOp(erf, "Erf") || erf.inputs().size() != 1) {
                return null;
            }
            OnnxNode scaleNode = producer.get(erf.inputs().getFirst());
            if (scaleNode == null || sole(out(scaleNode)) != erf || scaleNode.inputs().size() != 2) {
                return null;
            }
            String x;
            Tensor c1;
            if (isOp(scaleNode, "Div")) {
                x = scaleNode.inputs().get(0);
                c1 = floatScalar(scaleNode.inputs().get(1));
                if (!near(c1, SQRT2)) {
                    return null;
                }
            } else if (isOp(scaleNode, "Mul")) {
                Tensor a = floatScalar(scaleNode.inputs().get(0));
                Tensor b = floatScalar(scaleNode.inputs().get(1));
                if (near(b, 1 / SQRT2)) {
                    x = scaleNode.inputs().get(0);
                    c1 = b;
                } else if (near(a, 1 / SQRT2)) {
                    x = scaleNode.inputs().get(1);
                    c1 = a;
                } else {
                    return null;
                }
            } else {
                return null;
            }
            if (x.isEmpty()) {
                return null;
            }
            OnnxNode addOne = sole(out(erf));
            String oneName = isOp(addOne, "Add") ? other(addOne, out(erf)) : null;
            Tensor one = oneName == null ? null : floatScalar(oneName);
            if (!near(one, 1.0)) {
                return null;
            }
            OnnxNode m1 = sole(out(addOne));
            String m1Other = isOp(m1, "Mul") ? other(m1, out(addOne)) : null;
            if (m1Other == null) {
                return null;
            }
            List<OnnxNode> chain;
            Tensor half;
            String output;
            if (m1Other.equals(x)) {
                // form A: (x * (1 + erf)) * 0.5
                OnnxNode m2 = sole(out(m1));
                String halfName = isOp(m2, "Mul") ? other(m2, out(m1)) : null;
                half = halfName == null ? null : floatScalar(halfName);
                if (!near(half, 0.5)) {
                    return null;
                }
                chain = List.of(scaleNode, erf, addOne, m1, m2);
                output = out(m2);
            } else {
                // form B: (x * 0.5) * (1 + erf)
                OnnxNode hx = producer.get(m1Other);
                if (!isOp(hx, "Mul") || sole(out(hx)) != m1) {
                    return null;
                }
                String halfName = other(hx, x);
                half = halfName == null ? null : floatScalar(halfName);
                if (!near(half, 0.5)) {
                    return null;
                }
                chain = List.of(scaleNode, erf, addOne, hx, m1);
                output = out(m1);
            }
            if (output.isEmpty()) {
                return null;
            }
            // a rank-1 constant turns a 0-d x into shape [1]; the fused op reproduces that
            int minRank = Math.max(Math.max(c1.dim(), one.dim()), half.dim());
            return new Match(chain, fusedNode("Gelu", chain, List.of(x), output, Map.of("min_rank", intAttr("min_rank", minRank))));
        }

        /** Add(MatMul(x, W), b) with W a 2-D float initializer [K, N] and b a 1-D float initializer [N]. */
        Match linear(OnnxNode mm) {
            if (!isOp(mm, "MatMul") || mm.inputs().size() != 2 || mm.inputs().getFirst().isEmpty()) {
                return null;
            }
            Tensor w = g.initializers().get(mm.inputs().get(1));
            if (w == null || w.dim() != 2 || !w.dtype().isFloating() || producer.containsKey(mm.inputs().get(1))) {
                return null;
            }
            OnnxNode add = sole(out(mm));
            String bias = isOp(add, "Add") ? other(add, out(mm)) : null;
            Tensor b = bias == null ? null : g.initializers().get(bias);
            if (b == null || b.dim() != 1 || b.size(0) != w.size(1) || b.dtype() != w.dtype() || producer.containsKey(bias)
                    || out(add).isEmpty()) {
                return null;
            }
            // a fused Gelu (from the earlier pass) that is the sum's only reader joins in: bias and GELU in one pass
            OnnxNode act = sole(out(add));
            if (act != null && isFused(act) && act.opType().equals("Gelu") && act.inputs().equals(List.of(out(add)))) {
                List<OnnxNode> chain = List.of(mm, add, act);
                return new Match(chain, fusedNode("Linear", chain, List.of(mm.inputs().getFirst(), mm.inputs().get(1), bias),
                        out(act), Map.of("activation", stringAttr("activation", "gelu"))));
            }
            List<OnnxNode> chain = List.of(mm, add);
            return new Match(chain, fusedNode("Linear", chain, List.of(mm.inputs().getFirst(), mm.inputs().get(1), bias),
                    out(add), Map.of()));
        }
    
        /** softmax(MatMul(q, k) / c [+ mask]) @ v, the scale a Div or Mul by a scalar Constant. */
        Match attention(OnnxNode sm) {
            if (!isOp(sm, "Softmax") || sm.inputs().size() != 1 || out(sm).isEmpty()) {
                return null;
            }
            OnnxAttribute axisAttr = sm.attributes().get("axis");
            if (axisAttr != null && axisAttr.type() != OnnxAttribute.Type.INT) {
                return null;
            }
            int ops = opset;
            if (ops < 0) {
                // unknown opset: only axis -1 means the same in every version
                if (axisAttr == null || axisAttr.i() != -1) {
                    return null;
                }
                ops = 13;
            }
            long axis = axisAttr != null ? axisAttr.i() : ops >= 13 ? -1 : 1;
            OnnxNode pre = producer.get(sm.inputs().getFirst());
            if (pre == null || sole(out(pre)) != sm) {
                return null;
            }
            OnnxNode add = null;
            OnnxNode scaleNode = null;
            String mask = "";
            if (isOp(pre, "Add") && pre.inputs().size() == 2) {
                for (int i = 0; i < 2; i++) {
                    OnnxNode p = producer.get(pre.inputs().get(i));
                    if ((isOp(p, "Div") || isOp(p, "Mul")) && sole(out(p)) == pre && !pre.inputs().get(1 - i).isEmpty()) {
                        add = pre;
                        scaleNode = p;
                        mask = pre.inputs().get(1 - i);
                        break;
                    }
                }
            } else if (isOp(pre, "Div") || isOp(pre, "Mul")) {
                scaleNode = pre;
            }
            if (scaleNode == null || scaleNode.inputs().size() != 2) {
                return null;
            }
            OnnxNode mm1 = null;
            Tensor c = null;
            for (int i = 0; i < 2 && mm1 == null; i++) {
                if (i == 1 && isOp(scaleNode, "Div")) {
                    break; // only the divisor may be the constant
                }
                OnnxNode p = producer.get(scaleNode.inputs().get(i));
                Tensor k = floatScalar(scaleNode.inputs().get(1 - i));
                if (isOp(p, "MatMul") && k != null && sole(out(p)) == scaleNode && p.inputs().size() == 2) {
                    mm1 = p;
                    c = k;
                }
            }
            if (mm1 == null || c.dim() != 0 || mm1.inputs().stream().anyMatch(String::isEmpty)) {
                return null; // a rank-1 scale could change a rank; keep to the plain case
            }
            OnnxNode mm2 = sole(out(sm));
            if (!isOp(mm2, "MatMul") || mm2.inputs().size() != 2 || !mm2.inputs().getFirst().equals(out(sm))
                    || mm2.inputs().get(1).isEmpty() || mm2.inputs().get(1).equals(out(sm)) || out(mm2).isEmpty()) {
                return null;
            }
            List<OnnxNode> chain = add == null ? List.of(mm1, scaleNode, sm, mm2) : List.of(mm1, scaleNode, add, sm, mm2);
            Map<String, OnnxAttribute> attrs = Map.of(
                    "scale", tensorAttr("scale", c),
                    "scale_op", stringAttr("scale_op", scaleNode.opType()),
                    "axis", intAttr("axis", axis),
                    "opset", intAttr("opset", ops));
            return new Match(chain, fusedNode("Attention", chain,
                    List.of(mm1.inputs().get(0), mm1.inputs().get(1), mask, mm2.inputs().get(1)), out(mm2), attrs));
        }
    }
}
