package dev.graft.nativeblas.cuda;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Float32 memory on the GPU ({@code cudaMalloc}), released by {@link #close()} (use
 * try-with-resources); a {@link Cleaner} frees it if the buffer becomes unreachable without being
 * closed, so a forgotten buffer costs device memory only until the next garbage collection
 * (DESIGN.md decision 2). Every copy checks its offsets and lengths in Java first.
 */
public final class DeviceBuffer implements AutoCloseable {
    /** The one cleaner thread for CUDA memory ({@link CudaMemory} uses it too). */
    static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "graft-cuda-cleaner");
        t.setDaemon(true);
        return t;
    });

    private final CudaRuntime rt;
    private final long floats;
    private final Release release;
    private final Cleaner.Cleanable cleanable;

    /** The free action; holds the pointer, never the buffer, so the buffer can become unreachable. */
    private static final class Release implements Runnable {
        private final CudaRuntime rt;
        private final AtomicLong pointer;

        Release(CudaRuntime rt, long pointer) {
            this.rt = rt;
            this.pointer = new AtomicLong(pointer);
        }

        long pointer() {
            long p = pointer.get();
            if (p == 0) {
                throw new IllegalStateException("device buffer is closed");
            }
            return p;
        }

        @Override
        public void run() { // from the Cleaner: a failure here has nobody to report to
            long p = pointer.getAndSet(0);
            if (p != 0) {
                try {
                    rt.free(p);
                } catch (RuntimeException ignored) {
                    // the process is probably shutting down the CUDA context
                }
            }
        }

        void closeChecked() {
            long p = pointer.getAndSet(0);
            if (p != 0) {
                rt.free(p);
            }
        }
    }

    private DeviceBuffer(CudaRuntime rt, long floats, long pointer) {
        this.rt = rt;
        this.floats = floats;
        this.release = new Release(rt, pointer);
        this.cleanable = CLEANER.register(this, release);
    }

    /** Allocates room for {@code floats} float32 values (at least one, so the pointer is never NULL). */
    public static DeviceBuffer allocate(CudaRuntime rt, long floats) {
        if (floats < 0) {
            throw new IllegalArgumentException("DeviceBuffer.allocate: negative size " + floats);
        }
        long p = rt.malloc(Math.max(1, floats) * 4L);
        return new DeviceBuffer(rt, floats, p);
    }

    /** Allocates a buffer and copies {@code src} into it. */
    public static DeviceBuffer of(CudaRuntime rt, float[] src) {
        DeviceBuffer b = allocate(rt, src.length);
        try {
            b.copyFrom(src, 0, 0, src.length);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return b;
    }

    /** Size in float32 elements. */
    public long floats() {
        return floats;
    }

    /** The device address (throws once closed). */
    public long address() {
        return release.pointer();
    }

    /** Copies {@code count} floats from {@code src[srcOff…]} to element {@code at} of this buffer. */
    public void copyFrom(float[] src, int srcOff, long at, int count) {
        check("copyFrom", src.length, srcOff, at, count);
        try {
            rt.copyToDevice(address() + 4 * at, src, srcOff, count);
        } finally {
            Reference.reachabilityFence(this); // the Cleaner must not free the memory during the copy
        }
    }

    /** Copies {@code count} floats from element {@code at} of this buffer into {@code dst[dstOff…]}. */
    public void copyTo(long at, float[] dst, int dstOff, int count) {
        check("copyTo", dst.length, dstOff, at, count);
        try {
            rt.copyToHost(dst, dstOff, address() + 4 * at, count);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    private void check(String what, int arrayLength, int arrayOff, long at, int count) {
        if (count < 0 || arrayOff < 0 || at < 0 || (long) arrayOff + count > arrayLength || at + count > floats) {
            throw new IllegalArgumentException("DeviceBuffer." + what + ": " + count + " floats at array offset " + arrayOff
                    + " (array length " + arrayLength + ") and buffer offset " + at + " (buffer length " + floats + ") do not fit");
        }
    }

    /** Frees the device memory now; a second close does nothing. Throws {@link CudaException} if cudaFree fails. */
    @Override
    public void close() {
        release.closeChecked();
        cleanable.clean(); // nothing left to free; unregisters from the Cleaner
    }
}
