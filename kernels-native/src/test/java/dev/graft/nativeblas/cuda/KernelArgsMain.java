package dev.graft.nativeblas.cuda;

import dev.graft.tensor.DType;
import dev.graft.tensor.Device;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.spi.BinaryOp;
import dev.graft.tensor.spi.ReduceOp;
import dev.graft.tensor.spi.UnaryOp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Run in a child JVM with -Dgraft.sim.devices=1 by {@code CudaKernelsTest} (device tensors switch
 * the whole JVM to device dispatch, which other test classes must not see): the kernel-argument
 * planner on views of the simulated device, with no native call. Prints one line per case and
 * "FAIL" for each failure; exits 1 if any failed.
 */
public final class KernelArgsMain {
    private static final Device SIM = new Device("sim", 0);
    private static final List<String> FAILURES = new ArrayList<>();

    private KernelArgsMain() {
    }

    private static void check(String name, boolean ok, Object detail) {
        System.out.println((ok ? "PASS " : "FAIL ") + name + (ok ? "" : ": " + detail));
        if (!ok) {
            FAILURES.add(name);
        }
    }

    private static int[] shape(KernelArgs a) {
        return Arrays.copyOf(a.shape, a.rank);
    }

    private static int[] strides(KernelArgs a, int k) {
        return Arrays.copyOf(a.operands[k].strides, a.rank);
    }

    private static Tensor dev(DType dt, int... shape) {
        return Tensor.ones(dt, shape).to(SIM);
    }

    public static void main(String[] args) {
        Tensor out45 = dev(DType.FLOAT32, 4, 5);

        KernelArgs a = KernelArgs.elementwise(out45, dev(DType.FLOAT32, 4, 5));
        check("contiguous views merge into one dimension", a != null && a.rank == 1 && a.shape[0] == 20 && a.n == 20
                && a.flags == KernelArgs.CONTIGUOUS && a.operands[1].strides[0] == 1, a == null ? null : Arrays.toString(shape(a)));

        a = KernelArgs.elementwise(out45, dev(DType.FLOAT32, 5, 4).t());
        check("a transposed input keeps two dimensions", a != null && Arrays.equals(shape(a), new int[] {4, 5})
                && Arrays.equals(strides(a, 0), new int[] {5, 1}) && Arrays.equals(strides(a, 1), new int[] {1, 4}) && a.flags == 0,
                a == null ? null : Arrays.toString(strides(a, 1)));

        a = KernelArgs.elementwise(out45, dev(DType.FLOAT32, 1, 5).expand(4, 5));
        check("a broadcast row has stride 0", a != null && Arrays.equals(strides(a, 1), new int[] {0, 1}) && a.flags == 0,
                a == null ? null : Arrays.toString(strides(a, 1)));

        a = KernelArgs.elementwise(dev(DType.FLOAT32, 4, 5, 6), dev(DType.FLOAT32, 1, 5, 6).expand(4, 5, 6));
        check("broadcast over the outer axis merges the inner two", a != null && Arrays.equals(shape(a), new int[] {4, 30})
                && Arrays.equals(strides(a, 1), new int[] {0, 1}) && Arrays.equals(strides(a, 0), new int[] {30, 1}),
                a == null ? null : Arrays.toString(shape(a)) + Arrays.toString(strides(a, 1)));

        Tensor s = Tensor.full(2.5, DType.FLOAT32, 1, 1).expand(4, 5);
        a = KernelArgs.elementwise(out45, s);
        check("a CPU scalar goes by value", a != null && a.operands[1].isScalar() && a.operands[1].value == 2.5
                && a.operands[1].bits == Float.floatToRawIntBits(2.5f) && a.flags == KernelArgs.CONTIGUOUS && a.rank == 1,
                a == null ? null : a.operands[1].value);

        long big = (1L << 60) + 1;
        Tensor si = Tensor.fromArray(new long[] {big}, 1, 1).expand(4, 5);
        a = KernelArgs.elementwise(dev(DType.INT64, 4, 5), si);
        check("an int64 scalar keeps every bit", a != null && a.operands[1].bits == big, a == null ? null : a.operands[1].bits);

        a = KernelArgs.elementwise(out45, dev(DType.FLOAT32, 4, 8).narrow(1, 2, 5));
        check("a narrow view keeps its offset", a != null && a.operands[1].offset == 2 && Arrays.equals(strides(a, 1), new int[] {8, 1}),
                a == null ? null : a.operands[1].offset);

        int[] nine = {2, 2, 2, 2, 2, 2, 2, 2, 2};
        Tensor t9 = dev(DType.FLOAT32, nine).permute(8, 7, 6, 5, 4, 3, 2, 1, 0);
        check("nine dimensions that do not merge are refused", KernelArgs.elementwise(dev(DType.FLOAT32, nine), t9) == null, "planned");
        a = KernelArgs.elementwise(dev(DType.FLOAT32, nine), dev(DType.FLOAT32, nine));
        check("nine contiguous dimensions merge", a != null && a.rank == 1 && a.n == 512, a == null ? null : a.rank);

        check("a CPU input that is not a scalar is refused", KernelArgs.elementwise(out45, Tensor.ones(4, 5)) == null, "planned");
        check("a CPU output is refused", KernelArgs.elementwise(Tensor.ones(4, 5), dev(DType.FLOAT32, 4, 5)) == null, "planned");
        check("shapes that differ are refused", KernelArgs.elementwise(out45, dev(DType.FLOAT32, 5, 4)) == null, "planned");

        a = KernelArgs.elementwise(dev(DType.FLOAT32, 1, 4, 1, 5), dev(DType.FLOAT32, 1, 4, 1, 5));
        check("size-1 dimensions are dropped", a != null && a.rank == 1 && a.shape[0] == 20, a == null ? null : a.rank);
        a = KernelArgs.elementwise(dev(DType.FLOAT32, 1, 1), dev(DType.FLOAT32, 1, 1));
        check("one element: rank 0, contiguous", a != null && a.rank == 0 && a.n == 1 && a.flags == KernelArgs.CONTIGUOUS, a == null ? null : a.rank);
        a = KernelArgs.elementwise(dev(DType.FLOAT32, 0, 5), dev(DType.FLOAT32, 0, 5));
        check("an empty tensor plans nothing to launch", a != null && a.n == 0, a == null ? null : a.n);

        // which calls the kernels take
        Tensor i45 = dev(DType.INT64, 4, 5);
        check("integer DIV by a tensor goes to the host", CudaElementwise.planBinary(BinaryOp.DIV, i45, dev(DType.INT64, 4, 5),
                dev(DType.INT64, 4, 5)) == null, "planned");
        check("integer DIV by a CPU scalar 0 goes to the host", CudaElementwise.planBinary(BinaryOp.DIV, i45,
                Tensor.fromArray(new long[] {0}, 1, 1).expand(4, 5), dev(DType.INT64, 4, 5)) == null, "planned");
        check("integer DIV by a CPU scalar 3 runs", CudaElementwise.planBinary(BinaryOp.DIV, i45,
                Tensor.fromArray(new long[] {3}, 1, 1).expand(4, 5), dev(DType.INT64, 4, 5)) != null, "refused");
        check("integer POW to a negative CPU scalar goes to the host", CudaElementwise.planBinary(BinaryOp.POW, i45,
                Tensor.fromArray(new long[] {-1}, 1, 1).expand(4, 5), dev(DType.INT64, 4, 5)) == null, "planned");
        check("float DIV by a tensor runs", CudaElementwise.planBinary(BinaryOp.DIV, out45, dev(DType.FLOAT32, 4, 5),
                dev(DType.FLOAT32, 4, 5)) != null, "refused");
        KernelArgs lt = CudaElementwise.planBinary(BinaryOp.LT, out45, dev(DType.FLOAT32, 4, 5), dev(DType.BOOL, 4, 5));
        check("a comparison writes bool", lt != null && lt.t0 == DType.BOOL.ordinal() && lt.op == BinaryOp.LT.ordinal(), "refused");
        check("a comparison into float is refused", CudaElementwise.planBinary(BinaryOp.LT, out45, dev(DType.FLOAT32, 4, 5),
                dev(DType.FLOAT32, 4, 5)) == null, "planned");
        check("EXP of integers goes to the host", CudaElementwise.planUnary(UnaryOp.EXP, 0, 0, i45, dev(DType.INT64, 4, 5)) == null, "planned");
        KernelArgs clamp = CudaElementwise.planUnary(UnaryOp.CLAMP, -1, 2, i45, dev(DType.INT64, 4, 5));
        check("CLAMP of integers runs with its bounds", clamp != null && clamp.p0 == -1 && clamp.p1 == 2, "refused");
        check("float16 arithmetic goes to the host", CudaElementwise.planUnary(UnaryOp.NEG, 0, 0, dev(DType.FLOAT16, 4, 5),
                dev(DType.FLOAT16, 4, 5)) == null, "planned");
        Tensor same = dev(DType.FLOAT32, 4, 5);
        check("a copy within one storage goes to the host", CudaElementwise.planCopy(same.t().t(), same) == null, "planned");
        KernelArgs cv = CudaElementwise.planCopy(dev(DType.FLOAT16, 4, 5), out45);
        check("a float16 -> float32 copy converts", cv != null && cv.t0 == DType.FLOAT32.ordinal() && cv.t1 == DType.FLOAT16.ordinal(), "refused");
        KernelArgs w = CudaElementwise.planWhere(dev(DType.BOOL, 4, 5), out45, Tensor.full(-1, DType.FLOAT32, 1, 1).expand(4, 5), out45);
        check("where takes a CPU scalar branch", w != null && w.operands.length == 4 && w.operands[3].isScalar(), "refused");
        check("where with a float condition is refused", CudaElementwise.planWhere(out45, out45, out45, dev(DType.FLOAT32, 4, 5)) == null,
                "planned");

        // fills carry the converted value's bits
        Object[][] fills = {{DType.INT32, 3.7, 3L}, {DType.INT32, -3.7, -3L}, {DType.BOOL, Double.NaN, 1L}, {DType.UINT8, 300.0, 44L},
            {DType.FLOAT16, 1.0, 0x3c00L}, {DType.BFLOAT16, 1.0, 0x3f80L}, {DType.FLOAT32, 1.0, (long) Float.floatToRawIntBits(1f)},
            {DType.FLOAT64, -2.0, Double.doubleToRawLongBits(-2.0)}, {DType.INT64, 1e30, Long.MAX_VALUE}};
        for (Object[] f : fills) {
            DType dt = (DType) f[0];
            KernelArgs fa = CudaElementwise.planFill(dev(dt, 3, 4).narrow(1, 1, 2), (double) f[1]);
            check("fill " + dt + " with " + f[1], fa != null && fa.operands.length == 2 && fa.operands[1].isScalar()
                    && fa.operands[1].bits == (long) f[2] && fa.operands[0].offset == 1, fa == null ? null : fa.operands[1].bits);
        }

        // reductions
        KernelArgs r = CudaElementwise.planReduce(ReduceOp.MAX, dev(DType.FLOAT32, 5, 1000, 1), dev(DType.FLOAT32, 5, 1),
                dev(DType.INT64, 5, 1));
        check("a long reduction over the last axis takes a block per output", r != null && r.flags == KernelArgs.BLOCK_PER_OUTPUT
                && r.grid() == 5 && r.n == 5 && !r.operands[2].isScalar(), r == null ? null : r.flags);
        r = CudaElementwise.planReduce(ReduceOp.SUM, dev(DType.FLOAT64, 4, 33, 7).transpose(0, 0), dev(DType.FLOAT64, 4, 7), null);
        check("a short reduction takes a thread per output", r != null && r.flags == 0 && r.grid() == 1 && r.n == 28
                && Arrays.equals(strides(r, 1), new int[] {231, 7, 1}) && r.operands[2].isScalar(), r == null ? null : r.flags);
        check("int32 indices are refused", CudaElementwise.planReduce(ReduceOp.MAX, dev(DType.FLOAT32, 5, 10, 1), dev(DType.FLOAT32, 5, 1),
                dev(DType.INT32, 5, 1)) == null, "planned");
        check("a float16 reduction goes to the host", CudaElementwise.planReduce(ReduceOp.SUM, dev(DType.FLOAT16, 5, 10, 1),
                dev(DType.FLOAT16, 5, 1), null) == null, "planned");

        // the packed struct
        a = KernelArgs.elementwise(out45, dev(DType.FLOAT64, 5, 8).narrow(1, 3, 4).t(), s);
        boolean packed;
        String detail;
        try (Arena arena = Arena.ofConfined()) {
            a.op = 7;
            a.p0 = 0.5;
            a.p1 = -1;
            a.t0 = 3;
            a.t1 = 1;
            MemorySegment seg = arena.allocate(KernelArgs.SIZE, 16);
            a.pack(seg, new long[] {0x10000, 0x20000, 0});
            ValueLayout.OfInt i32 = ValueLayout.JAVA_INT;
            ValueLayout.OfLong i64 = ValueLayout.JAVA_LONG;
            long op1 = KernelArgs.OPERANDS_AT + KernelArgs.OPERAND_SIZE;
            long op2 = op1 + KernelArgs.OPERAND_SIZE;
            packed = seg.get(i32, 0) == 2 && seg.get(i32, 4) == 20 && seg.get(i32, 8) == 7 && seg.get(i32, 12) == 0
                    && seg.get(i32, KernelArgs.SHAPE_AT) == 4 && seg.get(i32, KernelArgs.SHAPE_AT + 4) == 5
                    && seg.get(ValueLayout.JAVA_DOUBLE, KernelArgs.P0_AT) == 0.5 && seg.get(ValueLayout.JAVA_DOUBLE, KernelArgs.P0_AT + 8) == -1
                    && seg.get(i32, KernelArgs.T0_AT) == 3 && seg.get(i32, KernelArgs.T0_AT + 4) == 1
                    && seg.get(i64, KernelArgs.OPERANDS_AT) == 0x10000
                    && seg.get(i64, op1) == 0x20000 + 3 * 8 // offset 3 float64 elements
                    && seg.get(i32, op1 + KernelArgs.OPERAND_STRIDE_AT) == 1 && seg.get(i32, op1 + KernelArgs.OPERAND_STRIDE_AT + 4) == 8
                    && seg.get(i64, op2) == 0 && seg.get(ValueLayout.JAVA_DOUBLE, op2 + 8) == 2.5
                    && seg.get(i32, op2 + KernelArgs.OPERAND_STRIDE_AT) == 0 && KernelArgs.SIZE == 296;
            detail = "rank " + seg.get(i32, 0) + ", ptr1 " + Long.toHexString(seg.get(i64, op1));
            boolean refused;
            try {
                a.pack(seg, new long[] {0x10000, 0, 0});
                refused = false;
            } catch (IllegalArgumentException e) {
                refused = true;
            }
            packed &= refused;
        }
        check("struct Args is packed at the offsets the kernels read", packed, detail);

        check("a non-CUDA device is left to its own runtime", !CudaElementwise.unary(UnaryOp.NEG, 0, 0, out45, dev(DType.FLOAT32, 4, 5)),
                "ran");

        System.out.println(FAILURES.isEmpty() ? "all passed" : FAILURES.size() + " failed: " + FAILURES);
        System.exit(FAILURES.isEmpty() ? 0 : 1);
    }
}
