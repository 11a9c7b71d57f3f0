package dev.graft.bench;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.TreeSet;

/**
 * Turns JMH results into one Markdown table per benchmark class, adding what JMH cannot know:
 * GFLOP/s for the matmul benchmarks (2·m·k·n floating-point operations per call) and, for each
 * java-simd row, the scalar backend's time divided by its own (the speedup over the reference).
 *
 * <p>{@code FooScalarBench} is the scalar control of {@code FooBench} and shares its table. A
 * java-simd row is paired with the scalar row of the same method and parameters, preferring the
 * same thread count and otherwise the one-thread row (the scalar backend is single-threaded).
 *
 * <p>With {@link ContentionProfiler} on, a last column gives the CPU cores other processes used
 * during the measurement iterations (mean): the noise a row was measured under.
 */
final class Summary {
    private static final String BACKEND = "backend";
    private static final String THREADS = "threads";
    private static final String SCALAR = "scalar";

    private Summary() {
    }

    /** One timed configuration, flattened. */
    private record Row(String table, String method, Map<String, String> params, double score, double error, String unit,
                       double otherCores) {
        String backend() {
            return params.getOrDefault(BACKEND, "");
        }

        String threads() {
            return params.getOrDefault(THREADS, "");
        }

        /** The parameters other than backend and threads: what the computation is. */
        Map<String, String> shape() {
            Map<String, String> m = new LinkedHashMap<>(params);
            m.remove(BACKEND);
            m.remove(THREADS);
            return m;
        }
    }

    static String markdown(Collection<RunResult> results) {
        List<Row> rows = new ArrayList<>();
        Map<String, String> settings = new LinkedHashMap<>(); // benchmark class -> its iteration settings
        BenchmarkParams any = null;
        for (RunResult r : results) {
            BenchmarkParams p = r.getParams();
            any = p;
            settings.putIfAbsent(p.getBenchmark().substring(0, p.getBenchmark().lastIndexOf('.')), String.format(Locale.ROOT,
                    "%d warmup x %s, %d measurement x %s, %d fork(s)", p.getWarmup().getCount(), p.getWarmup().getTime(),
                    p.getMeasurement().getCount(), p.getMeasurement().getTime(), p.getForks()));
            String full = p.getBenchmark();
            int dot = full.lastIndexOf('.');
            String cls = full.substring(full.lastIndexOf('.', dot - 1) + 1, dot);
            Map<String, String> params = new LinkedHashMap<>();
            for (String k : p.getParamsKeys()) {
                params.put(k, p.getParam(k));
            }
            Result<?> pr = r.getPrimaryResult();
            Result<?> other = r.getSecondaryResults().get(ContentionProfiler.LABEL);
            rows.add(new Row(cls.replace("ScalarBench", "Bench"), full.substring(dot + 1), params, pr.getScore(),
                    pr.getScoreError(), pr.getScoreUnit(), other == null ? Double.NaN : other.getScore()));
        }
        StringBuilder sb = new StringBuilder();
        if (any != null) {
            sb.append(String.format(Locale.ROOT, "JDK %s (%s %s); JMH %s%n%n", any.getJdkVersion(), any.getVmName(),
                    any.getVmVersion(), any.getJmhVersion()));
        }
        for (String table : new TreeSet<>(rows.stream().map(Row::table).toList())) {
            List<Row> t = rows.stream().filter(r -> r.table.equals(table)).sorted(ORDER).toList();
            sb.append("### ").append(table).append("\n\n");
            settings.forEach((cls, how) -> {
                String simple = cls.substring(cls.lastIndexOf('.') + 1);
                if (simple.replace("ScalarBench", "Bench").equals(table)) {
                    sb.append(simple).append(": ").append(how).append("  \n");
                }
            });
            sb.append('\n').append(table(t, rows)).append('\n');
        }
        return sb.toString();
    }

    private static String table(List<Row> rows, List<Row> all) {
        List<String> shapeKeys = new ArrayList<>();
        for (Row r : rows) {
            for (String k : r.shape().keySet()) {
                if (!shapeKeys.contains(k)) {
                    shapeKeys.add(k);
                }
            }
        }
        boolean hasFlops = rows.stream().anyMatch(r -> flops(r).isPresent());
        boolean hasPairs = rows.stream().anyMatch(r -> !r.backend().equals(SCALAR) && scalarPeer(r, all) != null);
        boolean hasOther = rows.stream().anyMatch(r -> !Double.isNaN(r.otherCores));
        StringBuilder sb = new StringBuilder("| benchmark | backend | threads |");
        for (String k : shapeKeys) {
            sb.append(' ').append(k).append(" |");
        }
        sb.append(" score ± error | unit |");
        if (hasFlops) {
            sb.append(" GFLOP/s |");
        }
        if (hasPairs) {
            sb.append(" speedup vs scalar |");
        }
        if (hasOther) {
            sb.append(" other load (cores) |");
        }
        sb.append("\n|---|---|---:|");
        sb.append("---:|".repeat(shapeKeys.size())).append("---:|---|");
        if (hasFlops) {
            sb.append("---:|");
        }
        if (hasPairs) {
            sb.append("---:|");
        }
        if (hasOther) {
            sb.append("---:|");
        }
        sb.append('\n');
        for (Row r : rows) {
            sb.append("| ").append(r.method).append(" | ").append(r.backend()).append(" | ").append(r.threads()).append(" |");
            for (String k : shapeKeys) {
                sb.append(' ').append(r.params.getOrDefault(k, "")).append(" |");
            }
            sb.append(' ').append(number(r.score)).append(" ± ").append(Double.isNaN(r.error) ? "n/a" : number(r.error))
                    .append(" | ").append(r.unit).append(" |");
            if (hasFlops) {
                OptionalDouble f = flops(r);
                double s = secondsPerOp(r);
                sb.append(' ').append(f.isPresent() && !Double.isNaN(s) ? number(f.getAsDouble() / s / 1e9) : "").append(" |");
            }
            if (hasPairs) {
                Row peer = r.backend().equals(SCALAR) ? null : scalarPeer(r, all);
                String ratio = "";
                if (peer != null) {
                    ratio = String.format(Locale.ROOT, "%.1fx", secondsPerOp(peer) / secondsPerOp(r))
                            + (peer.threads().equals(r.threads()) ? "" : " (vs " + peer.threads() + "-thread scalar)");
                }
                sb.append(' ').append(ratio).append(" |");
            }
            if (hasOther) {
                sb.append(' ').append(Double.isNaN(r.otherCores) ? "" : String.format(Locale.ROOT, "%.2f", r.otherCores)).append(" |");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** The scalar row with r's method and shape: same thread count if there is one, else one thread. */
    private static Row scalarPeer(Row r, List<Row> all) {
        Row fallback = null;
        for (Row o : all) {
            if (o.backend().equals(SCALAR) && o.table.equals(r.table) && o.method.equals(r.method) && o.shape().equals(r.shape())) {
                if (o.threads().equals(r.threads())) {
                    return o;
                }
                if (o.threads().equals("1") || o.threads().isEmpty()) {
                    fallback = o;
                }
            }
        }
        return fallback;
    }

    /** Floating-point operations per call, where the benchmark is a GEMM of known shape. */
    private static OptionalDouble flops(Row r) {
        if (!r.table.equals("MatmulBench")) {
            return OptionalDouble.empty();
        }
        return switch (r.method) {
            case "square" -> {
                double n = Double.parseDouble(r.params.get("n"));
                yield OptionalDouble.of(2 * n * n * n);
            }
            case "bertFfn" -> OptionalDouble.of(2.0 * MatmulBench.Bert.TOKENS * MatmulBench.Bert.HIDDEN * MatmulBench.Bert.FFN);
            default -> OptionalDouble.empty();
        };
    }

    /** Seconds per call from a time/op or op/time score; NaN for units this does not know. */
    private static double secondsPerOp(Row r) {
        String[] u = r.unit.split("/");
        if (u.length != 2) {
            return Double.NaN;
        }
        if (u[1].equals("op")) {
            return r.score * seconds(u[0]);
        }
        if (u[0].equals("ops")) {
            return seconds(u[1]) / r.score;
        }
        return Double.NaN;
    }

    private static double seconds(String unit) {
        return switch (unit) {
            case "ns" -> 1e-9;
            case "us" -> 1e-6;
            case "ms" -> 1e-3;
            case "s" -> 1;
            case "min" -> 60;
            default -> Double.NaN;
        };
    }

    private static String number(double x) {
        double a = Math.abs(x);
        String f = a >= 1000 ? "%.0f" : a >= 100 ? "%.1f" : a >= 10 ? "%.2f" : "%.3f";
        return String.format(Locale.ROOT, f, x);
    }

    /** Method, then shape parameters (numerically where they are numbers), then java-simd before scalar, then threads. */
    private static final Comparator<Row> ORDER = Comparator.comparing((Row r) -> r.method)
            .thenComparing((a, b) -> compareShapes(a.shape(), b.shape()))
            .thenComparing(r -> r.backend().equals(SCALAR))
            .thenComparing(r -> r.threads(), Summary::compareValues);

    private static int compareShapes(Map<String, String> a, Map<String, String> b) {
        for (String k : new TreeSet<>(a.keySet())) {
            int c = compareValues(a.get(k), b.get(k));
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static int compareValues(String a, String b) {
        if (Objects.equals(a, b)) {
            return 0;
        }
        if (a == null || b == null) {
            return a == null ? -1 : 1;
        }
        try {
            return Double.compare(Double.parseDouble(a), Double.parseDouble(b));
        } catch (NumberFormatException e) {
            return a.compareTo(b);
        }
    }
}
