package dev.graft.onnx;

import dev.graft.tensor.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed ONNX {@code ModelProto}: IR version, producer, opset imports, metadata and the main graph.
 * This is the file as written, decoded and validated; {@link OnnxModule} executes it.
 *
 * <p>Field numbers follow the published {@code onnx.proto} (ModelProto: ir_version 1, producer_name
 * 2, producer_version 3, domain 4, model_version 5, doc_string 6, graph 7, opset_import 8,
 * metadata_props 14; GraphProto: node 1, name 2, initializer 5, input 11, output 12, value_info 13;
 * NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7).
 */
public final class OnnxModel {
    private final String source;
    private final long irVersion;
    private final String producer;
    private final Map<String, Long> opsets;
    private final Map<String, String> metadata;
    private final OnnxGraph graph;

    private OnnxModel(String source, long irVersion, String producer, Map<String, Long> opsets,
                      Map<String, String> metadata, OnnxGraph graph) {
        this.source = source;
        this.irVersion = irVersion;
        this.producer = producer;
        this.opsets = opsets;
        this.metadata = metadata;
        this.graph = graph;
    }

    /** Reads a model file; external tensor data is resolved relative to the file's directory. */
    public static OnnxModel read(Path file) {
        ByteBuffer bytes = map(file);
        Path dir = file.toAbsolutePath().getParent();
        return parse(bytes, file.toString(), dir);
    }

    /** Reads a model from a stream (external data is then refused: there is no directory to resolve it in). */
    public static OnnxModel read(InputStream in, String name) throws IOException {
        return parse(ByteBuffer.wrap(in.readAllBytes()), name, null);
    }

    /** Parses model bytes; {@code dir} resolves external data (null: refuse external data). */
    public static OnnxModel parse(ByteBuffer bytes, String source, Path dir) {
        TensorDecoder decoder = new TensorDecoder(source, dir);
        ProtoReader r = new ProtoReader(bytes, source);
        long ir = 0;
        String producer = "";
        String producerVersion = "";
        Map<String, Long> opsets = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        OnnxGraph graph = null;
        while (r.hasNext()) {
            switch (r.next()) {
                case 1 -> ir = r.int64();
                case 2 -> producer = r.string();
                case 3 -> producerVersion = r.string();
                case 7 -> graph = parseGraph(r.message(), decoder);
                case 8 -> {
                    ProtoReader o = r.message();
                    String domain = "";
                    long version = 0;
                    while (o.hasNext()) {
                        switch (o.next()) {
                            case 1 -> domain = o.string();
                            case 2 -> version = o.int64();
                            default -> o.skip();
                        }
                    }
                    opsets.put(domain.equals("ai.onnx") ? "" : domain, version);
                }
                case 14 -> {
                    String[] kv = stringPair(r.message());
                    meta.put(kv[0], kv[1]);
                }
                default -> r.skip();
            }
        }
        if (graph == null) {
            throw new OnnxException(source + ": not an ONNX model (no graph field; is this a .onnx file?)");
        }
        if (opsets.isEmpty()) {
            // IR version 2 files have no opset imports and mean opset 1
            opsets.put("", 1L);
        }
        String prod = producerVersion.isEmpty() ? producer : producer + " " + producerVersion;
        return new OnnxModel(source, ir, prod, Collections.unmodifiableMap(opsets), Collections.unmodifiableMap(meta), graph);
    }

    /** Parses one serialized {@code TensorProto} (the {@code input_0.pb} files of the ONNX test suite). */
    public static NamedTensor parseTensor(Path file) {
        ByteBuffer b = map(file);
        return new TensorDecoder(file.toString(), file.toAbsolutePath().getParent()).decode(new ProtoReader(b, file.toString()));
    }

    /** A decoded initializer or test tensor with its declared ONNX type. */
    public record NamedTensor(String name, OnnxDataType type, Tensor tensor) {
    }

    static OnnxGraph parseGraph(ProtoReader r, TensorDecoder decoder) {
        String name = "";
        List<OnnxNode> nodes = new ArrayList<>();
        Map<String, Tensor> inits = new LinkedHashMap<>();
        Map<String, OnnxDataType> initTypes = new LinkedHashMap<>();
        List<OnnxValueInfo> inputs = new ArrayList<>();
        List<OnnxValueInfo> outputs = new ArrayList<>();
        List<OnnxValueInfo> valueInfo = new ArrayList<>();
        while (r.hasNext()) {
            switch (r.next()) {
                case 1 -> nodes.add(parseNode(r.message(), decoder));
                case 2 -> name = r.string();
                case 5 -> {
                    NamedTensor t = decoder.decode(r.message());
                    if (inits.put(t.name(), t.tensor()) != null) {
                        throw new OnnxException(decoder.source + ": initializer '" + t.name() + "' appears twice");
                    }
                    initTypes.put(t.name(), t.type());
                }
                case 15 -> throw new OnnxException(decoder.source + ": sparse initializers are not supported");
                case 11 -> inputs.add(parseValueInfo(r.message()));
                case 12 -> outputs.add(parseValueInfo(r.message()));
                case 13 -> valueInfo.add(parseValueInfo(r.message()));
                default -> r.skip();
            }
        }
        return new OnnxGraph(name, List.copyOf(nodes), Collections.unmodifiableMap(inits), Collections.unmodifiableMap(initTypes),
                List.copyOf(inputs), List.copyOf(outputs), List.copyOf(valueInfo));
    }

    private static OnnxNode parseNode(ProtoReader r, TensorDecoder decoder) {
        List<String> in = new ArrayList<>();
        List<String> out = new ArrayList<>();
        String name = "";
        String op = "";
        String domain = "";
        Map<String, OnnxAttribute> attrs = new LinkedHashMap<>();
        while (r.hasNext()) {
            switch (r.next()) {
                case 1 -> in.add(r.string());
                case 2 -> out.add(r.string());
                case 3 -> name = r.string();
                case 4 -> op = r.string();
                case 5 -> {
                    OnnxAttribute a = parseAttribute(r.message(), decoder);
                    attrs.put(a.name(), a);
                }
                case 7 -> domain = r.string();
                default -> r.skip();
            }
        }
        if (op.isEmpty()) {
            throw new OnnxException(decoder.source + ": node '" + name + "' has no op_type");
        }
        return new OnnxNode(name, op, domain.equals("ai.onnx") ? "" : domain, List.copyOf(in), List.copyOf(out),
                Collections.unmodifiableMap(attrs));
    }

    private static OnnxAttribute parseAttribute(ProtoReader r, TensorDecoder decoder) {
        String name = "";
        long type = 0;
        float f = 0;
        long i = 0;
        String s = null;
        Tensor t = null;
        OnnxGraph g = null;
        ProtoReader.FloatList floats = new ProtoReader.FloatList();
        ProtoReader.LongList ints = new ProtoReader.LongList();
        List<String> strings = new ArrayList<>();
        List<Tensor> tensors = new ArrayList<>();
        boolean sawF = false, sawI = false, sawS = false, sawT = false, sawG = false;
        while (r.hasNext()) {
            switch (r.next()) {
                case 1 -> name = r.string();
                case 20 -> type = r.int64();
                case 2 -> { f = r.float32(); sawF = true; }
                case 3 -> { i = r.int64(); sawI = true; }
                case 4 -> { s = r.string(); sawS = true; }
                case 5 -> { t = decoder.decode(r.message()).tensor(); sawT = true; }
                case 6 -> { g = parseGraph(r.message(), decoder); sawG = true; }
                case 7 -> r.floats(floats);
                case 8 -> r.varints(ints);
                case 9 -> strings.add(r.string());
                case 10 -> tensors.add(decoder.decode(r.message()).tensor());
                default -> r.skip();
            }
        }
        OnnxAttribute.Type ty = OnnxAttribute.Type.of(type);
        if (ty == OnnxAttribute.Type.UNDEFINED) {
            // IR version < 4 files have no type field: infer it from the field present
            ty = sawG ? OnnxAttribute.Type.GRAPH : sawT ? OnnxAttribute.Type.TENSOR : sawS ? OnnxAttribute.Type.STRING
                    : sawI ? OnnxAttribute.Type.INT : sawF ? OnnxAttribute.Type.FLOAT : ints.size() > 0 ? OnnxAttribute.Type.INTS
                    : floats.size() > 0 ? OnnxAttribute.Type.FLOATS : !strings.isEmpty() ? OnnxAttribute.Type.STRINGS
                    : !tensors.isEmpty() ? OnnxAttribute.Type.TENSORS : OnnxAttribute.Type.UNDEFINED;
        }
        return new OnnxAttribute(name, ty, f, i, s, t, g, floats.toArray(), ints.toArray(), List.copyOf(strings), List.copyOf(tensors));
    }

    private static OnnxValueInfo parseValueInfo(ProtoReader r) {
        String name = "";
        OnnxDataType elem = null;
        List<OnnxValueInfo.Dim> shape = null;
        while (r.hasNext()) {
            switch (r.next()) {
                case 1 -> name = r.string();
                case 2 -> {
                    ProtoReader type = r.message();
                    while (type.hasNext()) {
                        if (type.next() == 1) { // tensor_type
                            ProtoReader tt = type.message();
                            while (tt.hasNext()) {
                                switch (tt.next()) {
                                    case 1 -> elem = OnnxDataType.of(tt.int64());
                                    case 2 -> shape = parseShape(tt.message());
                                    default -> tt.skip();
                                }
                            }
                        } else {
                            type.skip();
                        }
                    }
                }
                default -> r.skip();
            }
        }
        return new OnnxValueInfo(name, elem, shape);
    }

    private static List<OnnxValueInfo.Dim> parseShape(ProtoReader r) {
        List<OnnxValueInfo.Dim> dims = new ArrayList<>();
        while (r.hasNext()) {
            if (r.next() == 1) {
                ProtoReader d = r.message();
                long value = -1;
                String param = null;
                while (d.hasNext()) {
                    switch (d.next()) {
                        case 1 -> value = d.int64();
                        case 2 -> param = d.string();
                        default -> d.skip();
                    }
                }
                dims.add(new OnnxValueInfo.Dim(value, param));
            } else {
                r.skip();
            }
        }
        return List.copyOf(dims);
    }

    static String[] stringPair(ProtoReader r) {
        String k = "";
        String v = "";
        while (r.hasNext()) {
            switch (r.next()) {
                case 1 -> k = r.string();
                case 2 -> v = r.string();
                default -> r.skip();
            }
        }
        return new String[] {k, v};
    }

    static ByteBuffer map(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw new OnnxException(file + ": " + size + " bytes; files over 2 GiB must keep their weights as external data");
            }
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
        } catch (NoSuchFileException e) {
            throw new OnnxException(file + ": no such file");
        } catch (IOException e) {
            throw new OnnxException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    public String source() {
        return source;
    }

    public long irVersion() {
        return irVersion;
    }

    public String producer() {
        return producer;
    }

    /** Opset version per domain ("" is the default ai.onnx domain). */
    public Map<String, Long> opsets() {
        return opsets;
    }

    /** The default-domain opset version. */
    public int opset() {
        return opsets.getOrDefault("", 1L).intValue();
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public OnnxGraph graph() {
        return graph;
    }

    /** Whether a file exists and starts like a protobuf (used by the CLI to pick a reader). */
    public static boolean looksLikeOnnx(Path p) {
        return Files.isRegularFile(p) && p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx");
    }
}
