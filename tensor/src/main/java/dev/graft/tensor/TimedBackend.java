package dev.graft.tensor;

import dev.graft.tensor.spi.Backend;
import dev.graft.tensor.spi.BinaryOp;
import dev.graft.tensor.spi.ReduceOp;
import dev.graft.tensor.spi.UnaryOp;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Wall time spent in each backend primitive, for finding where a step goes: on with
 * {@code -Dgraft.profile.primitives=true} ({@link dev.graft.tensor.backend.Backends#current()}
 * then wraps its backend in this one), read with {@link #report}. Keys are the primitive, its
 * operation and dtype, and the device ("binary ADD float32 cuda:0"). On an accelerator the time
 * is what the caller waits for: the launch of an asynchronous kernel, or a whole host fallback
 * including its copies; the device's own run time shows up wherever the host next synchronises.
 */
public final class TimedBackend implements Backend {
    private static final Map<String, LongAdder[]> TIMES = new ConcurrentHashMap<>();
    private final Backend inner;

    public TimedBackend(Backend inner) {
        this.inner = inner;
    }

    /** The backend being timed. */
    public Backend inner() {
        return inner;
    }

    /** Whether {@code -Dgraft.profile.primitives=true} is set. */
    public static boolean enabled() {
        return Boolean.getBoolean("graft.profile.primitives");
    }

    /** Forgets everything measured so far. */
    public static void reset() {
        TIMES.clear();
    }

    /** The {@code top} most expensive keys: total milliseconds, calls and microseconds per call, divided by {@code steps} when given. */
    public static String report(int top, int steps) {
        List<Map.Entry<String, LongAdder[]>> list = new ArrayList<>(TIMES.entrySet());
        list.sort((x, y) -> Long.compare(y.getValue()[1].sum(), x.getValue()[1].sum()));
        long total = list.stream().mapToLong(e -> e.getValue()[1].sum()).sum();
        long calls = list.stream().mapToLong(e -> e.getValue()[0].sum()).sum();
        int per = Math.max(1, steps);
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "primitives: %.3f ms in %d calls%s%n", total / 1e6 / per,
                calls / per, steps > 0 ? " per step" : ""));
        for (int i = 0; i < Math.min(top, list.size()); i++) {
            var e = list.get(i);
            long n = e.getValue()[0].sum();
            long t = e.getValue()[1].sum();
            sb.append(String.format(Locale.ROOT, "  %8.3f ms %6d calls %9.1f us/call  %s%n", t / 1e6 / per, n / per,
                    n == 0 ? 0.0 : t / 1e3 / n, e.getKey()));
        }
        return sb.toString();
    }

    private static void add(String key, long nanos) {
        LongAdder[] a = TIMES.computeIfAbsent(key, k -> new LongAdder[] {new LongAdder(), new LongAdder()});
        a[0].increment();
        a[1].add(nanos);
    }

    private static void time(Supplier<String> key, Runnable body) {
        long t0 = System.nanoTime();
        body.run();
        add(key.get(), System.nanoTime() - t0);
    }

    private static String where(Tensor t) {
        return t.dtype() + " " + t.device();
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public String description() {
        return inner.description() + ", timed";
    }

    @Override
    public void unary(UnaryOp op, double p0, double p1, Tensor x, Tensor out) {
        time(() -> "unary " + op + " " + where(out), () -> inner.unary(op, p0, p1, x, out));
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        time(() -> "binary " + op + " " + where(out), () -> inner.binary(op, a, b, out));
    }

    @Override
    public void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        time(() -> "where " + where(out), () -> inner.where(cond, a, b, out));
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        time(() -> "copy " + src.dtype() + " " + src.device() + " -> " + where(dst), () -> inner.copy(src, dst));
    }

    @Override
    public void fill(Tensor dst, double value) {
        time(() -> "fill " + where(dst), () -> inner.fill(dst, value));
    }

    @Override
    public void reduce(ReduceOp op, Tensor x, Tensor out, Tensor indices) {
        time(() -> "reduce " + op + " " + where(out), () -> inner.reduce(op, x, out, indices));
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        time(() -> "matmul " + where(out), () -> inner.matmul(a, b, out));
    }

    @Override
    public void unfold2d(Tensor x, int[] g, double padValue, Tensor out) {
        time(() -> "unfold2d " + where(out), () -> inner.unfold2d(x, g, padValue, out));
    }

    @Override
    public void fold2d(Tensor cols, int[] g, Tensor out) {
        time(() -> "fold2d " + where(out), () -> inner.fold2d(cols, g, out));
    }

    @Override
    public void gather(Tensor x, int dim, Tensor index, Tensor out) {
        time(() -> "gather " + where(out), () -> inner.gather(x, dim, index, out));
    }

    @Override
    public void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        time(() -> "scatterAdd " + where(dst), () -> inner.scatterAdd(dst, dim, index, src));
    }

    @Override
    public void indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        time(() -> "indexSelect " + where(out), () -> inner.indexSelect(x, dim, index, out));
    }

    @Override
    public void sort(Tensor x, boolean descending, Tensor values, Tensor indices) {
        time(() -> "sort " + where(values), () -> inner.sort(x, descending, values, indices));
    }

    @Override
    public void cumsum(Tensor x, Tensor out) {
        time(() -> "cumsum " + where(out), () -> inner.cumsum(x, out));
    }
}
