package dev.graft.tensor.spi;

import dev.graft.tensor.DType;
import dev.graft.tensor.Device;

/**
 * Memory on an accelerator holding the elements of one {@link dev.graft.tensor.Storage}, made by a
 * {@link DeviceRuntime}. The tensor core moves data through {@link #upload} and {@link #download};
 * a runtime's own kernels (cuBLAS) reach the memory through its implementation class.
 *
 * <p>Lengths and offsets are in elements of {@link #dtype()}; host arrays are the heap arrays
 * {@link dev.graft.tensor.Storage} uses for that dtype ({@code float[]} for float32, {@code short[]}
 * for float16/bfloat16 bits, …). Implementations check every range against both sides before any
 * native call and throw {@link IllegalArgumentException} when it does not fit.
 *
 * <p>Released by {@link #release()} (a {@link dev.graft.tensor.DeviceScope} closing, or the
 * runtime's Cleaner when the owning storage becomes unreachable); using it afterwards throws
 * {@link IllegalStateException}.
 */
public interface DeviceMemory {
    Device device();

    DType dtype();

    /** Capacity in elements. */
    long length();

    /** Copies {@code count} elements from {@code host[from…]} to elements {@code at…} of this memory. */
    void upload(Object host, int from, long at, int count);

    /** Copies {@code count} elements from elements {@code at…} of this memory into {@code host[to…]}. */
    void download(long at, Object host, int to, int count);

    /**
     * Sets every element to zero (a storage never written, whose first device use reads it). The
     * default uploads a zero array; runtimes override it with a device-side fill.
     */
    default void zero() {
        if (length() > 0) {
            upload(dev.graft.tensor.Storage.allocate(dtype(), length()).array(), 0, 0, (int) length());
        }
    }

    /** Frees the memory now; a second call does nothing. */
    void release();

    boolean isReleased();
}
