package dev.graft.tensor;

import dev.graft.tensor.spi.Backend;
import dev.graft.tensor.spi.BinaryOp;
import dev.graft.tensor.spi.DeviceRuntime;
import dev.graft.tensor.spi.ReduceOp;
import dev.graft.tensor.spi.UnaryOp;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;

/**
 * Routes each backend primitive by where its tensors live. With every tensor on the CPU it calls
 * the host backend unchanged. With tensors on one accelerator it runs the primitive there when the
 * device's {@link DeviceRuntime} has a kernel for it (matmul in cuBLAS; elementwise ops, copies
 * and reductions where the runtime implements them), and otherwise on
 * the host: inputs are read from their host mirrors (downloaded if the device copy is newer), the
 * host backend computes, and the outputs stay on the device with a current host mirror, so a chain
 * of host-run ops copies nothing until a device kernel needs the result. The first host fallback
 * of each primitive logs one line; {@link #hostFallbacks()} counts them all.
 *
 * <p>Output placement follows PyTorch: an op's fresh output is on its inputs' device. Tensors on
 * two different accelerators in one op are refused. A CPU tensor may meet device tensors (a scalar
 * constant made inside an op, say); such ops run on the host.
 *
 * <p>{@link dev.graft.tensor.backend.Backends#current()} returns this wrapper only after the first
 * tensor was placed on a device, so a CPU-only program never pays for the checks.
 */
public final class DeviceDispatch implements Backend {
    private static final Logger LOG = Logger.getLogger(DeviceDispatch.class.getName());
    private static final Map<String, LongAdder> FALLBACKS = new ConcurrentHashMap<>();
    private static final Map<String, LongAdder> NATIVE = new ConcurrentHashMap<>();

    private final Backend host;

    public DeviceDispatch(Backend host) {
        this.host = host;
    }

    /** {@code b}'s host backend when it is a dispatcher, else {@code b}. */
    public static Backend hostOf(Backend b) {
        Backend u = b instanceof TimedBackend t ? t.inner() : b;
        return u instanceof DeviceDispatch dd ? dd.host : u;
    }

    /** The backend that computes on the CPU. */
    public Backend host() {
        return host;
    }

    @Override
    public String name() {
        return host.name();
    }

    @Override
    public String description() {
        return host.description() + ", device tensors dispatched";
    }

    /** How many times each primitive ran on the host for device tensors, keyed "cuda binary ADD" etc. */
    public static Map<String, Long> hostFallbacks() {
        Map<String, Long> m = new TreeMap<>();
        FALLBACKS.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /** How many times each primitive ran in a device kernel, keyed "cuda matmul float32", "cuda binary ADD" etc. */
    public static Map<String, Long> deviceKernels() {
        Map<String, Long> m = new TreeMap<>();
        NATIVE.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    // ------------------------------------------------------------------ placement

    /** The one accelerator among the tensors, or null when all are on the CPU. */
    private static Device deviceOf(String op, Tensor... ts) {
        Device found = null;
        for (Tensor t : ts) {
            if (t == null) {
                continue;
            }
            Device d = t.storage().device();
            if (d.isCpu()) {
                continue;
            }
            if (found == null) {
                found = d;
            } else if (!found.equals(d)) {
                throw new IllegalArgumentException(op + ": tensors are on two devices, " + found + " and " + d
                        + "; move them to one with to(Device)");
            }
        }
        return found;
    }

    /**
     * Whether every non-null input is on {@code d} or is a CPU scalar (a one-element storage, seen
     * through a broadcast view), which device kernels take by value as PyTorch does.
     */
    private static boolean allOn(Device d, Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null && !t.storage().device().equals(d) && !(t.storage().device().isCpu() && t.storage().length() == 1)) {
                return false;
            }
        }
        return true;
    }

    /** Places fresh CPU outputs on {@code d} without touching their data. */
    private static void place(Device d, Tensor... outs) {
        for (Tensor t : outs) {
            if (t != null && t.storage().device().isCpu()) {
                t.storage().adopt(d);
            }
        }
    }

    private static boolean kernel(Device d, String what, boolean ran) {
        if (ran) {
            NATIVE.computeIfAbsent(d.type() + " " + what, k -> new LongAdder()).increment();
        }
        return ran;
    }

    /** A CPU view over t's current host data (t itself when on the CPU). */
    private static Tensor in(Tensor t) {
        if (t == null || t.storage().device().isCpu()) {
            return t;
        }
        return t.withStorage(Storage.wrap(t.dtype(), t.storage().hostForRead()));
    }

    /** A CPU view over the host data of an output that the host backend will write, placing a fresh CPU output on {@code d}. */
    private static Tensor out(Tensor t, Device d) {
        if (t == null) {
            return null;
        }
        Storage s = t.storage();
        if (s.device().isCpu()) {
            s.adopt(d);
        }
        return t.withStorage(Storage.wrap(t.dtype(), s.hostForWrite()));
    }

    private static void countFallback(Device d, String what) {
        String key = d.type() + " " + what;
        LongAdder c = FALLBACKS.get(key);
        if (c == null) {
            c = FALLBACKS.computeIfAbsent(key, k -> new LongAdder());
            if (c.sum() == 0) {
                LOG.info("graft: no " + d.type() + " kernel for " + what + " yet; it runs on the host (device tensors are "
                        + "read from their host copies, results stay on " + d + "); see docs/ARCHITECTURE.md, Devices");
            }
        }
        c.increment();
    }

    // ------------------------------------------------------------------ primitives

    @Override
    public void unary(UnaryOp op, double p0, double p1, Tensor x, Tensor out) {
        route("unary " + op, () -> host.unary(op, p0, p1, x, out), rt -> rt.unary(op, p0, p1, x, out),
                d -> host.unary(op, p0, p1, in(x), out(out, d)), ins(x), out);
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        route("binary " + op, () -> host.binary(op, a, b, out), rt -> rt.binary(op, a, b, out),
                d -> host.binary(op, in(a), in(b), out(out, d)), ins(a, b), out);
    }

    @Override
    public void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        route("where", () -> host.where(cond, a, b, out), rt -> rt.where(cond, a, b, out),
                d -> host.where(in(cond), in(a), in(b), out(out, d)), ins(cond, a, b), out);
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        Device sd = src.storage().device();
        Device dd = dst.storage().device();
        if (sd.isCpu() && dd.isCpu()) {
            host.copy(src, dst);
            return;
        }
        if (!sd.isCpu() && !dd.isCpu() && !sd.equals(dd)) {
            host.copy(in(src), dst.withStorage(Storage.wrap(dst.dtype(), dst.storage().hostForWrite())));
            return;
        }
        if (dd.isCpu()) {
            if (dst.storage().version() == 0) {
                // a fresh output of an op (clone, contiguous, to(dtype), concat …): it follows its input
                place(sd, dst);
                if (kernel(sd, "copy", Devices.runtime(sd).copy(src, dst))) {
                    return;
                }
                countFallback(sd, "copy");
                host.copy(in(src), out(dst, sd));
            } else {
                host.copy(in(src), dst); // an existing CPU tensor written from a device tensor stays on the CPU
            }
            return;
        }
        if (sd.equals(dd) && kernel(dd, "copy", Devices.runtime(dd).copy(src, dst))) {
            return;
        }
        countFallback(dd, "copy");
        host.copy(in(src), dst.withStorage(Storage.wrap(dst.dtype(), dst.storage().hostForWrite())));
    }

    @Override
    public void fill(Tensor dst, double value) {
        Device d = dst.storage().device();
        if (d.isCpu()) {
            host.fill(dst, value);
            return;
        }
        if (kernel(d, "fill", Devices.runtime(d).fill(dst, value))) {
            return;
        }
        countFallback(d, "fill");
        host.fill(out(dst, d), value);
    }

    @Override
    public void reduce(ReduceOp op, Tensor x, Tensor out, Tensor indices) {
        route("reduce " + op, () -> host.reduce(op, x, out, indices), rt -> rt.reduce(op, x, out, indices),
                d -> host.reduce(op, in(x), out(out, d), out(indices, d)), ins(x), out, indices);
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        Device d = deviceOf("matmul", a, b, out);
        if (d == null) {
            host.matmul(a, b, out);
            return;
        }
        place(d, out);
        if (!a.storage().device().isCpu() && !b.storage().device().isCpu()
                && kernel(d, "matmul " + a.dtype(), Devices.runtime(d).matmul(a, b, out))) {
            return;
        }
        countFallback(d, "matmul " + a.dtype() + (a.storage().device().isCpu() || b.storage().device().isCpu()
                ? " (one operand on the CPU)" : ""));
        host.matmul(in(a), in(b), out(out, d));
    }


    /**
     * Runs {@code cpu} when every tensor is on the CPU; else places the fresh outputs on the device
     * found, tries the runtime's kernel when every input is there too, and otherwise counts a
     * fallback and runs {@code onHost}.
     */
    private static void route(String what, Runnable cpu, java.util.function.Predicate<DeviceRuntime> kernel,
            java.util.function.Consumer<Device> onHost, Tensor[] inputs, Tensor... outputs) {
        Tensor[] all = java.util.Arrays.copyOf(inputs, inputs.length + outputs.length);
        System.arraycopy(outputs, 0, all, inputs.length, outputs.length);
        Device d = deviceOf(what, all);
        if (d == null) {
            cpu.run();
            return;
        }
        place(d, outputs);
        if (allOn(d, all) && kernel(d, what, kernel.test(Devices.runtime(d)))) {
            return;
        }
        countFallback(d, what);
        onHost.accept(d);
    }

    private static Tensor[] ins(Tensor... ts) {
        return ts;
    }

    @Override
    public void unfold2d(Tensor x, int[] g, double padValue, Tensor out) {
        route("unfold2d", () -> host.unfold2d(x, g, padValue, out), rt -> rt.unfold2d(x, g, padValue, out),
                d -> host.unfold2d(in(x), g, padValue, out(out, d)), ins(x), out);
    }

    @Override
    public void fold2d(Tensor cols, int[] g, Tensor out) {
        route("fold2d", () -> host.fold2d(cols, g, out), rt -> rt.fold2d(cols, g, out),
                d -> host.fold2d(in(cols), g, out(out, d)), ins(cols), out);
    }

    @Override
    public void gather(Tensor x, int dim, Tensor index, Tensor out) {
        route("gather", () -> host.gather(x, dim, index, out), rt -> rt.gather(x, dim, index, out),
                d -> host.gather(in(x), dim, in(index), out(out, d)), ins(x, index), out);
    }

    @Override
    public void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        route("scatterAdd", () -> host.scatterAdd(dst, dim, index, src), rt -> rt.scatterAdd(dst, dim, index, src),
                d -> host.scatterAdd(out(dst, d), dim, in(index), in(src)), ins(index, src), dst);
    }

    @Override
    public void indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        route("indexSelect", () -> host.indexSelect(x, dim, index, out), rt -> rt.indexSelect(x, dim, index, out),
                d -> host.indexSelect(in(x), dim, in(index), out(out, d)), ins(x, index), out);
    }

    // No runtime has kernels for these yet: on the host whenever a device tensor is involved.

    @Override
    public void sort(Tensor x, boolean descending, Tensor values, Tensor indices) {
        route("sort", () -> host.sort(x, descending, values, indices), rt -> false,
                d -> host.sort(in(x), descending, out(values, d), out(indices, d)), ins(x), values, indices);
    }

    @Override
    public void cumsum(Tensor x, Tensor out) {
        route("cumsum", () -> host.cumsum(x, out), rt -> false, d -> host.cumsum(in(x), out(out, d)), ins(x), out);
    }
}
