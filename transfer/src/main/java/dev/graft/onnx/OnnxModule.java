package dev.graft.onnx;

import dev.graft.autograd.NoGrad;
import dev.graft.nn.Module;
import dev.graft.onnx.ops.OnnxOp;
import dev.graft.onnx.ops.OpContext;
import dev.graft.onnx.ops.OpRegistry;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX graph as a Graft {@link Module}: floating-point initializers are parameters, registered
 * under their ONNX names (a dotted name such as {@code encoder.layer.0.attention.self.query.bias}
 * becomes the same path in the module tree, so {@link #namedParameters()} and state dicts use the
 * file's names), integer initializers are buffers. {@link #run} executes the graph eagerly with
 * Graft ops, so with grad mode on it records an autograd graph and the model can be fine-tuned;
 * {@link #infer} runs without recording.
 *
 * <p>Loading checks everything that can be checked before a forward: every op is known and its
 * attributes supported (all offenders are listed at once), every node input is produced somewhere,
 * the graph has no cycles. Execution follows a topological order fixed at load time and drops each
 * intermediate after its last use.
 */
public final class OnnxModule extends Module {
    private final OnnxModel model;
    private final Map<String, Tensor> initializers = new LinkedHashMap<>();
    private final Map<String, String> stateNames = new LinkedHashMap<>();
    private final List<Step> plan;
    private final List<OnnxValueInfo> feedInputs;
    private final Set<String> outputNames;

    private record Step(OnnxNode node, OnnxOp op, int opset, List<String> release) {
    }

    private OnnxModule(OnnxModel model, OpRegistry registry, boolean optimize) {
        this.model = model;
        // load-time fusions (LayerNorm, GELU, MatMul+bias, attention chains → one node each, see GraphOptimizer);
        // initializers, inputs and outputs are unchanged, only the node list differs
        OnnxGraph g = optimize ? GraphOptimizer.optimize(model.graph(), model.opset()) : model.graph();
        this.feedInputs = g.feedInputs();
        List<OnnxNode> order = topologicalOrder(model.source(), g);
        checkSupported(model, order, registry);
        for (Map.Entry<String, Tensor> e : g.initializers().entrySet()) {
            Tensor t = e.getValue();
            String stateName = place(this, e.getKey(), t);
            stateNames.put(e.getKey(), stateName);
            initializers.put(e.getKey(), t);
        }
        this.outputNames = new HashSet<>();
        for (OnnxValueInfo v : g.outputs()) {
            outputNames.add(v.name());
        }
        // last use of every value, to drop intermediates early
        Map<String, Integer> lastUse = new HashMap<>();
        for (int i = 0; i < order.size(); i++) {
            for (String in : order.get(i).inputs()) {
                if (!in.isEmpty()) {
                    lastUse.put(in, i);
                }
            }
        }
        List<List<String>> release = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            release.add(new ArrayList<>());
        }
        for (Map.Entry<String, Integer> e : lastUse.entrySet()) {
            if (!outputNames.contains(e.getKey()) && !initializers.containsKey(e.getKey())) {
                release.get(e.getValue()).add(e.getKey());
            }
        }
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            OnnxNode n = order.get(i);
            steps.add(new Step(n, find(registry, n), opsetOf(model, n), List.copyOf(release.get(i))));
        }
        this.plan = List.copyOf(steps);
    }

    /** Loads a model file with Graft's built-in ops (graph fusions on unless {@code -Dgraft.onnx.optimize=false}). */
    public static OnnxModule load(Path file) {
        return new OnnxModule(OnnxModel.read(file), OpRegistry.standard(), GraphOptimizer.enabledByDefault());
    }

    /** Builds the executable module for a parsed model with the given ops (fusions as {@link #load}). */
    public static OnnxModule of(OnnxModel model, OpRegistry registry) {
        return new OnnxModule(model, registry, GraphOptimizer.enabledByDefault());
    }

    /** As {@link #of(OnnxModel, OpRegistry)}, with the load-time fusions of {@link GraphOptimizer} on or off. */
    public static OnnxModule of(OnnxModel model, OpRegistry registry, boolean optimize) {
        return new OnnxModule(model, registry, optimize);
    }

    /** The parsed file. */
    public OnnxModel model() {
        return model;
    }

    /** The inputs a caller feeds (graph inputs that are not initializers), in declared order. */
    public List<OnnxValueInfo> inputs() {
        return feedInputs;
    }

    /** The graph outputs, in declared order. */
    public List<OnnxValueInfo> outputs() {
        return model.graph().outputs();
    }

    /** The live initializer tensors (parameters and buffers) by ONNX name. */
    public Map<String, Tensor> initializers() {
        return Collections.unmodifiableMap(initializers);
    }

    /** The state-dict name an ONNX initializer is registered under (its own name unless it had to be escaped). */
    public String stateName(String onnxName) {
        return stateNames.get(onnxName);
    }

    /** Runs without recording a graph: the inference path. */
    public Map<String, Tensor> infer(Map<String, Tensor> feeds) {
        try (NoGrad ignored = NoGrad.enter()) {
            return run(feeds);
        }
    }

    /** Single input, first output: {@code forward(x)} for models with one fed input. */
    @Override
    public Tensor forward(Tensor input) {
        if (feedInputs.size() != 1) {
            throw new OnnxException(model.source() + ": forward(Tensor) needs a model with exactly one input; this one has "
                    + feedInputs.stream().map(OnnxValueInfo::name).toList() + " (use run(Map))");
        }
        return run(Map.of(feedInputs.getFirst().name(), input)).values().iterator().next();
    }

    /**
     * Executes the graph on the given inputs (by name) and returns the graph outputs by name in
     * declared order. Records an autograd graph when grad mode is on and a parameter requires grad.
     */
    public Map<String, Tensor> run(Map<String, Tensor> feeds) {
        Map<String, Tensor> env = new HashMap<>(initializers);
        checkFeeds(feeds);
        env.putAll(feeds);
        for (Step s : plan) {
            List<String> ins = s.node.inputs();
            Tensor[] args = new Tensor[ins.size()];
            for (int i = 0; i < args.length; i++) {
                String name = ins.get(i);
                if (!name.isEmpty()) {
                    args[i] = env.get(name);
                    if (args[i] == null) {
                        throw new OnnxException(model.source() + ": " + s.node.describe() + ": input '" + name
                                + "' has no value (was it a skipped optional output?)");
                    }
                }
            }
            OpContext ctx = new OpContext(s.node, s.opset, args);
            Tensor[] outs;
            try {
                outs = s.op.apply(ctx);
            } catch (OnnxException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new OnnxException(model.source() + ": " + ctx.error(e.getMessage()).getMessage(), e);
            }
            List<String> outNames = s.node.outputs();
            for (int i = 0; i < outNames.size(); i++) {
                String name = outNames.get(i);
                if (name.isEmpty()) {
                    continue;
                }
                Tensor t = i < outs.length ? outs[i] : null;
                if (t == null) {
                    if (outputNames.contains(name)) {
                        throw new OnnxException(model.source() + ": " + s.node.describe() + " did not produce output '" + name + "'");
                    }
                    continue;
                }
                env.put(name, t);
            }
            for (String r : s.release) {
                env.remove(r);
            }
        }
        Map<String, Tensor> result = new LinkedHashMap<>();
        for (OnnxValueInfo v : model.graph().outputs()) {
            Tensor t = env.get(v.name());
            if (t == null) {
                throw new OnnxException(model.source() + ": graph output '" + v.name() + "' was not computed");
            }
            result.put(v.name(), t);
        }
        return result;
    }

    private void checkFeeds(Map<String, Tensor> feeds) {
        List<String> problems = new ArrayList<>();
        Set<String> known = new HashSet<>();
        for (OnnxValueInfo v : feedInputs) {
            known.add(v.name());
            Tensor t = feeds.get(v.name());
            if (t == null) {
                problems.add("missing input '" + v + "'");
                continue;
            }
            if (v.elemType() != null && v.elemType().graft != null && v.elemType().graft != t.dtype()) {
                problems.add("input '" + v.name() + "' must be " + v.elemType().name().toLowerCase(java.util.Locale.ROOT)
                        + " (Graft " + v.elemType().graft + "), got " + t.dtype());
            }
            if (v.shape() != null) {
                int[] s = t.shape();
                boolean ok = s.length == v.shape().size();
                for (int i = 0; ok && i < s.length; i++) {
                    long d = v.shape().get(i).value();
                    ok = d < 0 || d == s[i];
                }
                if (!ok) {
                    problems.add("input '" + v.name() + "' must have shape " + v.shape() + ", got " + Arrays.toString(s));
                }
            }
        }
        for (String k : feeds.keySet()) {
            if (!known.contains(k)) {
                problems.add("unknown input '" + k + "' (the model's inputs are "
                        + feedInputs.stream().map(OnnxValueInfo::name).toList() + ")");
            }
        }
        if (!problems.isEmpty()) {
            throw new OnnxException(model.source() + ": " + String.join("; ", problems));
        }
    }

    // ------------------------------------------------------------------ load-time checks

    private static int opsetOf(OnnxModel model, OnnxNode n) {
        if (GraphOptimizer.isFused(n)) {
            return 1; // the optimizer's private domain has one version and is never imported by a file
        }
        Long v = model.opsets().get(n.domain());
        return v == null ? -1 : v.intValue();
    }

    private static void checkSupported(OnnxModel model, List<OnnxNode> nodes, OpRegistry registry) {
        Map<String, UnsupportedOpsException.Entry> bad = new LinkedHashMap<>();
        for (OnnxNode n : nodes) {
            int opset = opsetOf(model, n);
            String reason;
            OnnxOp op = find(registry, n);
            if (opset < 0) {
                reason = "domain '" + n.domain() + "' is not imported by the model";
            } else if (op == null) {
                reason = "no implementation";
            } else {
                reason = op.unsupportedReason(n, opset);
            }
            if (reason != null) {
                String key = n.domain() + "." + n.opType() + "|" + reason;
                UnsupportedOpsException.Entry e = bad.get(key);
                List<String> names = e == null ? new ArrayList<>() : new ArrayList<>(e.nodes());
                names.add(n.label());
                bad.put(key, new UnsupportedOpsException.Entry(n.opType(), n.domain(), Math.max(opset, 0), names, reason));
            }
        }
        if (!bad.isEmpty()) {
            throw new UnsupportedOpsException(model.source(), new ArrayList<>(bad.values()));
        }
    }

    /** The op for a node: fused nodes run the optimizer's ops, all others the registry's. */
    private static OnnxOp find(OpRegistry registry, OnnxNode n) {
        return GraphOptimizer.isFused(n) ? GraphOptimizer.op(n.opType()) : registry.find(n.domain(), n.opType());
    }

    /** Kahn's algorithm over value names; stable (file order among ready nodes). */
    private static List<OnnxNode> topologicalOrder(String source, OnnxGraph g) {
        Set<String> available = new HashSet<>(g.initializers().keySet());
        for (OnnxValueInfo v : g.inputs()) {
            available.add(v.name());
        }
        Map<String, Integer> producer = new HashMap<>();
        List<OnnxNode> nodes = g.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            for (String out : nodes.get(i).outputs()) {
                if (out.isEmpty()) {
                    continue;
                }
                if (producer.put(out, i) != null || available.contains(out) && !g.initializers().containsKey(out)) {
                    throw new OnnxException(source + ": value '" + out + "' is produced twice (" + nodes.get(i).describe() + ")");
                }
            }
        }
        int[] pending = new int[nodes.size()];
        Map<String, List<Integer>> consumers = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            Set<String> seen = new HashSet<>();
            for (String in : nodes.get(i).inputs()) {
                if (in.isEmpty() || available.contains(in) && !producer.containsKey(in) || !seen.add(in)) {
                    continue;
                }
                if (!producer.containsKey(in)) {
                    problems.add(nodes.get(i).describe() + " reads '" + in + "', which no node, input or initializer provides");
                    continue;
                }
                pending[i]++;
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
            }
        }
        if (!problems.isEmpty()) {
            throw new OnnxException(source + ": " + String.join("; ", problems));
        }
        ArrayDeque<Integer> ready = new ArrayDeque<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (pending[i] == 0) {
                ready.add(i);
            }
        }
        List<OnnxNode> order = new ArrayList<>();
        while (!ready.isEmpty()) {
            int i = ready.poll();
            order.add(nodes.get(i));
            for (String out : nodes.get(i).outputs()) {
                for (int c : consumers.getOrDefault(out, List.of())) {
                    if (--pending[c] == 0) {
                        ready.add(c);
                    }
                }
            }
        }
        if (order.size() != nodes.size()) {
            throw new OnnxException(source + ": the graph has a cycle (" + (nodes.size() - order.size()) + " nodes never become ready)");
        }
        for (OnnxValueInfo v : g.outputs()) {
            if (!producer.containsKey(v.name()) && !available.contains(v.name())) {
                throw new OnnxException(source + ": graph output '" + v.name() + "' is produced by no node");
            }
        }
        return order;
    }

    // ------------------------------------------------------------------ parameter tree

    /** A plain container module for one level of a dotted initializer name. */
    private static final class Scope extends Module {
        void param(String name, Tensor t) {
            if (t.dtype().isFloating()) {
                registerParameter(name, t);
            } else {
                registerBuffer(name, t, true);
            }
        }

        Scope scope(String name) {
            return namedChildren().get(name) instanceof Scope s ? s : registerModule(name, new Scope());
        }
    }

    private void rootParam(String name, Tensor t) {
        if (t.dtype().isFloating()) {
            registerParameter(name, t);
        } else {
            registerBuffer(name, t, true);
        }
    }

    private static boolean taken(Module m, String name) {
        return m.namedChildren().containsKey(name) || m.parameter(name) != null || m.buffer(name) != null;
    }

    /** Registers an initializer under its dotted path when that is possible, else under an escaped flat name. */
    private static String place(OnnxModule m, String onnxName, Tensor t) {
        String[] parts = onnxName.split("\\.", -1);
        boolean ok = true;
        for (String p : parts) {
            ok &= !p.isEmpty();
        }
        // walk (without creating) to check the path is free
        Module level = m;
        for (int i = 0; ok && i < parts.length - 1; i++) {
            Module existing = level.namedChildren().get(parts[i]);
            if (existing == null) {
                ok = !taken(level, parts[i]);
                level = null;
                break;
            }
            ok = existing instanceof Scope;
            level = existing;
        }
        if (ok && level != null && taken(level, parts[parts.length - 1])) {
            ok = false;
        }
        if (ok) {
            if (parts.length == 1) {
                m.rootParam(onnxName, t);
                return onnxName;
            }
            Module first = m.namedChildren().get(parts[0]);
            Scope s = first instanceof Scope sc ? sc : m.registerModule(parts[0], new Scope());
            for (int i = 1; i < parts.length - 1; i++) {
                s = s.scope(parts[i]);
            }
            s.param(parts[parts.length - 1], t);
            return onnxName;
        }
        String flat = escape(onnxName);
        String name = flat;
        for (int k = 1; taken(m, name); k++) {
            name = flat + "_" + k;
        }
        m.rootParam(name, t);
        return name;
    }

    private static String escape(String s) {
        String e = s.replace('.', '_');
        return e.isEmpty() ? "unnamed" : e;
    }

    @Override
    public String toString() {
        return "OnnxModule(" + model.source() + ", opset " + model.opset() + ", " + plan.size() + " nodes, "
                + initializers.size() + " initializers)";
    }

    /** The dtype a declared input expects, for callers that build feeds (null when undeclared). */
    public static DType dtypeOf(OnnxValueInfo v) {
        return v.elemType() == null ? null : v.elemType().graft;
    }
}
