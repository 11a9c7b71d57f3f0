package dev.graft.cli;

import dev.graft.npy.Npy;
import dev.graft.npy.NpyException;
import dev.graft.onnx.OnnxDataType;
import dev.graft.onnx.OnnxException;
import dev.graft.onnx.OnnxModule;
import dev.graft.onnx.OnnxValueInfo;
import dev.graft.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code graft run}: runs an ONNX model on {@code .npy} inputs and writes one {@code .npy} per
 * output. Outputs are written in the model's declared ONNX element type where NumPy has it (so an
 * int8 output Graft holds as int32 is written as int8, a float16 one as float16).
 *
 * <p>Exit codes: 0 on success, 2 for problems with the arguments or inputs (unknown or missing
 * input names, unreadable files, wrong dtypes or shapes), 1 when the model cannot be loaded or fails.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run an ONNX model on NumPy .npy inputs and write one OUTPUTNAME.npy per graph output into "
                + "--output-dir (little-endian, C order; characters other than letters, digits, '.', '_' and '-' in "
                + "output names become '_').",
            "Example: graft run --model m.onnx --input x=x.npy --input mask=mask.npy --output-dir out/"})
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "MODEL.onnx", description = "the ONNX model file")
    Path model;

    @Option(names = "--input", paramLabel = "NAME=FILE.npy", description = "a graph input and the .npy file that holds it (repeat for each input)")
    Map<String, Path> inputs = new LinkedHashMap<>();

    @Option(names = "--output-dir", required = true, paramLabel = "DIR", description = "where to write the outputs (created if missing)")
    Path outputDir;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            if (!Files.isRegularFile(model)) {
                return fail(err, 2, model + ": no such file");
            }
            OnnxModule module;
            try {
                module = OnnxModule.load(model);
            } catch (OnnxException e) {
                return fail(err, 1, e.getMessage());
            }
            Map<String, Tensor> feeds = new LinkedHashMap<>();
            List<String> problems = new ArrayList<>();
            Map<String, OnnxValueInfo> declared = new LinkedHashMap<>();
            for (OnnxValueInfo v : module.inputs()) {
                declared.put(v.name(), v);
            }
            for (Map.Entry<String, Path> e : inputs.entrySet()) {
                OnnxValueInfo v = declared.get(e.getKey());
                if (v == null) {
                    problems.add("unknown input '" + e.getKey() + "' (the model's inputs are " + declared.keySet() + ")");
                    continue;
                }
                Tensor t;
                try {
                    t = Npy.read(e.getValue());
                } catch (NpyException | IOException x) {
                    problems.add("input '" + e.getKey() + "': " + (x instanceof java.nio.file.NoSuchFileException
                            ? e.getValue() + ": no such file" : x.getMessage()));
                    continue;
                }
                if (v.elemType() != null && v.elemType().graft != null && v.elemType().graft != t.dtype()) {
                    problems.add("input '" + e.getKey() + "' must be " + v.elemType().name().toLowerCase(Locale.ROOT)
                            + ", but " + e.getValue() + " holds " + Npy.readHeader(e.getValue()).descr()
                            + " (read as Graft " + t.dtype() + ")");
                    continue;
                }
                feeds.put(e.getKey(), t);
            }
            for (OnnxValueInfo v : module.inputs()) {
                if (!inputs.containsKey(v.name())) {
                    problems.add("missing input '" + v + "': pass --input " + v.name() + "=FILE.npy");
                }
            }
            if (!problems.isEmpty()) {
                return fail(err, 2, String.join("\n  ", problems));
            }
            Map<String, Tensor> results;
            try {
                results = module.infer(feeds);
            } catch (OnnxException e) {
                // shape mismatches against the declared inputs are reported here, by OnnxModule's feed checks
                return fail(err, e.getMessage().contains("must have shape") ? 2 : 1, e.getMessage());
            }
            Files.createDirectories(outputDir);
            Set<String> used = new HashSet<>();
            for (OnnxValueInfo v : module.outputs()) {
                Tensor t = results.get(v.name());
                String file = uniqueName(sanitize(v.name()), used) + ".npy";
                Path p = outputDir.resolve(file);
                String descr = descrFor(v.elemType(), t);
                Npy.write(p, t, descr);
                out.printf("%s -> %s (%s%s)%n", v.name(), p, descr, Arrays.toString(t.shape()));
            }
            out.flush();
            return 0;
        } catch (IOException | NpyException e) {
            return fail(err, 1, e.getMessage());
        }
    }

    private static int fail(PrintWriter err, int code, String message) {
        err.println("graft run: " + message);
        err.flush();
        return code;
    }

    /** A file name from an output name: unsafe characters become '_', and no hidden or empty names. */
    static String sanitize(String name) {
        String s = name.replaceAll("[^A-Za-z0-9._-]", "_");
        if (s.isEmpty() || s.startsWith(".")) {
            s = "_" + s;
        }
        return s;
    }

    private static String uniqueName(String base, Set<String> used) {
        String name = base;
        for (int k = 2; !used.add(name.toLowerCase(Locale.ROOT)); k++) {
            name = base + "_" + k;
        }
        return name;
    }

    /** The NumPy dtype for an output: its declared ONNX type where Graft holds it widened, else its own. */
    static String descrFor(OnnxDataType declared, Tensor t) {
        if (declared != null && declared.graft == t.dtype()) {
            switch (declared) {
                case INT8:
                    return "|i1";
                case INT16:
                    return "<i2";
                case UINT16:
                    return "<u2";
                case UINT32:
                    return "<u4";
                case UINT64:
                    return "<u8";
                case FLOAT16:
                    return "<f2";
                default:
                    break;
            }
        }
        return Npy.descrOf(t.dtype());
    }
}
