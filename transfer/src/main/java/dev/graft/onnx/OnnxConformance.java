package dev.graft.onnx;

import dev.graft.onnx.ops.OpRegistry;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Runs cases of the ONNX backend test suite: a directory holding {@code model.onnx} and
 * {@code test_data_set_N/input_K.pb} / {@code output_K.pb} files (serialized TensorProtos, inputs
 * in the order of the graph's inputs). A case passes when every output has the expected dtype,
 * shape and values within {@code |actual - expected| <= atol + rtol * |expected|} (NaN matches NaN;
 * integers and booleans must be equal).
 */
public final class OnnxConformance {
    /** The suite's comparison tolerances as used here. */
    public static final double RTOL = 1e-3;
    public static final double ATOL = 1e-5;

    public enum Status { PASS, FAIL, SKIP }

    /** One case's verdict; {@code ops} are the op types its model uses. */
    public record Result(String name, Status status, String message, List<String> ops) {
        @Override
        public String toString() {
            return status + " " + name + (message == null || message.isEmpty() ? "" : ": " + message);
        }
    }

    private final OpRegistry registry;
    private final double rtol;
    private final double atol;

    public OnnxConformance() {
        this(OpRegistry.standard(), RTOL, ATOL);
    }

    public OnnxConformance(OpRegistry registry, double rtol, double atol) {
        this.registry = registry;
        this.rtol = rtol;
        this.atol = atol;
    }

    /** The case directories under {@code root} (those that contain a model.onnx), sorted by name. */
    public static List<Path> cases(Path root) throws IOException {
        if (Files.isRegularFile(root.resolve("model.onnx"))) {
            return List.of(root);
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).sorted().toList();
        }
    }

    /** Runs one case directory. Never throws for a bad case: the reason is in the result. */
    public Result run(Path dir) {
        String name = dir.getFileName().toString();
        List<String> ops = List.of();
        OnnxModule module;
        try {
            OnnxModel model = OnnxModel.read(dir.resolve("model.onnx"));
            ops = new ArrayList<>(new TreeSet<>(model.graph().nodes().stream().map(OnnxNode::opType).toList()));
            module = OnnxModule.of(model, registry);
        } catch (UnsupportedOpsException e) {
            return new Result(name, Status.SKIP, "unsupported op " + String.join(", ",
                    e.entries().stream().map(x -> x.opType() + (x.reason().equals("no implementation") ? "" : " (" + x.reason() + ")")).toList()), ops);
        } catch (RuntimeException e) {
            return new Result(name, Status.FAIL, "load: " + e.getMessage(), ops);
        }
        try {
            List<Path> sets;
            try (Stream<Path> s = Files.list(dir)) {
                sets = s.filter(p -> p.getFileName().toString().startsWith("test_data_set_") && Files.isDirectory(p)).sorted().toList();
            }
            if (sets.isEmpty()) {
                return new Result(name, Status.FAIL, "no test_data_set_* directory", ops);
            }
            for (Path set : sets) {
                String failure = runSet(module, set);
                if (failure != null) {
                    return new Result(name, Status.FAIL, set.getFileName() + ": " + failure, ops);
                }
            }
            return new Result(name, Status.PASS, "", ops);
        } catch (IOException | RuntimeException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            return new Result(name, Status.FAIL, msg, ops);
        }
    }

    private String runSet(OnnxModule module, Path set) {
        List<OnnxValueInfo> declared = module.model().graph().inputs();
        List<OnnxValueInfo> feedable = module.inputs();
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        for (int i = 0; ; i++) {
            Path f = set.resolve("input_" + i + ".pb");
            if (!Files.exists(f)) {
                break;
            }
            OnnxModel.NamedTensor t = OnnxModel.parseTensor(f);
            String inName = t.name() != null && !t.name().isEmpty() && feedable.stream().anyMatch(v -> v.name().equals(t.name()))
                    ? t.name() : (i < feedable.size() ? feedable.get(i).name() : i < declared.size() ? declared.get(i).name() : null);
            if (inName == null) {
                return "input_" + i + ".pb has no matching graph input";
            }
            feeds.put(inName, bfloat16Bits(t, typeOf(declared, inName)));
        }
        Map<String, Tensor> out = module.infer(feeds);
        List<OnnxValueInfo> outs = module.outputs();
        for (int i = 0; i < outs.size(); i++) {
            Path f = set.resolve("output_" + i + ".pb");
            if (!Files.exists(f)) {
                continue;
            }
            OnnxModel.NamedTensor expected = OnnxModel.parseTensor(f);
            OnnxDataType declaredOut = outs.get(i).elemType();
            Tensor want = bfloat16Bits(expected, declaredOut);
            String why = compare(want != expected.tensor() ? OnnxDataType.BFLOAT16 : expected.type(), want, out.get(outs.get(i).name()));
            if (why != null) {
                return "output '" + outs.get(i).name() + "': " + why;
            }
        }
        return null;
    }

    private static OnnxDataType typeOf(List<OnnxValueInfo> declared, String name) {
        return declared.stream().filter(v -> v.name().equals(name)).map(OnnxValueInfo::elemType).findFirst().orElse(null);
    }

    /**
     * The suite (ONNX 1.12) stores bfloat16 test data as UINT16 tensors of raw bits; where the graph
     * declares bfloat16, those bits are decoded to the float32 values Graft holds bfloat16 in.
     */
    static Tensor bfloat16Bits(OnnxModel.NamedTensor t, OnnxDataType declared) {
        if (declared != OnnxDataType.BFLOAT16 || t.type() != OnnxDataType.UINT16) {
            return t.tensor();
        }
        long[] bits = t.tensor().contiguous().toLongArray();
        float[] v = new float[bits.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = Float.intBitsToFloat((int) (bits[i] & 0xffff) << 16);
        }
        return Tensor.fromArray(v, t.tensor().shape());
    }

    /** Null when {@code actual} matches; otherwise the first difference, described. */
    public String compare(OnnxDataType expectedType, Tensor expected, Tensor actual) {
        if (actual == null) {
            return "not produced";
        }
        if (!Arrays.equals(expected.shape(), actual.shape())) {
            return "shape " + Arrays.toString(actual.shape()) + ", expected " + Arrays.toString(expected.shape());
        }
        DType want = expected.dtype();
        if (actual.dtype() != want) {
            return "dtype " + actual.dtype() + ", expected " + want + " (ONNX " + expectedType + ")";
        }
        int n = expected.numel();
        if (n == 0) {
            return null;
        }
        Tensor e = expected.contiguous().reshape(-1);
        Tensor a = actual.contiguous().reshape(-1);
        if (!want.isFloating()) {
            long[] ev = e.toLongArray();
            long[] av = a.toLongArray();
            for (int i = 0; i < n; i++) {
                if (ev[i] != av[i]) {
                    return "element " + i + " is " + av[i] + ", expected " + ev[i];
                }
            }
            return null;
        }
        double[] ev = e.toDoubleArray();
        double[] av = a.toDoubleArray();
        int bad = 0;
        int first = -1;
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double x = av[i];
            double y = ev[i];
            boolean ok = Double.isNaN(y) ? Double.isNaN(x) : x == y || Math.abs(x - y) <= atol + rtol * Math.abs(y);
            if (!ok) {
                if (first < 0) {
                    first = i;
                }
                bad++;
                worst = Math.max(worst, Double.isNaN(x - y) ? Double.POSITIVE_INFINITY : Math.abs(x - y));
            }
        }
        return bad == 0 ? null : bad + " of " + n + " elements differ (first at " + first + ": " + av[first] + " vs "
                + ev[first] + "; max abs diff " + worst + ")";
    }
}
