package dev.graft.nativeblas.cuda;

import dev.graft.tensor.DType;
import dev.graft.tensor.Storage;
import dev.graft.tensor.Tensor;

/**
 * The convolution and indexing primitives of {@link CudaDeviceRuntime} on Graft's own kernels
 * ({@link CudaKernels}): unfold2d (im2col) and fold2d (col2im), gather, indexSelect and scatterAdd.
 * As in {@link CudaElementwise}, each method plans in Java ({@link KernelArgs}) before touching
 * anything and returns false, leaving the primitive to the host, when the kernels do not take the
 * call or are unavailable.
 *
 * <p>What the kernels take: unfold2d, gather and indexSelect move elements of any dtype (by size,
 * so every bit survives; the padding value is converted as the reference does, through
 * {@code setLong} for integers); fold2d float32/float64, each output element adding the taps that
 * land on it in the reference's order (no atomics: the same bits on every run); scatterAdd
 * float32/float64/int64/int32 with atomic adds, so where indices repeat the order of a float sum,
 * hence its last bits, may vary from run to run (integers wrap and are exact). Indices are int64,
 * contiguous and on the device, their values checked by the caller. Outputs of unfold2d, gather
 * and indexSelect are contiguous; inputs may be any view inside its storage; at most
 * {@value KernelArgs#MAX_RANK} dimensions; at most {@link Integer#MAX_VALUE} threads.
 */
final class CudaIndexing {
    private CudaIndexing() {
    }

    /** The element bits of {@code padValue} in {@code dt}, converted as ScalarBackend.unfold2d does. */
    static long padBits(DType dt, double padValue) {
        Storage one = Storage.allocate(dt, 1);
        if (dt.isIntegral()) {
            one.setLong(0, (long) padValue);
        } else {
            one.setDouble(0, padValue);
        }
        return KernelArgs.bitsOf(one, 0);
    }

    /** The plan for {@link dev.graft.tensor.spi.Backend#unfold2d}, or null. */
    static KernelArgs planUnfold2d(Tensor x, int[] g, double padValue, Tensor out) {
        return KernelArgs.unfold2d(x, g, padBits(x.dtype(), padValue), out);
    }

    /** The plan for {@link dev.graft.tensor.spi.Backend#fold2d} (float32/float64), or null. */
    static KernelArgs planFold2d(Tensor cols, int[] g, Tensor out) {
        DType dt = out.dtype();
        return dt == DType.FLOAT32 || dt == DType.FLOAT64 ? KernelArgs.fold2d(cols, g, out) : null;
    }

    /** The plan for {@link dev.graft.tensor.spi.Backend#gather}, or null. */
    static KernelArgs planGather(Tensor x, int dim, Tensor index, Tensor out) {
        return KernelArgs.take(x, dim, index, out, false);
    }

    /** The plan for {@link dev.graft.tensor.spi.Backend#indexSelect}, or null. */
    static KernelArgs planIndexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        return KernelArgs.take(x, dim, index, out, true);
    }

    /** The plan for {@link dev.graft.tensor.spi.Backend#scatterAdd} (float32/float64/int64/int32), or null. */
    static KernelArgs planScatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        return scatterSuffix(dst.dtype()) == null ? null : KernelArgs.scatterAdd(dst, dim, index, src);
    }

    /** The suffix of the scatter_add kernel for {@code dt}, or null. */
    static String scatterSuffix(DType dt) {
        return switch (dt) {
            case FLOAT32, FLOAT64, INT64, INT32 -> KernelArgs.suffix(dt);
            default -> null;
        };
    }

    static boolean unfold2d(Tensor x, int[] g, double padValue, Tensor out) {
        return CudaElementwise.enabled() && CudaElementwise.run("unfold_" + out.dtype().byteSize(), planUnfold2d(x, g, padValue, out));
    }

    static boolean fold2d(Tensor cols, int[] g, Tensor out) {
        return CudaElementwise.enabled() && CudaElementwise.run("fold_" + KernelArgs.suffix(out.dtype()), planFold2d(cols, g, out));
    }

    static boolean gather(Tensor x, int dim, Tensor index, Tensor out) {
        return CudaElementwise.enabled() && CudaElementwise.run("take_" + out.dtype().byteSize(), planGather(x, dim, index, out));
    }

    static boolean indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        return CudaElementwise.enabled() && CudaElementwise.run("take_" + out.dtype().byteSize(), planIndexSelect(x, dim, index, out));
    }

    static boolean scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        return CudaElementwise.enabled() && CudaElementwise.run("scatter_add_" + scatterSuffix(dst.dtype()), planScatterAdd(dst, dim, index, src));
    }
}
