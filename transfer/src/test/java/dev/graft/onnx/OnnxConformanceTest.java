package dev.graft.onnx;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ONNX project's own node tests (Debian package libonnx-testdata, installed by .ci/run), plus its
 * pytorch-converted, pytorch-operator and simple model folders.
 * Every case whose ops all belong to the coverage list of issue #7 must pass, except the cases in
 * {@code onnx/known-failures.txt}, each listed with its reason; a listed case that passes is also
 * an error, so the list cannot go stale. Pass counts per op are written to
 * {@code target/onnx-conformance.txt}. {@code -Dgraft.onnx.filter=REGEX} runs a subset.
 */
class OnnxConformanceTest {
    /** The op coverage promised by issue #7. */
    static final Set<String> COVERAGE = Set.of(
            "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Reciprocal", "Neg", "Abs", "Exp", "Log", "Erf", "Tanh", "Sigmoid",
            "Relu", "LeakyRelu", "Elu", "Selu", "Gelu", "HardSigmoid", "HardSwish", "Clip", "Softmax", "LogSoftmax",
            "MatMul", "Gemm", "Conv", "ConvTranspose", "BatchNormalization", "InstanceNormalization", "LayerNormalization",
            "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Flatten", "Reshape", "Transpose", "Squeeze",
            "Unsqueeze", "Concat", "Split", "Slice", "Gather", "GatherElements", "Shape", "Size", "Cast", "Constant",
            "ConstantOfShape", "Identity", "Dropout", "Expand", "Tile", "Where", "Equal", "Less", "Greater", "Not", "And",
            "Or", "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ArgMax", "Pad", "Resize", "Range",
            "TopK", "Einsum", "CumSum", "DynamicQuantizeLinear", "QuantizeLinear", "DequantizeLinear", "MatMulInteger");

    static Path suiteRoot() {
        String p = System.getProperty("graft.onnx.testdata", "/usr/share/libonnx-testdata/data/node");
        return Path.of(p);
    }

    /** The suite's other folders of small models (PyTorch exports, simple graphs); real models are pointers only in the package. */
    static java.util.List<Path> extraRoots() {
        Path data = suiteRoot().getParent();
        return java.util.stream.Stream.of("pytorch-converted", "pytorch-operator", "simple")
                .map(data::resolve).filter(Files::isDirectory).toList();
    }

    static Map<String, String> knownFailures() throws IOException {
        Map<String, String> known = new LinkedHashMap<>();
        try (var in = OnnxConformanceTest.class.getResourceAsStream("/onnx/known-failures.txt")) {
            if (in == null) {
                return known;
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int sp = line.indexOf(' ');
                known.put(sp < 0 ? line : line.substring(0, sp), sp < 0 ? "" : line.substring(sp + 1).strip());
            }
        }
        return known;
    }

    @Test
    void nodeSuite() throws IOException {
        Path root = suiteRoot();
        Assumptions.assumeTrue(Files.isDirectory(root), "ONNX test data not installed at " + root
                + " (apt-get install libonnx-testdata; .ci/run does this)");
        String filter = System.getProperty("graft.onnx.filter");
        Pattern pattern = filter == null || filter.isBlank() ? null : Pattern.compile(filter);
        Map<String, String> known = knownFailures();
        OnnxConformance runner = new OnnxConformance();
        Map<String, int[]> perOp = new TreeMap<>(); // op -> pass, fail, skip
        List<String> errors = new ArrayList<>();
        StringBuilder log = new StringBuilder();
        int pass = 0, fail = 0, skip = 0;
        List<Path> all = new ArrayList<>(OnnxConformance.cases(root));
        for (Path extra : extraRoots()) {
            all.addAll(OnnxConformance.cases(extra));
        }
        for (Path dir : all) {
            String name = dir.getFileName().toString();
            if (pattern != null && !pattern.matcher(name).find()) {
                continue;
            }
            OnnxConformance.Result r = runner.run(dir);
            log.append(r).append('\n');
            boolean covered = !r.ops().isEmpty() && COVERAGE.containsAll(r.ops());
            switch (r.status()) {
                case PASS -> {
                    pass++;
                    if (known.containsKey(name)) {
                        errors.add(name + " passes but is listed in known-failures.txt: remove it");
                    }
                }
                case FAIL -> {
                    fail++;
                    if (!known.containsKey(name)) {
                        errors.add(r.toString());
                    }
                }
                case SKIP -> {
                    skip++;
                    if (covered && !known.containsKey(name)) {
                        errors.add(r + " (all its ops " + r.ops() + " are in the coverage list)");
                    }
                }
            }
            for (String op : r.ops()) {
                perOp.computeIfAbsent(op, k -> new int[3])[r.status().ordinal()]++;
            }
        }
        StringBuilder report = new StringBuilder("# ONNX node-suite results: ").append(pass).append(" passed, ").append(fail)
                .append(" failed, ").append(skip).append(" skipped\n# op\tpass\tfail\tskip\n");
        perOp.forEach((op, c) -> report.append(op).append('\t').append(c[0]).append('\t').append(c[1]).append('\t').append(c[2])
                .append(COVERAGE.contains(op) ? "" : "\t(not in coverage list)").append('\n'));
        report.append("\n# cases\n").append(log);
        Path out = Path.of("target", "onnx-conformance.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, report);
        System.out.println("ONNX node suite: " + pass + " passed, " + fail + " failed, " + skip + " skipped (details in " + out.toAbsolutePath() + ")");
        assertTrue(errors.isEmpty(), errors.size() + " problems:\n" + String.join("\n", errors.subList(0, Math.min(errors.size(), 200))));
        Objects.requireNonNull(root);
    }
}
