package dev.graft.nativeblas.cuda;

import dev.graft.tensor.DType;
import dev.graft.tensor.Device;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.spi.BinaryOp;
import dev.graft.tensor.spi.DeviceMemory;
import dev.graft.tensor.spi.ReduceOp;
import dev.graft.tensor.spi.UnaryOp;

import java.lang.ref.Reference;

/**
 * The elementwise primitives, copies, fills and reductions of {@link CudaDeviceRuntime} on Graft's
 * own kernels ({@link CudaKernels}). Each method decides in Java, before touching anything, whether
 * the kernels take the call (dtypes, views, CPU scalars: {@link KernelArgs}); if not, or if the
 * kernels are off or could not be built on this device, it returns false and the primitive runs
 * on the host.
 *
 * <p>What goes to the host: {@code -Dgraft.cuda.kernels=false}; float16/bfloat16 arithmetic (copies,
 * fills and where take them); integer DIV and POW unless the divisor/exponent is a CPU scalar that
 * is nonzero/non-negative (the reference throws for the others); views with more than
 * {@value KernelArgs#MAX_RANK} dimensions after merging; copies within one storage.
 */
final class CudaElementwise {
    /** {@value}: set to false to run every elementwise primitive of CUDA tensors on the host. */
    static final String PROPERTY = "graft.cuda.kernels";

    private CudaElementwise() {
    }

    /** One phrase for {@code graft doctor}: on, off, or why the kernels could not be built. */
    static String status() {
        if (!enabled()) {
            return "off (-D" + PROPERTY + "=false), on the host copy";
        }
        String built = CudaKernels.describeBuilt();
        if (built != null) {
            return built;
        }
        CudaKernels.Toolchain tc = CudaKernels.toolchain();
        return tc.reason() != null ? "on the host copy (" + tc.reason() + ")"
                : "NVRTC kernels (" + tc.nvrtc().location + "), compiled on a device's first use; -D" + PROPERTY + "=false runs them on the host";
    }

    static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true"));
    }

    /** The plan for {@link dev.graft.tensor.spi.Backend#unary}, or null when the kernels do not take it. */
    static KernelArgs planUnary(UnaryOp op, double p0, double p1, Tensor x, Tensor out) {
        DType dt = out.dtype();
        if (x.dtype() != dt || KernelArgs.suffix(dt) == null || (dt.isIntegral() && !op.integerClosed())) {
            return null;
        }
        KernelArgs a = KernelArgs.elementwise(out, x);
        if (a != null) {
            a.op = op.ordinal();
            a.p0 = p0;
            a.p1 = p1;
            a.t0 = dt.ordinal();
            a.t1 = dt.ordinal();
        }
        return a;
    }

    /** The plan for {@link dev.graft.tensor.spi.Backend#binary}, or null. */
    static KernelArgs planBinary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        DType dt = a.dtype();
        if (b.dtype() != dt || KernelArgs.suffix(dt) == null || out.dtype() != (op.isPredicate() ? DType.BOOL : dt)) {
            return null;
        }
        if (dt.isIntegral() && (op == BinaryOp.DIV || op == BinaryOp.POW)) {
            // the reference throws for a zero divisor or a negative exponent: only a CPU scalar that cannot is taken
            if (!KernelArgs.isCpuScalar(b)) {
                return null;
            }
            long v = b.storage().getLong(b.offset());
            if (op == BinaryOp.DIV ? v == 0 : v < 0) {
                return null;
            }
        }
        KernelArgs k = KernelArgs.elementwise(out, a, b);
        if (k != null) {
            k.op = op.ordinal();
            k.t0 = out.dtype().ordinal();
            k.t1 = dt.ordinal();
        }
        return k;
    }

    /** The plan for {@link dev.graft.tensor.spi.Backend#where}, or null. */
    static KernelArgs planWhere(Tensor cond, Tensor a, Tensor b, Tensor out) {
        DType dt = out.dtype();
        if (cond.dtype() != DType.BOOL || a.dtype() != dt || b.dtype() != dt) {
            return null;
        }
        KernelArgs k = KernelArgs.elementwise(out, cond, a, b);
        if (k != null) {
            k.t0 = dt.ordinal();
        }
        return k;
    }

    /** The plan for {@link dev.graft.tensor.spi.Backend#copy}, or null (also for a copy within one storage). */
    static KernelArgs planCopy(Tensor src, Tensor dst) {
        if (src.storage() == dst.storage()) {
            return null;
        }
        KernelArgs k = KernelArgs.elementwise(dst, src);
        if (k != null) {
            k.t0 = dst.dtype().ordinal();
            k.t1 = src.dtype().ordinal();
        }
        return k;
    }

    /** The plan for {@link dev.graft.tensor.spi.Backend#fill}: a move of the converted value's bits. */
    static KernelArgs planFill(Tensor dst, double value) {
        KernelArgs k = KernelArgs.elementwise(dst);
        if (k == null) {
            return null;
        }
        k.t0 = dst.dtype().ordinal();
        return k.withValue(KernelArgs.fillBits(dst.dtype(), value));
    }

    /** The plan for {@link dev.graft.tensor.spi.Backend#reduce}, or null. */
    static KernelArgs planReduce(ReduceOp op, Tensor x, Tensor out, Tensor indices) {
        DType dt = x.dtype();
        if (KernelArgs.suffix(dt) == null || KernelArgs.suffix(out.dtype()) == null) {
            return null;
        }
        KernelArgs k = KernelArgs.reduce(op, x, out, indices);
        if (k != null) {
            k.t0 = out.dtype().ordinal();
            k.t1 = dt.ordinal();
        }
        return k;
    }

    static boolean unary(UnaryOp op, double p0, double p1, Tensor x, Tensor out) {
        return enabled() && run("unary_" + KernelArgs.suffix(out.dtype()), planUnary(op, p0, p1, x, out));
    }

    static boolean binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        return enabled() && run("binary_" + KernelArgs.suffix(a.dtype()), planBinary(op, a, b, out));
    }

    static boolean where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        return enabled() && run("where_" + out.dtype().byteSize(), planWhere(cond, a, b, out));
    }

    static boolean copy(Tensor src, Tensor dst) {
        return enabled() && run(src.dtype() == dst.dtype() ? "move_" + dst.dtype().byteSize() : "convert", planCopy(src, dst));
    }

    static boolean fill(Tensor dst, double value) {
        return enabled() && run("move_" + dst.dtype().byteSize(), planFill(dst, value));
    }

    static boolean reduce(ReduceOp op, Tensor x, Tensor out, Tensor indices) {
        return enabled() && run("reduce_" + KernelArgs.suffix(x.dtype()), planReduce(op, x, out, indices));
    }

    /** Whether {@code m} is CUDA memory of {@code ctx} holding at least {@code elements}. */
    private static CudaMemory ours(DeviceMemory m, CudaDeviceContext ctx, long elements) {
        return m instanceof CudaMemory cm && cm.context() == ctx && cm.length() >= elements ? cm : null;
    }

    /**
     * Launches the plan: every view operand must be on the output's CUDA device; inputs are read
     * through deviceForRead, outputs written through deviceForWrite (overwriteAll only for an
     * output the kernel does not read that covers its whole storage). False, with nothing written,
     * when there is no plan, an operand is elsewhere, or the kernels are unavailable on the device.
     */
    static boolean run(String kernel, KernelArgs args) {
        if (args == null) {
            return false;
        }
        Tensor out = args.operands[0].tensor;
        Device d = out.storage().device();
        if (!"cuda".equals(d.type())) {
            return false;
        }
        for (KernelArgs.Operand o : args.operands) {
            if (o.tensor != null && !o.tensor.storage().device().equals(d)) {
                return false;
            }
        }
        CudaDeviceContext ctx = CudaDeviceContext.of(d.index());
        CudaKernels kernels = CudaKernels.of(ctx);
        if (kernels == null) {
            return false;
        }
        if (args.n == 0) {
            return true;
        }
        int count = args.operands.length;
        CudaMemory[] mem = new CudaMemory[count];
        for (int k = 0; k < count; k++) { // inputs first: nothing is marked written until all are ours
            KernelArgs.Operand o = args.operands[k];
            if (o.tensor != null && !o.output) {
                mem[k] = ours(o.tensor.storage().deviceForRead(), ctx, o.tensor.storage().length());
                if (mem[k] == null) {
                    return false;
                }
            }
        }
        for (int k = 0; k < count; k++) {
            KernelArgs.Operand o = args.operands[k];
            if (o.tensor != null && o.output) {
                Tensor t = o.tensor;
                boolean whole = !o.updated && t.isContiguous() && t.offset() == 0 && (long) t.numel() == t.storage().length();
                mem[k] = ours(t.storage().deviceForWrite(whole), ctx, t.storage().length());
                if (mem[k] == null) {
                    throw new IllegalStateException(kernel + ": an output's device memory on " + d + " was not made by the CUDA runtime");
                }
            }
        }
        int previous = ctx.enter();
        try {
            long[] base = new long[count];
            for (int k = 0; k < count; k++) {
                base[k] = mem[k] == null ? 0 : mem[k].addressLocked(0, kernel);
            }
            kernels.launchLocked(kernel, args, base);
            return true;
        } finally {
            ctx.exit(previous);
            Reference.reachabilityFence(mem);
        }
    }
}
