package dev.graft.nativeblas.cuda;

import dev.graft.tensor.DType;
import dev.graft.tensor.Device;
import dev.graft.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Run in a child JVM with -Dgraft.sim.devices=1 by {@code CudaKernelsTest}: the plans of the
 * convolution and indexing kernels ({@link CudaIndexing}) on views of the simulated device, with
 * no native call: what goes where in struct Args, and what is refused (left to the host). Prints
 * one line per case and "FAIL" for each failure; exits 1 if any failed.
 */
public final class IndexArgsMain {
    private static final Device SIM = new Device("sim", 0);
    private static final List<String> FAILURES = new ArrayList<>();
    private static final int[] G = {3, 2, 2, 1, 1, 0, 2, 1};

    private IndexArgsMain() {
    }

    private static void check(String name, boolean ok, Object detail) {
        System.out.println((ok ? "PASS " : "FAIL ") + name + (ok ? "" : ": " + detail));
        if (!ok) {
            FAILURES.add(name);
        }
    }

    private static Tensor dev(DType dt, int... shape) {
        return Tensor.ones(dt, shape).to(SIM);
    }

    private static Tensor index(int... shape) {
        return dev(DType.INT64, shape);
    }

    private static int[] ints(int[] a, int n) {
        return Arrays.copyOf(a, n);
    }

    public static void main(String[] args) {
        convolution();
        gatherAndSelect();
        scatter();
        System.out.println(FAILURES.isEmpty() ? "all passed" : FAILURES.size() + " failed: " + FAILURES);
        System.exit(FAILURES.isEmpty() ? 0 : 1);
    }

    private static void convolution() {
        Tensor x = dev(DType.FLOAT32, 2, 3, 9, 7).transpose(2, 3); // [2, 3, 7, 9], strides of [2, 3, 9, 7]
        Tensor cols = dev(DType.FLOAT32, 2, 3, 6, 3, 9);
        KernelArgs a = CudaIndexing.planUnfold2d(x, G, -2.5, cols);
        check("unfold2d: shape N C H W OH OW KH KW, x's strides, geometry and padding in operand 2", a != null
                && Arrays.equals(a.shape, new int[] {2, 3, 7, 9, 3, 9, 3, 2}) && a.n == 2 * 3 * 6 * 3 * 9
                && Arrays.equals(ints(a.operands[1].strides, 4), new int[] {189, 63, 1, 7})
                && Arrays.equals(ints(a.operands[2].strides, 6), new int[] {2, 1, 1, 0, 2, 1})
                && a.operands[2].bits == (Float.floatToRawIntBits(-2.5f) & 0xFFFFFFFFL) && a.operands[2].isScalar() && !a.operands[0].updated,
                a == null ? null : Arrays.toString(a.shape));
        check("unfold2d pads integers through setLong, as the reference",
                CudaIndexing.padBits(DType.INT32, Long.MIN_VALUE) == 0 && CudaIndexing.padBits(DType.UINT8, -7) == 249
                        && CudaIndexing.padBits(DType.INT64, Long.MIN_VALUE) == Long.MIN_VALUE
                        && CudaIndexing.padBits(DType.FLOAT16, Double.NEGATIVE_INFINITY) == 0xfc00L,
                CudaIndexing.padBits(DType.UINT8, -7));
        check("unfold2d moves any dtype", CudaIndexing.planUnfold2d(dev(DType.BFLOAT16, 2, 3, 7, 9), G, 0, dev(DType.BFLOAT16, 2, 3, 6, 3, 9))
                != null, "refused");
        check("unfold2d into a strided output is refused", CudaIndexing.planUnfold2d(x, G, 0,
                dev(DType.FLOAT32, 2, 3, 6, 9, 3).transpose(3, 4)) == null, "planned");
        check("unfold2d with kh*kw that differs from the output is refused", CudaIndexing.planUnfold2d(x, G, 0,
                dev(DType.FLOAT32, 2, 3, 4, 3, 9)) == null, "planned");
        check("unfold2d with a zero stride is refused", CudaIndexing.planUnfold2d(x, new int[] {3, 2, 0, 1, 1, 0, 2, 1}, 0, cols) == null,
                "planned");
        check("unfold2d with a short geometry is refused", CudaIndexing.planUnfold2d(x, new int[] {3, 2}, 0, cols) == null, "planned");
        check("unfold2d across dtypes is refused", CudaIndexing.planUnfold2d(x, G, 0, dev(DType.FLOAT64, 2, 3, 6, 3, 9)) == null, "planned");
        check("unfold2d of a CPU input is refused", CudaIndexing.planUnfold2d(Tensor.ones(2, 3, 7, 9), G, 0, cols) == null, "planned");
        check("unfold2d within one storage is refused", CudaIndexing.planUnfold2d(cols.reshape(2, 3, 18, 9).narrow(2, 0, 7), G, 0,
                cols) == null, "planned");

        Tensor out = dev(DType.FLOAT64, 2, 3, 7, 9);
        Tensor c64 = dev(DType.FLOAT64, 2, 3, 3, 9, 6).permute(0, 1, 4, 2, 3); // [2, 3, 6, 3, 9], strided
        a = CudaIndexing.planFold2d(c64, G, out);
        check("fold2d: out is read and written, cols strided, one thread per output", a != null && a.operands[0].updated
                && a.operands[0].output && a.n == 2 * 3 * 7 * 9 && Arrays.equals(ints(a.operands[1].strides, 5), new int[] {486, 162, 1, 54, 6})
                && a.grid() == (a.n + KernelArgs.BLOCK - 1) / KernelArgs.BLOCK, a == null ? null : Arrays.toString(a.operands[1].strides));
        check("fold2d of int64 goes to the host", CudaIndexing.planFold2d(dev(DType.INT64, 2, 3, 6, 3, 9), G, dev(DType.INT64, 2, 3, 7, 9))
                == null, "planned");
        check("fold2d into a transposed output is refused", CudaIndexing.planFold2d(c64, G, dev(DType.FLOAT64, 2, 3, 9, 7).transpose(2, 3))
                == null, "planned");
        check("fold2d with a batch that differs is refused", CudaIndexing.planFold2d(c64, G, dev(DType.FLOAT64, 1, 3, 7, 9)) == null,
                "planned");
        check("fold2d of an empty batch plans nothing to launch", CudaIndexing.planFold2d(dev(DType.FLOAT32, 0, 3, 6, 3, 9), G,
                dev(DType.FLOAT32, 0, 3, 7, 9)) instanceof KernelArgs p && p.n == 0, "refused");

        // the geometry operand is packed like any other: no pointer, the ints in its stride slots, the padding bits by value
        boolean packed;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(KernelArgs.SIZE, 16);
            KernelArgs u = CudaIndexing.planUnfold2d(x, G, -2.5, cols);
            u.pack(seg, new long[] {0x10000, 0x20000, 0});
            long op2 = KernelArgs.OPERANDS_AT + 2L * KernelArgs.OPERAND_SIZE;
            packed = seg.get(ValueLayout.JAVA_INT, 0) == 8 && seg.get(ValueLayout.JAVA_INT, KernelArgs.SHAPE_AT + 4 * 7) == 2
                    && seg.get(ValueLayout.JAVA_LONG, op2) == 0 && seg.get(ValueLayout.JAVA_LONG, op2 + 16) == (Float.floatToRawIntBits(-2.5f) & 0xFFFFFFFFL)
                    && seg.get(ValueLayout.JAVA_INT, op2 + KernelArgs.OPERAND_STRIDE_AT) == 2
                    && seg.get(ValueLayout.JAVA_INT, op2 + KernelArgs.OPERAND_STRIDE_AT + 4 * 4) == 2;
        }
        check("the unfold2d plan packs shape and geometry where the kernel reads them", packed, "misplaced");
    }

    private static void gatherAndSelect() {
        Tensor x = dev(DType.FLOAT32, 6, 7, 5).transpose(0, 2); // [5, 7, 6]
        KernelArgs a = CudaIndexing.planGather(x, 1, index(4, 9, 5), dev(DType.FLOAT32, 4, 9, 5));
        check("gather: index's shape, x's strides, the dim in op, index read at i", a != null && a.rank == 3
                && Arrays.equals(ints(a.shape, 3), new int[] {4, 9, 5}) && Arrays.equals(ints(a.operands[1].strides, 3), new int[] {1, 5, 35})
                && a.op == 1 && a.flags == 0 && a.n == 180, a == null ? null : Arrays.toString(a.shape));
        check("gather with an index larger than x off its dim is refused", CudaIndexing.planGather(x, 1, index(6, 9, 5),
                dev(DType.FLOAT32, 6, 9, 5)) == null, "planned");
        check("gather with an int32 index is refused", CudaIndexing.planGather(x, 1, dev(DType.INT32, 4, 9, 5),
                dev(DType.FLOAT32, 4, 9, 5)) == null, "planned");
        check("gather with a strided index is refused", CudaIndexing.planGather(x, 1, index(5, 9, 4).transpose(0, 2),
                dev(DType.FLOAT32, 4, 9, 5)) == null, "planned");
        check("gather with a CPU index is refused", CudaIndexing.planGather(x, 1, Tensor.zeros(DType.INT64, 4, 9, 5),
                dev(DType.FLOAT32, 4, 9, 5)) == null, "planned");
        check("gather into a strided output is refused", CudaIndexing.planGather(x, 1, index(4, 9, 5),
                dev(DType.FLOAT32, 5, 9, 4).transpose(0, 2)) == null, "planned");
        check("gather along a dim out of range is refused", CudaIndexing.planGather(x, 3, index(4, 9, 5), dev(DType.FLOAT32, 4, 9, 5))
                == null, "planned");
        int[] nine = {1, 1, 1, 1, 1, 1, 1, 1, 2};
        check("gather of nine dimensions is refused", CudaIndexing.planGather(dev(DType.FLOAT32, nine), 8, index(nine),
                dev(DType.FLOAT32, nine)) == null, "planned");
        check("gather of a bool moves bytes", CudaIndexing.planGather(dev(DType.BOOL, 5, 7, 6), 0, index(9, 7, 6), dev(DType.BOOL, 9, 7, 6))
                != null, "refused");

        a = CudaIndexing.planIndexSelect(x, 2, index(11), dev(DType.FLOAT32, 5, 7, 11));
        check("indexSelect: out's shape, index read at the coordinate along dim", a != null && a.flags == KernelArgs.BY_POSITION
                && a.op == 2 && Arrays.equals(ints(a.shape, 3), new int[] {5, 7, 11}), a == null ? null : a.flags);
        check("indexSelect with an index of another length is refused", CudaIndexing.planIndexSelect(x, 2, index(10),
                dev(DType.FLOAT32, 5, 7, 11)) == null, "planned");
        check("indexSelect with a 2-D index is refused", CudaIndexing.planIndexSelect(x, 2, index(11, 1), dev(DType.FLOAT32, 5, 7, 11))
                == null, "planned");
        check("indexSelect with an empty index plans nothing to launch", CudaIndexing.planIndexSelect(x, 0, index(0),
                dev(DType.FLOAT32, 0, 7, 6)) instanceof KernelArgs p && p.n == 0, "refused");
    }

    private static void scatter() {
        Tensor dst = dev(DType.FLOAT64, 5, 7, 6);
        Tensor src = dev(DType.FLOAT64, 9, 8, 5).narrow(1, 1, 7); // larger than the index: allowed
        KernelArgs a = CudaIndexing.planScatterAdd(dst, 0, index(9, 6, 5), src);
        check("scatterAdd: index's shape, dst read and written with its strides, src's strides", a != null && a.operands[0].updated
                && Arrays.equals(ints(a.operands[0].strides, 3), new int[] {42, 6, 1})
                && Arrays.equals(ints(a.operands[1].strides, 3), new int[] {40, 5, 1}) && a.operands[1].offset == 5
                && Arrays.equals(ints(a.shape, 3), new int[] {9, 6, 5}) && a.op == 0 && a.n == 270, a == null ? null : Arrays.toString(a.shape));
        check("scatterAdd of int32 runs", CudaIndexing.planScatterAdd(dev(DType.INT32, 5, 7, 6), 2, index(4, 6, 9),
                dev(DType.INT32, 4, 6, 9)) != null, "refused");
        check("scatterAdd of uint8 goes to the host", CudaIndexing.planScatterAdd(dev(DType.UINT8, 5, 7, 6), 2, index(4, 6, 9),
                dev(DType.UINT8, 4, 6, 9)) == null, "planned");
        check("scatterAdd with an index larger than src is refused", CudaIndexing.planScatterAdd(dst, 0, index(10, 6, 5), src) == null,
                "planned");
        check("scatterAdd with an index larger than dst off its dim is refused", CudaIndexing.planScatterAdd(dst, 0, index(9, 8, 5),
                dev(DType.FLOAT64, 9, 8, 5)) == null, "planned");
        check("scatterAdd from its own storage is refused", CudaIndexing.planScatterAdd(dst, 0, index(2, 7, 6), dst.narrow(0, 1, 2))
                == null, "planned");
        check("scatterAdd across dtypes is refused", CudaIndexing.planScatterAdd(dst, 0, index(2, 7, 6), dev(DType.FLOAT32, 2, 7, 6))
                == null, "planned");
        check("a non-CUDA device is left to its own runtime", !CudaIndexing.scatterAdd(dst, 0, index(2, 7, 6), dev(DType.FLOAT64, 2, 7, 6)),
                "ran");
    }
}
