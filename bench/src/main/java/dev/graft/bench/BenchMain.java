package dev.graft.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * JMH's command line plus a summary: takes the arguments of {@code java -jar benchmarks.jar},
 * runs the benchmarks, then prints Markdown tables with GFLOP/s and java-simd / scalar ratios
 * ({@link Summary}). When the result file ({@code -rff}) ends in {@code .json} the tables are also
 * written next to it with {@code .md} in place of {@code .json}.
 *
 * <p>One extra option, {@code --quick}, shortens warmup and measurement to {@link #QUICK} for the
 * options among them that the command line does not set itself (JMH refuses an option given twice).
 */
public final class BenchMain {
    /**
     * What --quick means: 2 warmup iterations of 1 s, 2 measurement iterations of 0.5 s. Less warmup
     * than this times the Vector API kernels before the JIT has compiled them (n = 64 matmul then
     * reads about 100x slow), so the warmup is not shortened further.
     */
    static final List<String> QUICK = List.of("-wi", "2", "-i", "2", "-w", "1s", "-r", "500ms");

    private BenchMain() {
    }

    /** args without --quick, plus each quick setting that args does not already give. */
    static String[] expandQuick(String[] args) {
        List<String> rest = new ArrayList<>(List.of(args));
        if (!rest.remove("--quick")) {
            return args;
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < QUICK.size(); i += 2) {
            String opt = QUICK.get(i);
            if (rest.stream().noneMatch(a -> a.equals(opt) || a.startsWith(opt + "="))) {
                out.add(opt);
                out.add(QUICK.get(i + 1));
            }
        }
        out.addAll(rest);
        return out.toArray(String[]::new);
    }

    public static void main(String[] argv) throws IOException {
        String[] args = expandQuick(argv);
        CommandLineOptions options;
        try {
            options = new CommandLineOptions(args);
        } catch (CommandLineOptionException e) {
            System.err.println("Error parsing command line:\n " + e.getMessage());
            System.exit(1);
            return;
        }
        if (options.shouldHelp() || options.shouldList() || options.shouldListWithParams() || options.shouldListProfilers()
                || options.shouldListResultFormats()) {
            org.openjdk.jmh.Main.main(args); // nothing is run, so there is nothing to summarise
            return;
        }
        Collection<RunResult> results;
        try {
            results = new Runner(options).run();
        } catch (RunnerException e) {
            System.err.println("ERROR: " + e.getMessage());
            e.printStackTrace(System.err);
            System.exit(1);
            return;
        }
        String tables = Summary.markdown(results);
        System.out.println();
        System.out.println(tables);
        if (options.getResult().hasValue() && options.getResult().get().endsWith(".json")) {
            String json = options.getResult().get();
            Path md = Path.of(json.substring(0, json.length() - ".json".length()) + ".md");
            Files.writeString(md, tables);
            System.out.println("Summary written to " + md);
        }
    }
}
