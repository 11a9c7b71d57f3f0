package dev.graft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.npy.Npy;
import dev.graft.onnx.OnnxConformance;
import dev.graft.onnx.OnnxModel;
import dev.graft.onnx.OnnxModule;
import dev.graft.onnx.OnnxValueInfo;
import dev.graft.safetensors.SafeTensors;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** inspect, run and onnx-test, run in-process through picocli on small models. */
class OnnxCommandsTest {
    private static final Path NODE = Path.of("/usr/share/libonnx-testdata/data/node");

    @TempDir
    Path tmp;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private static Path nodeCase(String name) {
        Path p = NODE.resolve(name);
        Assumptions.assumeTrue(Files.isRegularFile(p.resolve("model.onnx")),
                "skipped: ONNX node test data not installed at " + NODE + " (apt-get install libonnx-testdata)");
        return p;
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : new String[] {"inspect", "run", "onnx-test"}) {
            CliRun r = run(cmd, "--help");
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.out().contains("Usage: graft " + cmd), r.toString());
        }
        assertTrue(run("inspect", "--help").out().contains("symbolic dims"));
        assertTrue(run("run", "--help").out().contains("OUTPUTNAME.npy"));
        assertTrue(run("onnx-test", "--help").out().contains("N passed, M failed, K skipped"));
        assertTrue(run("--help").out().contains("onnx-test"));
    }

    // ------------------------------------------------------------------ inspect

    @Test
    void inspectOnnxTextAndJson() throws IOException {
        Path model = nodeCase("test_matmulinteger").resolve("model.onnx");
        CliRun r = run("inspect", model.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("format:      onnx"), r.out());
        assertTrue(r.out().contains("opsets:      ai.onnx 10"), r.out());
        assertTrue(r.out().matches("(?s).*inputs:\\R  A: uint8\\[4, 3\\]\\R.*"), r.out());
        assertTrue(r.out().contains("MatMulInteger 1"), r.out());
        assertTrue(r.out().contains("every op is supported"), r.out());
        CliRun j = run("inspect", "--json", model.toString());
        assertEquals(0, j.exit(), j.toString());
        JsonNode n = new ObjectMapper().readTree(j.out());
        assertEquals("onnx", n.get("format").asText());
        assertEquals(10, n.get("opsets").get("ai.onnx").asInt());
        assertEquals(1, n.get("ops").get("MatMulInteger").asInt());
        assertEquals(4, n.get("inputs").size());
        assertEquals("uint8", n.get("inputs").get(0).get("dtype").asText());
        assertEquals(4, n.get("inputs").get(0).get("shape").get(0).asInt());
        assertEquals("int32", n.get("outputs").get(0).get("dtype").asText());
        assertEquals(0, n.get("unsupported_ops").size());
    }

    @Test
    void inspectShowsUnsupportedOps() throws IOException {
        byte[] bytes = Files.readAllBytes(nodeCase("test_quantizelinear").resolve("model.onnx"));
        Path model = tmp.resolve("renamed.onnx");
        String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).replace("QuantizeLinear", "NoSuchOpLinear");
        Files.write(model, text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        CliRun r = run("inspect", "--json", model.toString());
        assertEquals(0, r.exit(), r.toString());
        JsonNode n = new ObjectMapper().readTree(r.out());
        assertEquals("NoSuchOpLinear", n.get("unsupported_ops").get(0).asText(), r.out());
        assertTrue(run("inspect", model.toString()).out().contains("graft:       unsupported: NoSuchOpLinear"));
    }

    @Test
    void inspectQuantizedMiniLmFromTheClasspath() throws IOException {
        Path model = tmp.resolve("all-minilm-l6-v2-q.onnx");
        try (InputStream in = getClass().getResourceAsStream("/all-minilm-l6-v2-q.onnx")) {
            Assumptions.assumeTrue(in != null, "skipped: the quantized MiniLM artifact is not on the classpath");
            Files.copy(in, model, StandardCopyOption.REPLACE_EXISTING);
        }
        CliRun r = run("inspect", "--json", model.toString());
        assertEquals(0, r.exit(), r.toString());
        JsonNode n = new ObjectMapper().readTree(r.out());
        assertEquals(36, n.get("ops").get("MatMulInteger").asInt(), n.get("ops").toString());
        assertTrue(n.get("ops").has("DynamicQuantizeLinear"), n.get("ops").toString());
        // symbolic dims come through by name
        JsonNode ids = n.get("inputs").get(0);
        assertEquals("input_ids", ids.get("name").asText());
        assertEquals("int64", ids.get("dtype").asText());
        assertTrue(ids.get("shape").get(0).isTextual(), ids.toString());
        long count = 0;
        for (JsonNode p : n.get("parameters")) {
            long c = 1;
            for (JsonNode d : p.get("shape")) {
                c *= d.asLong();
            }
            count += c;
        }
        assertEquals(count, n.get("parameter_count").asLong());
        assertTrue(n.get("parameter_bytes").asLong() > 20_000_000L, n.get("parameter_bytes").toString());
    }

    @Test
    void inspectSafeTensors() throws IOException {
        Path f = tmp.resolve("weights.safetensors");
        Map<String, Tensor> ts = new LinkedHashMap<>();
        ts.put("encoder.weight", Tensor.zeros(3, 4));
        ts.put("encoder.bias", Tensor.zeros(DType.FLOAT64, 4));
        ts.put("step", Tensor.fromArray(new long[] {7}));
        SafeTensors.write(f, ts, Map.of("format", "pt"));
        CliRun r = run("inspect", f.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("format:      safetensors"), r.out());
        assertTrue(r.out().contains("parameters (3 tensors, 17 values, 88 bytes)"), r.out());
        assertTrue(r.out().matches("(?s).*encoder\\.weight\\s+F32\\[3, 4\\].*"), r.out());
        assertTrue(r.out().contains("format: pt"), r.out());
        JsonNode n = new ObjectMapper().readTree(run("inspect", "--json", f.toString()).out());
        assertEquals("safetensors", n.get("format").asText());
        assertEquals(17, n.get("parameter_count").asInt());
        assertEquals(88, n.get("parameter_bytes").asInt());
        assertEquals(3, n.get("parameters").size());
        // sniffed without the extension
        Path renamed = Files.copy(f, tmp.resolve("weights.bin"));
        assertTrue(run("inspect", renamed.toString()).out().contains("format:      safetensors"));
    }

    @Test
    void inspectShardedSafeTensors() throws IOException {
        Path d = Files.createDirectories(tmp.resolve("sharded"));
        SafeTensors.write(d.resolve("model-00001-of-00002.safetensors"), Map.of("a.weight", Tensor.zeros(2, 2)), Map.of());
        SafeTensors.write(d.resolve("model-00002-of-00002.safetensors"), Map.of("b.weight", Tensor.zeros(DType.FLOAT64, 3)), Map.of());
        Path index = d.resolve("model.safetensors.index.json");
        Files.writeString(index, """
                {"metadata": {"total_size": 40}, "weight_map": {"a.weight": "model-00001-of-00002.safetensors",
                 "b.weight": "model-00002-of-00002.safetensors"}}""");
        CliRun r = run("inspect", "--json", index.toString());
        assertEquals(0, r.exit(), r.toString());
        JsonNode n = new ObjectMapper().readTree(r.out());
        assertEquals(2, n.get("shards").size());
        assertEquals(7, n.get("parameter_count").asInt());
        assertEquals(40, n.get("parameter_bytes").asInt());
        assertEquals("model-00002-of-00002.safetensors", n.get("parameters").get(1).get("shard").asText());
        Files.writeString(index, "{\"weight_map\": {\"a.weight\": \"../evil.safetensors\"}}");
        r = run("inspect", index.toString());
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.err().contains("plain file name"), r.toString());
    }

    @Test
    void inspectErrors() throws IOException {
        CliRun r = run("inspect", tmp.resolve("nope.onnx").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("no such file"), r.toString());
        Path junk = tmp.resolve("junk.onnx");
        Files.writeString(junk, "not a model");
        r = run("inspect", junk.toString());
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.err().contains("junk.onnx"), r.toString());
    }

    // ------------------------------------------------------------------ run

    /** Writes a case's inputs as .npy files (in their declared ONNX types) and returns the --input args. */
    private List<String> npyInputs(Path caseDir) throws IOException {
        OnnxModule m = OnnxModule.load(caseDir.resolve("model.onnx"));
        List<String> args = new ArrayList<>();
        List<OnnxValueInfo> ins = m.inputs();
        for (int i = 0; i < ins.size(); i++) {
            OnnxModel.NamedTensor t = OnnxModel.parseTensor(caseDir.resolve("test_data_set_0/input_" + i + ".pb"));
            Path f = tmp.resolve("in_" + i + ".npy");
            Npy.write(f, t.tensor(), RunCommand.descrFor(t.type(), t.tensor()));
            args.add("--input");
            args.add(ins.get(i).name() + "=" + f);
        }
        return args;
    }

    @Test
    void runWritesTheSuitesExpectedOutputs() throws IOException {
        for (String name : new String[] {"test_quantizelinear", "test_dequantizelinear_axis", "test_matmulinteger",
                                         "test_dynamicquantizelinear", "test_qlinearmatmul_3D"}) {
            Path c = nodeCase(name);
            Path outDir = tmp.resolve("out_" + name);
            List<String> args = new ArrayList<>(List.of("run", "--model", c.resolve("model.onnx").toString()));
            args.addAll(npyInputs(c));
            args.addAll(List.of("--output-dir", outDir.toString()));
            CliRun r = run(args.toArray(String[]::new));
            assertEquals(0, r.exit(), name + ": " + r);
            List<OnnxValueInfo> outs = OnnxModel.read(c.resolve("model.onnx")).graph().outputs();
            OnnxConformance conf = new OnnxConformance();
            for (int i = 0; i < outs.size(); i++) {
                OnnxModel.NamedTensor want = OnnxModel.parseTensor(c.resolve("test_data_set_0/output_" + i + ".pb"));
                Path got = outDir.resolve(RunCommand.sanitize(outs.get(i).name()) + ".npy");
                assertTrue(Files.isRegularFile(got), got + "\n" + r);
                assertNull(conf.compare(want.type(), want.tensor(), Npy.read(got)), name + " output " + i);
            }
        }
    }

    @Test
    void runArgumentErrorsAreClear() throws IOException {
        Path c = nodeCase("test_matmulinteger");
        String model = c.resolve("model.onnx").toString();
        List<String> good = npyInputs(c);
        String out = tmp.resolve("o").toString();

        // unknown input name
        List<String> args = new ArrayList<>(List.of("run", "--model", model, "--output-dir", out));
        args.addAll(good);
        args.addAll(List.of("--input", "nosuch=" + tmp.resolve("in_0.npy")));
        CliRun r = run(args.toArray(String[]::new));
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("unknown input 'nosuch'") && r.err().contains("[A, B, a_zero_point, b_zero_point]"), r.toString());

        // missing input
        r = run("run", "--model", model, "--output-dir", out, good.get(0), good.get(1));
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("missing input 'B") && r.err().contains("--input B=FILE.npy"), r.toString());

        // wrong dtype: A is uint8, give it float32
        Path f = tmp.resolve("float.npy");
        Npy.write(f, Tensor.zeros(4, 3));
        args = new ArrayList<>(List.of("run", "--model", model, "--output-dir", out, "--input", "A=" + f));
        args.addAll(good.subList(2, good.size()));
        r = run(args.toArray(String[]::new));
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("input 'A' must be uint8, but " + f + " holds <f4"), r.toString());

        // missing file and a model that does not exist
        args = new ArrayList<>(List.of("run", "--model", model, "--output-dir", out, "--input", "A=" + tmp.resolve("gone.npy")));
        args.addAll(good.subList(2, good.size()));
        r = run(args.toArray(String[]::new));
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("gone.npy: no such file"), r.toString());
        r = run("run", "--model", tmp.resolve("none.onnx").toString(), "--output-dir", out);
        assertEquals(2, r.exit(), r.toString());

        // wrong shape, reported by the module's feed checks
        Path wide = tmp.resolve("wide.npy");
        Npy.write(wide, Tensor.zeros(DType.UINT8, 5, 3));
        args = new ArrayList<>(List.of("run", "--model", model, "--output-dir", out, "--input", "A=" + wide));
        args.addAll(good.subList(2, good.size()));
        r = run(args.toArray(String[]::new));
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("must have shape [4, 3], got [5, 3]"), r.toString());
        assertTrue(!Files.exists(Path.of(out)) || Files.list(Path.of(out)).findAny().isEmpty(), "nothing written on failure");
    }

    @Test
    void outputNamesAreSanitised() {
        assertEquals("a_b_c", RunCommand.sanitize("a/b:c"));
        assertEquals("_..", RunCommand.sanitize(".."));
        assertEquals("_", RunCommand.sanitize(""));
        assertEquals("last_hidden_state", RunCommand.sanitize("last_hidden_state"));
        assertEquals("x_y", RunCommand.sanitize("x\\y"));
    }

    // ------------------------------------------------------------------ onnx-test

    @Test
    void onnxTestReportsEachCaseAndTheSummary() throws IOException {
        Path pass1 = nodeCase("test_quantizelinear");
        Path suite = tmp.resolve("suite");
        Files.createDirectories(suite);
        copyCase(pass1, suite.resolve("test_quantizelinear"));
        // the same case with its op renamed to one no registry has (same length keeps the protobuf valid)
        Path skip1 = suite.resolve("test_nosuchop");
        copyCase(pass1, skip1);
        byte[] model = Files.readAllBytes(skip1.resolve("model.onnx"));
        String text = new String(model, java.nio.charset.StandardCharsets.ISO_8859_1).replace("QuantizeLinear", "NoSuchOpLinear");
        Files.write(skip1.resolve("model.onnx"), text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        CliRun r = run("onnx-test", suite.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("PASS test_quantizelinear\n") || r.out().contains("PASS test_quantizelinear\r\n"), r.toString());
        assertTrue(r.out().contains("SKIP test_nosuchop: unsupported op NoSuchOpLinear"), r.toString());
        assertTrue(r.out().strip().endsWith("1 passed, 0 failed, 1 skipped"), r.toString());

        // a case whose expected output is wrong fails, and the exit code says so
        Path broken = tmp.resolve("test_broken");
        copyCase(pass1, broken);
        Files.copy(nodeCase("test_dequantizelinear").resolve("test_data_set_0/output_0.pb"),
                broken.resolve("test_data_set_0/output_0.pb"), StandardCopyOption.REPLACE_EXISTING);
        r = run("onnx-test", broken.toString(), pass1.toString());
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.out().contains("FAIL test_broken: test_data_set_0: output 'y': "), r.toString());
        assertTrue(r.out().strip().endsWith("1 passed, 1 failed, 0 skipped"), r.toString());

        // --filter, and bad arguments
        r = run("onnx-test", "--filter", "^test_quant", suite.toString());
        assertTrue(r.out().strip().endsWith("1 passed, 0 failed, 0 skipped"), r.toString());
        r = run("onnx-test", tmp.resolve("missing").toString());
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("not a directory"), r.toString());
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        r = run("onnx-test", empty.toString());
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("no test cases"), r.toString());
    }

    /** Copies a case directory (model.onnx and test_data_set_0/). */
    private static void copyCase(Path from, Path to) throws IOException {
        Files.createDirectories(to.resolve("test_data_set_0"));
        Files.copy(from.resolve("model.onnx"), to.resolve("model.onnx"));
        try (Stream<Path> s = Files.list(from.resolve("test_data_set_0"))) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve("test_data_set_0").resolve(p.getFileName()));
            }
        }
    }

    @Test
    void runOnAnInt8OutputWritesInt8() throws IOException {
        // QuantizeLinear with an int8 zero point: Graft holds the output as INT32, the file says int8
        Path c = nodeCase("test_quantizelinear_axis");
        OnnxModel m = OnnxModel.read(c.resolve("model.onnx"));
        Path outDir = tmp.resolve("q");
        List<String> args = new ArrayList<>(List.of("run", "--model", c.resolve("model.onnx").toString(), "--output-dir", outDir.toString()));
        args.addAll(npyInputs(c));
        CliRun r = run(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.toString());
        OnnxValueInfo y = m.graph().outputs().getFirst();
        Path f = outDir.resolve(RunCommand.sanitize(y.name()) + ".npy");
        String want = y.elemType() == dev.graft.onnx.OnnxDataType.INT8 ? "|i1" : "|u1";
        assertEquals(want, Npy.readHeader(f).descr());
        assertArrayEquals(OnnxModel.parseTensor(c.resolve("test_data_set_0/output_0.pb")).tensor().toLongArray(),
                Npy.read(f).toLongArray());
    }
}
