package dev.graft.cli;

import dev.graft.onnx.OnnxConformance;
import dev.graft.onnx.ops.OpRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code graft onnx-test DIR…}: runs ONNX backend test cases (a directory with model.onnx and
 * test_data_set_N/) and prints one verdict line per case and a summary. Exit code 0 when no case
 * failed (skips do not count as failures), 1 otherwise, 2 for bad arguments.
 */
@Command(name = "onnx-test", mixinStandardHelpOptions = true,
        description = {"Run ONNX backend test cases (directories holding model.onnx and test_data_set_*/ with input_*.pb "
                + "and output_*.pb). Each DIR is one case or a directory of cases, such as "
                + "/usr/share/libonnx-testdata/data/node.",
            "Prints 'PASS name', 'FAIL name: reason' or 'SKIP name: unsupported op X' per case, then "
                + "'N passed, M failed, K skipped'. Exit code 0 when nothing failed, 1 otherwise."})
final class OnnxTestCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "DIR", description = "a test case directory, or a directory of them")
    List<Path> dirs = new ArrayList<>();

    @Option(names = "--filter", paramLabel = "REGEX", description = "run only cases whose name contains a match")
    String filter;

    @Option(names = "--rtol", defaultValue = "1e-3", description = "relative tolerance (default: ${DEFAULT-VALUE})")
    double rtol;

    @Option(names = "--atol", defaultValue = "1e-5", description = "absolute tolerance (default: ${DEFAULT-VALUE})")
    double atol;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Pattern pattern;
        try {
            pattern = filter == null ? null : Pattern.compile(filter);
        } catch (PatternSyntaxException e) {
            err.println("graft onnx-test: --filter is not a regular expression: " + e.getDescription());
            err.flush();
            return 2;
        }
        if (!(rtol >= 0) || !(atol >= 0)) {
            err.println("graft onnx-test: --rtol and --atol must be >= 0");
            err.flush();
            return 2;
        }
        List<Path> cases = new ArrayList<>();
        for (Path d : dirs) {
            if (!Files.isDirectory(d)) {
                err.println("graft onnx-test: " + d + ": not a directory");
                err.flush();
                return 2;
            }
            try {
                List<Path> found = OnnxConformance.cases(d);
                if (found.isEmpty()) {
                    err.println("graft onnx-test: " + d + ": no test cases (no model.onnx in it or its subdirectories)");
                    err.flush();
                    return 2;
                }
                cases.addAll(found);
            } catch (IOException e) {
                err.println("graft onnx-test: " + d + ": " + e.getMessage());
                err.flush();
                return 2;
            }
        }
        OnnxConformance runner = new OnnxConformance(OpRegistry.standard(), rtol, atol);
        int pass = 0;
        int fail = 0;
        int skip = 0;
        for (Path c : cases) {
            if (pattern != null && !pattern.matcher(c.getFileName().toString()).find()) {
                continue;
            }
            OnnxConformance.Result r = runner.run(c);
            switch (r.status()) {
                case PASS -> pass++;
                case FAIL -> fail++;
                case SKIP -> skip++;
            }
            out.println(r);
            out.flush();
        }
        out.println(pass + " passed, " + fail + " failed, " + skip + " skipped");
        out.flush();
        return fail == 0 ? 0 : 1;
    }
}
