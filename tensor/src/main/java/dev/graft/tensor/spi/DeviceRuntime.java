package dev.graft.tensor.spi;

import dev.graft.tensor.DType;
import dev.graft.tensor.Device;
import dev.graft.tensor.Tensor;

/**
 * A kind of accelerator ({@link Device#type()}, e.g. {@code "cuda"}), found with
 * {@link java.util.ServiceLoader}: {@code kernels-native} provides CUDA. The tensor core asks a
 * runtime for memory and for the few primitives it runs natively; every other primitive on a
 * device tensor runs on the host copy (see {@link dev.graft.tensor.DeviceDispatch}).
 *
 * <p>Implementations must be cheap to construct: availability is probed lazily by
 * {@link #available()}, never in the constructor, so that a machine without the native libraries
 * loads the service without error.
 */
public interface DeviceRuntime {
    /** The device type this runtime serves, as in {@link Device#type()}. */
    String type();

    /** Whether at least one device of this type can be used here. */
    boolean available();

    /** Why {@link #available()} is false (library not found, no device, driver too old …); empty when available. */
    String unavailableReason();

    /** Devices of this type present (0 when unavailable). */
    int deviceCount();

    /** New memory for {@code length} elements of {@code dtype} on {@code device}; contents undefined. */
    DeviceMemory allocate(Device device, DType dtype, long length);

    /**
     * {@code out = a · b} on the device, under {@link Backend#matmul}'s contract (a [..., M, K],
     * b [..., K, N], out [..., M, N] contiguous, one or more batch axes; all three on one device
     * of this type). The runtime
     * reads its operands through {@link dev.graft.tensor.Storage#deviceForRead()} and writes through
     * {@link dev.graft.tensor.Storage#deviceForWrite(boolean)}. Returns false, having touched
     * nothing, when it has no kernel for these dtypes or layouts; the caller then runs it on the host.
     */
    boolean matmul(Tensor a, Tensor b, Tensor out);

    // Optional device kernels for the other primitives. Each follows the matching Backend
    // method's contract; the dispatcher calls it only when every tensor argument is on one device
    // of this type (fresh outputs already placed there), except that an input may be a CPU scalar:
    // a CPU tensor whose storage holds one element, usually seen through a broadcast view (all
    // strides 0), as in x.mul(2); read it with storage().getDouble(offset()) and pass it by value.
    // Outputs are written through Storage.deviceForWrite(overwriteAll), overwriteAll only when the
    // output is contiguous and covers its whole storage. Returning false, having touched nothing,
    // sends the primitive to the host; these defaults do that for everything.

    /** {@link Backend#unary} on the device, or false. */
    default boolean unary(UnaryOp op, double p0, double p1, Tensor x, Tensor out) {
        return false;
    }

    /** {@link Backend#binary} on the device, or false. */
    default boolean binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        return false;
    }

    /** {@link Backend#where} on the device, or false. */
    default boolean where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        return false;
    }

    /** {@link Backend#copy} between two tensors on the device (dst may be a view), or false. */
    default boolean copy(Tensor src, Tensor dst) {
        return false;
    }

    /** {@link Backend#fill} on the device (dst may be a view), or false. */
    default boolean fill(Tensor dst, double value) {
        return false;
    }

    /** {@link Backend#reduce} on the device, or false. */
    default boolean reduce(ReduceOp op, Tensor x, Tensor out, Tensor indices) {
        return false;
    }

    /** {@link Backend#unfold2d} (im2col) on the device, or false. */
    default boolean unfold2d(Tensor x, int[] g, double padValue, Tensor out) {
        return false;
    }

    /** {@link Backend#fold2d} (col2im, accumulating into out, which starts zeroed) on the device, or false. */
    default boolean fold2d(Tensor cols, int[] g, Tensor out) {
        return false;
    }

    /** {@link Backend#gather} on the device, or false. */
    default boolean gather(Tensor x, int dim, Tensor index, Tensor out) {
        return false;
    }

    /** {@link Backend#scatterAdd} on the device (dst is read and written), or false. */
    default boolean scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        return false;
    }

    /** {@link Backend#indexSelect} on the device, or false. */
    default boolean indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        return false;
    }

    /** Waits until all work queued on {@code device} has finished. */
    void synchronize(Device device);

    /** Lines for {@code graft doctor}: library, version, devices, or why none can be used. */
    String report();
}
