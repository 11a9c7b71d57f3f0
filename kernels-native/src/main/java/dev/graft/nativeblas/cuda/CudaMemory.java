package dev.graft.nativeblas.cuda;

import dev.graft.tensor.DType;
import dev.graft.tensor.Device;
import dev.graft.tensor.spi.DeviceMemory;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;

/**
 * Device memory for {@code length} elements of any {@link DType} on one CUDA device
 * ({@code cudaMalloc} of {@code length × dtype.byteSize()} bytes, at least 1 so the address is
 * never NULL), made by {@link CudaDeviceRuntime#allocate}.
 *
 * <p>Copies move elements between a heap array of the dtype's Java type ({@code float[]},
 * {@code double[]}, {@code long[]}, {@code int[]}, {@code byte[]} for uint8/bool, {@code short[]}
 * for float16/bfloat16 bits) and this memory, on the device's stream, and return when the copy
 * is complete. The array type, offsets and counts are checked in Java first
 * ({@link IllegalArgumentException}); a released memory throws {@link IllegalStateException}.
 *
 * <p>{@link #release()} frees the memory now (idempotent and thread-safe: the address is taken
 * and cleared under the device's lock, after the device's queued work). A {@link Cleaner} frees
 * it when the memory becomes unreachable without a release; its action holds the address and the
 * device context, never this object.
 */
public final class CudaMemory implements DeviceMemory {
    private final CudaDeviceContext ctx;
    private final DType dtype;
    private final long length;
    private final Allocation allocation;
    private final Cleaner.Cleanable cleanable;

    /** The address and its free action; holds the context, never the memory object, so that object can become unreachable. */
    private static final class Allocation implements Runnable {
        private final CudaDeviceContext ctx;
        private final long bytes;
        private volatile long pointer; // written under ctx.lock; 0 once freed

        Allocation(CudaDeviceContext ctx, long pointer, long bytes) {
            this.ctx = ctx;
            this.pointer = pointer;
            this.bytes = bytes;
        }

        /** The address; the caller holds the context's lock. */
        long pointerLocked(String what) {
            if (pointer == 0) {
                throw new IllegalStateException(what + ": this device memory on " + ctx.device + " (" + bytes
                        + " bytes) was released; a tensor whose DeviceScope closed cannot be used");
            }
            return pointer;
        }

        boolean released() {
            return pointer == 0;
        }

        /** Frees once; a later call does nothing. Failures propagate. */
        void free() {
            int previous = ctx.enter();
            try {
                long p = pointer;
                if (p != 0) {
                    pointer = 0;
                    ctx.freeLocked(p, bytes);
                }
            } finally {
                ctx.exit(previous);
            }
        }

        @Override
        public void run() { // the Cleaner's thread: a failure has nobody to report to
            try {
                free();
            } catch (RuntimeException ignored) {
                // the CUDA context is probably being torn down at exit
            }
        }
    }

    CudaMemory(CudaDeviceContext ctx, DType dtype, long length, long pointer, long bytes) {
        this.ctx = ctx;
        this.dtype = dtype;
        this.length = length;
        this.allocation = new Allocation(ctx, pointer, bytes);
        this.cleanable = DeviceBuffer.CLEANER.register(this, allocation); // one cleaner thread for all CUDA memory
    }

    /** Bytes to allocate for {@code length} elements of {@code dtype}: at least 1, so that cudaMalloc never returns NULL. */
    static long bytesFor(DType dtype, long length) {
        if (length < 0) {
            throw new IllegalArgumentException("allocate: negative length " + length);
        }
        if (length > Long.MAX_VALUE / dtype.byteSize()) {
            throw new IllegalArgumentException("allocate: " + length + " elements of " + dtype + " overflow a byte count");
        }
        return Math.max(1, length * dtype.byteSize());
    }

    @Override
    public Device device() {
        return ctx.device;
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public long length() {
        return length;
    }

    CudaDeviceContext context() {
        return ctx;
    }

    /**
     * The device address of element {@code element}; call with the context's lock held (the
     * address stays valid only while it is held, since a release takes the same lock).
     */
    long addressLocked(long element, String what) {
        return allocation.pointerLocked(what) + element * dtype.byteSize();
    }

    @Override
    public void upload(Object host, int from, long at, int count) {
        copy(true, host, from, at, count);
    }

    @Override
    public void download(long at, Object host, int to, int count) {
        copy(false, host, to, at, count);
    }

    /** Checks, then copies {@code count} elements between {@code host[hostOffset…]} and element {@code at} of this memory. */
    private void copy(boolean toDevice, Object host, int hostOffset, long at, int count) {
        String what = toDevice ? "upload" : "download";
        checkRange(what, dtype, length, host, hostOffset, at, count);
        long bytes = (long) count * dtype.byteSize();
        MemorySegment slice = CudaRuntime.heap(host).asSlice((long) hostOffset * dtype.byteSize(), bytes);
        int previous = ctx.enter();
        try {
            long p = addressLocked(at, what);
            if (toDevice) {
                ctx.copyToDeviceLocked(p, slice, bytes);
            } else {
                ctx.copyToHostLocked(slice, p, bytes);
            }
        } finally {
            ctx.exit(previous);
            Reference.reachabilityFence(this);
            Reference.reachabilityFence(host);
        }
    }

    /**
     * The checks every copy makes before any native call: the host array is the Java type that
     * holds {@code dtype}, and {@code count} elements fit at {@code hostOffset} in it and at
     * {@code at} in a memory of {@code capacity} elements.
     */
    static void checkRange(String what, DType dtype, long capacity, Object host, int hostOffset, long at, int count) {
        if (host == null) {
            throw new IllegalArgumentException(what + ": the host array is null");
        }
        int hostLength = switch (host) {
            case float[] f when dtype == DType.FLOAT32 -> f.length;
            case double[] d when dtype == DType.FLOAT64 -> d.length;
            case long[] l when dtype == DType.INT64 -> l.length;
            case int[] i when dtype == DType.INT32 -> i.length;
            case byte[] b when dtype == DType.UINT8 || dtype == DType.BOOL -> b.length;
            case short[] s when dtype == DType.FLOAT16 || dtype == DType.BFLOAT16 -> s.length;
            default -> throw new IllegalArgumentException(what + ": a " + host.getClass().getSimpleName() + " cannot hold " + dtype
                    + " elements (float32: float[], float64: double[], int64: long[], int32: int[], uint8/bool: byte[],"
                    + " float16/bfloat16: short[])");
        };
        if (count < 0 || hostOffset < 0 || at < 0 || (long) hostOffset + count > hostLength || at + count > capacity) {
            throw new IllegalArgumentException(what + ": " + count + " " + dtype + " elements at host offset " + hostOffset
                    + " (array length " + hostLength + ") and device offset " + at + " (capacity " + capacity + ") do not fit");
        }
    }

    /** Zeroes the whole memory on the device ({@code cudaMemsetAsync} on the device's stream). */
    @Override
    public void zero() {
        int previous = ctx.enter();
        try {
            ctx.zeroLocked(addressLocked(0, "zero"), length * dtype.byteSize());
        } finally {
            ctx.exit(previous);
            Reference.reachabilityFence(this);
        }
    }

    @Override
    public void release() {
        allocation.free();
        cleanable.clean(); // unregisters; the action finds nothing left to free
    }

    @Override
    public boolean isReleased() {
        return allocation.released();
    }

    @Override
    public String toString() {
        return "CudaMemory[" + ctx.device + ", " + length + " x " + dtype + (isReleased() ? ", released" : "") + "]";
    }
}
