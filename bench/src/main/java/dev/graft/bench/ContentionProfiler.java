package dev.graft.bench;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

/**
 * How much of the machine other processes took while each iteration ran, in CPU cores: busy time
 * from {@code /proc/stat} (hypervisor steal included) minus this JVM's own time from
 * {@code /proc/self/stat}. On a shared machine a score measured next to 1.5 busy cores of someone
 * else's work is not the same number as one measured on an idle machine; this says which it was.
 * Linux only (elsewhere it reports nothing). Enable with {@code -prof dev.graft.bench.ContentionProfiler};
 * bench/run.sh does.
 */
public final class ContentionProfiler implements InternalProfiler {
    static final String LABEL = "other-cpu";
    private static final Path STAT = Path.of("/proc/stat");
    private static final Path SELF = Path.of("/proc/self/stat");

    private long[] start;

    @Override
    public String getDescription() {
        return "CPU cores used by other processes during each iteration (Linux /proc)";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        start = sample();
    }

    /** Cores other processes used between two {@link #sample()}s; NaN where /proc is missing. */
    static double otherCores(long[] start, long[] end) {
        if (start == null || end == null || end[1] <= start[1]) {
            return Double.NaN;
        }
        return Math.max(0, (double) (end[0] - start[0] - (end[2] - start[2])) / (end[1] - start[1])
                * Runtime.getRuntime().availableProcessors());
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                       IterationResult result) {
        long[] end = sample();
        if (start == null || end == null || end[1] <= start[1]) {
            return List.of();
        }
        double busy = end[0] - start[0];
        double total = end[1] - start[1];
        double own = end[2] - start[2];
        double cores = Runtime.getRuntime().availableProcessors();
        double other = Math.max(0, (busy - own) / total * cores);
        return List.of(new ScalarResult(LABEL, other, "cores", AggregationPolicy.AVG));
    }

    /** {busy, total} jiffies of all CPUs and this process's user+system jiffies; null where /proc is missing. */
    static long[] sample() {
        try {
            String[] cpu = Files.readAllLines(STAT).getFirst().trim().split("\\s+");
            // cpu user nice system idle iowait irq softirq steal guest guest_nice; guest is already in user
            long busy = 0;
            long total = 0;
            for (int i = 1; i < cpu.length && i <= 8; i++) {
                long v = Long.parseLong(cpu[i]);
                total += v;
                if (i != 4 && i != 5) {
                    busy += v;
                }
            }
            String self = Files.readString(SELF);
            // the command name (field 2) may hold spaces, so count fields after its closing parenthesis
            String[] f = self.substring(self.lastIndexOf(')') + 2).trim().split("\\s+");
            long own = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
            return new long[] {busy, total, own};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
