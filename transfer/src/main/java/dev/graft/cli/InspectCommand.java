package dev.graft.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.graft.onnx.OnnxDataType;
import dev.graft.onnx.OnnxException;
import dev.graft.onnx.OnnxModel;
import dev.graft.onnx.OnnxModule;
import dev.graft.onnx.OnnxNode;
import dev.graft.onnx.OnnxValueInfo;
import dev.graft.onnx.UnsupportedOpsException;
import dev.graft.safetensors.SafeTensorsException;
import dev.graft.safetensors.SafeTensorsFile;
import dev.graft.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code graft inspect MODEL}: what a model file holds, without running it. For ONNX: IR version,
 * producer, opset imports, inputs and outputs with their (possibly symbolic) shapes, op counts, the
 * initializers and whether Graft supports every op; for safetensors (one file, or a sharded
 * checkpoint's index): the tensors and metadata, from the headers alone. The
 * same facts as one JSON object with {@code --json}.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Describe an ONNX or safetensors model file: format, opsets, inputs and outputs with shapes "
                + "(symbolic dims by name), op counts, parameters (name, shape, dtype) and their total count and size.",
            "The format is chosen by the file extension (.onnx, .safetensors, .safetensors.index.json for a sharded "
                + "checkpoint), else by the file's first bytes."})
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "an .onnx, .safetensors or model.safetensors.index.json file")
    Path model;

    @Option(names = "--json", description = "print one JSON object instead of text")
    boolean json;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        if (!Files.isRegularFile(model)) {
            err.println("graft inspect: " + model + ": no such file");
            err.flush();
            return 2;
        }
        Map<String, Object> info;
        try {
            String lower = model.getFileName().toString().toLowerCase(Locale.ROOT);
            info = lower.endsWith(".index.json") ? shardedSafetensors(model)
                    : isSafeTensors(model) ? safetensors(model) : onnx(model);
        } catch (OnnxException | SafeTensorsException e) {
            err.println("graft inspect: " + e.getMessage());
            err.flush();
            return 1;
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(info));
        } else {
            printText(out, info);
        }
        out.flush();
        return 0;
    }

    /** By extension, else by the safetensors layout: an 8-byte little-endian length, then '{'. */
    static boolean isSafeTensors(Path p) throws IOException {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".safetensors")) {
            return true;
        }
        if (name.endsWith(".onnx")) {
            return false;
        }
        try (InputStream in = Files.newInputStream(p)) {
            byte[] head = in.readNBytes(9);
            if (head.length < 9) {
                return false;
            }
            long len = ByteBuffer.wrap(head, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            return head[8] == '{' && len > 1 && len < Files.size(p);
        }
    }

    // ------------------------------------------------------------------ facts

    static Map<String, Object> onnx(Path file) {
        OnnxModel m = OnnxModel.read(file);
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("format", "onnx");
        info.put("file", file.toString());
        info.put("ir_version", m.irVersion());
        info.put("producer", m.producer());
        Map<String, Long> opsets = new LinkedHashMap<>();
        m.opsets().forEach((d, v) -> opsets.put(d.isEmpty() ? "ai.onnx" : d, v));
        info.put("opsets", opsets);
        info.put("inputs", m.graph().feedInputs().stream().map(InspectCommand::value).toList());
        info.put("outputs", m.graph().outputs().stream().map(InspectCommand::value).toList());
        Map<String, Integer> counts = new TreeMap<>();
        for (OnnxNode n : m.graph().nodes()) {
            String key = n.domain().isEmpty() || n.domain().equals("ai.onnx") ? n.opType() : n.domain() + "." + n.opType();
            counts.merge(key, 1, Integer::sum);
        }
        Map<String, Integer> ops = new LinkedHashMap<>();
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> ops.put(e.getKey(), e.getValue()));
        info.put("node_count", m.graph().nodes().size());
        info.put("ops", ops);
        List<Map<String, Object>> params = new ArrayList<>();
        long count = 0;
        long bytes = 0;
        for (Map.Entry<String, Tensor> e : m.graph().initializers().entrySet()) {
            OnnxDataType t = m.graph().initializerTypes().get(e.getKey());
            Tensor v = e.getValue();
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("name", e.getKey());
            p.put("dtype", t == null ? v.dtype().toString().toLowerCase(Locale.ROOT) : typeName(t));
            p.put("shape", v.shape());
            params.add(p);
            count += v.numel();
            bytes += (long) v.numel() * (t == null ? v.dtype().byteSize() : t.size);
        }
        info.put("parameters", params);
        info.put("parameter_count", count);
        info.put("parameter_bytes", bytes);
        List<String> unsupported = new ArrayList<>();
        try {
            OnnxModule.of(m, dev.graft.onnx.ops.OpRegistry.standard());
        } catch (UnsupportedOpsException e) {
            for (UnsupportedOpsException.Entry x : e.entries()) {
                unsupported.add(x.opType() + (x.reason().equals("no implementation") ? "" : " (" + x.reason() + ")"));
            }
        } catch (OnnxException e) {
            unsupported.add("load failed: " + e.getMessage());
        }
        info.put("unsupported_ops", unsupported);
        return info;
    }

    private static String typeName(OnnxDataType t) {
        return t.name().toLowerCase(Locale.ROOT);
    }

    private static Map<String, Object> value(OnnxValueInfo v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", v.name());
        m.put("dtype", v.elemType() == null ? null : typeName(v.elemType()));
        if (v.shape() == null) {
            m.put("shape", null);
        } else {
            List<Object> dims = new ArrayList<>();
            for (OnnxValueInfo.Dim d : v.shape()) {
                dims.add(d.value() >= 0 ? (Object) d.value() : d.param() == null || d.param().isEmpty() ? null : d.param());
            }
            m.put("shape", dims);
        }
        return m;
    }

    static Map<String, Object> safetensors(Path file) throws IOException {
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("format", "safetensors");
            info.put("file", file.toString());
            info.put("metadata", new TreeMap<>(f.metadata()));
            List<Map<String, Object>> params = new ArrayList<>();
            long count = 0;
            long bytes = 0;
            for (String name : f.names()) {
                SafeTensorsFile.Entry e = f.entry(name);
                params.add(row(name, e, null));
                count += numel(e);
                bytes += e.byteLength();
            }
            info.put("parameters", params);
            info.put("parameter_count", count);
            info.put("parameter_bytes", bytes);
            return info;
        }
    }

    /**
     * A sharded checkpoint's index ({@code model.safetensors.index.json}): the tensors of every shard
     * it names, from the shards' headers (no tensor data is read).
     */
    static Map<String, Object> shardedSafetensors(Path index) throws IOException {
        com.fasterxml.jackson.databind.JsonNode root;
        try {
            root = new ObjectMapper().readTree(index.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new SafeTensorsException(index + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.path("weight_map").isObject()) {
            throw new SafeTensorsException(index + ": expected an object with a weight_map");
        }
        Map<String, List<String>> byShard = new LinkedHashMap<>();
        var fields = root.get("weight_map").fields();
        while (fields.hasNext()) {
            var e = fields.next();
            String file = e.getValue().asText("");
            if (!e.getValue().isTextual() || file.isEmpty() || file.contains("/") || file.contains("\\") || file.startsWith(".")) {
                throw new SafeTensorsException(index + ": shard for '" + e.getKey() + "' must be a plain file name next to the index");
            }
            byShard.computeIfAbsent(file, k -> new ArrayList<>()).add(e.getKey());
        }
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("format", "safetensors");
        info.put("file", index.toString());
        info.put("shards", new ArrayList<>(byShard.keySet()));
        Map<String, String> meta = new TreeMap<>();
        root.path("metadata").fields().forEachRemaining(e -> meta.put(e.getKey(), e.getValue().asText()));
        info.put("metadata", meta);
        List<Map<String, Object>> params = new ArrayList<>();
        long count = 0;
        long bytes = 0;
        Path dir = index.toAbsolutePath().getParent();
        for (Map.Entry<String, List<String>> shard : byShard.entrySet()) {
            try (SafeTensorsFile f = SafeTensorsFile.open(dir.resolve(shard.getKey()))) {
                for (String name : shard.getValue()) {
                    SafeTensorsFile.Entry e = f.entry(name);
                    if (e == null) {
                        throw new SafeTensorsException(index + ": shard " + shard.getKey() + " has no tensor '" + name + "'");
                    }
                    params.add(row(name, e, shard.getKey()));
                    count += numel(e);
                    bytes += e.byteLength();
                }
            }
        }
        info.put("parameters", params);
        info.put("parameter_count", count);
        info.put("parameter_bytes", bytes);
        return info;
    }

    /** One parameter row of a safetensors tensor (with its shard file, when sharded). */
    private static Map<String, Object> row(String name, SafeTensorsFile.Entry e, String shard) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("name", name);
        p.put("dtype", e.dtype());
        p.put("shape", e.shape());
        if (shard != null) {
            p.put("shard", shard);
        }
        return p;
    }

    private static long numel(SafeTensorsFile.Entry e) {
        long n = 1;
        for (int d : e.shape()) {
            n *= d;
        }
        return n;
    }

    // ------------------------------------------------------------------ text

    @SuppressWarnings("unchecked")
    private static void printText(PrintWriter out, Map<String, Object> info) {
        out.printf("format:      %s%n", info.get("format"));
        out.printf("file:        %s%n", info.get("file"));
        if ("onnx".equals(info.get("format"))) {
            out.printf("ir_version:  %s%n", info.get("ir_version"));
            out.printf("producer:    %s%n", info.get("producer"));
            Map<String, Long> opsets = (Map<String, Long>) info.get("opsets");
            List<String> os = new ArrayList<>();
            opsets.forEach((d, v) -> os.add(d + " " + v));
            out.printf("opsets:      %s%n", String.join(", ", os));
            out.println("inputs:");
            for (Map<String, Object> v : (List<Map<String, Object>>) info.get("inputs")) {
                out.printf("  %s: %s%n", v.get("name"), typeText(v.get("dtype"), (List<Object>) v.get("shape")));
            }
            out.println("outputs:");
            for (Map<String, Object> v : (List<Map<String, Object>>) info.get("outputs")) {
                out.printf("  %s: %s%n", v.get("name"), typeText(v.get("dtype"), (List<Object>) v.get("shape")));
            }
            Map<String, Integer> ops = (Map<String, Integer>) info.get("ops");
            out.printf("ops (%d nodes, %d types):%n", (Integer) info.get("node_count"), ops.size());
            int w = ops.keySet().stream().mapToInt(String::length).max().orElse(0);
            ops.forEach((k, v) -> out.printf("  %-" + Math.max(w, 1) + "s %d%n", k, v));
        } else {
            if (info.containsKey("shards")) {
                out.printf("shards:      %s%n", String.join(", ", (List<String>) info.get("shards")));
            }
            Map<String, String> meta = (Map<String, String>) info.get("metadata");
            if (!meta.isEmpty()) {
                out.println("metadata:");
                meta.forEach((k, v) -> out.printf("  %s: %s%n", k, v));
            }
        }
        List<Map<String, Object>> params = (List<Map<String, Object>>) info.get("parameters");
        out.printf("parameters (%d tensors, %,d values, %s):%n", params.size(), (Long) info.get("parameter_count"),
                bytesText((Long) info.get("parameter_bytes")));
        int w = params.stream().mapToInt(p -> ((String) p.get("name")).length()).max().orElse(0);
        for (Map<String, Object> p : params) {
            out.printf("  %-" + Math.max(w, 1) + "s %s%s%n", p.get("name"), p.get("dtype"), Arrays.toString((int[]) p.get("shape")));
        }
        if (info.containsKey("unsupported_ops")) {
            List<String> u = (List<String>) info.get("unsupported_ops");
            out.println(u.isEmpty() ? "graft:       every op is supported" : "graft:       unsupported: " + String.join(", ", u));
        }
    }

    private static String typeText(Object dtype, List<Object> shape) {
        String s = dtype == null ? "?" : dtype.toString();
        if (shape == null) {
            return s + " (shape not declared)";
        }
        List<String> dims = shape.stream().map(d -> d == null ? "?" : d.toString()).toList();
        return s + "[" + String.join(", ", dims) + "]";
    }

    static String bytesText(long b) {
        if (b < 1024) {
            return b + " bytes";
        }
        double v = b;
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%,d bytes, %.1f %s", b, v, units[u]);
    }
}
