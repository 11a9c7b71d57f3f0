package dev.graft.nativeblas.cuda;

import dev.graft.tensor.Device;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What {@link CudaDeviceRuntime} keeps per CUDA device: one non-blocking stream, one cuBLAS handle
 * bound to it, and a lock. Every copy, memset, GEMM and free on the device runs under the lock,
 * with {@code cudaGetDevice}/{@code cudaSetDevice} around it (the current device is per host
 * thread; the thread's previous device is restored afterwards),
 * and is queued on the one stream, so device work is ordered: a download sees every GEMM queued
 * before it. Frees synchronise the stream first, so memory is never freed under queued work; and
 * since a memory's address is read under the same lock that frees it, a release racing a copy
 * either waits for it or makes it throw.
 *
 * <p>Created on first use of a device and kept for the life of the JVM.
 */
final class CudaDeviceContext {
    private static final int MAX_DEVICES = 64;
    private static final AtomicReferenceArray<CudaDeviceContext> CONTEXTS = new AtomicReferenceArray<>(MAX_DEVICES);

    final int index;
    final Device device;
    final CudaRuntime rt;
    final ReentrantLock lock = new ReentrantLock();
    private final MemorySegment stream;
    private final CublasHandle handle;
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicLong liveAllocations = new AtomicLong();
    /** Freed blocks kept for reuse, by rounded size; guarded by {@link #lock}. */
    private final java.util.Map<Long, java.util.ArrayDeque<Long>> cache = new java.util.HashMap<>();
    private final AtomicLong cachedBytes = new AtomicLong();

    /** {@value}: set to false to cudaFree every released block at once instead of keeping it for reuse. */
    static final String CACHE_PROPERTY = "graft.cuda.cache";

    CudaDeviceContext(int index, CudaRuntime rt, CublasHandle.Api api) {
        this.index = index;
        this.device = Device.cuda(index);
        this.rt = rt;
        rt.setDevice(index);
        this.stream = rt.createStream();
        CublasHandle h = new CublasHandle(api); // cublasCreate binds the handle to the current device
        try {
            h.setStream(stream);
        } catch (RuntimeException e) {
            h.close();
            throw e;
        }
        this.handle = h;
    }

    /**
     * The context of device {@code index}, made on first use; throws {@link IllegalStateException}
     * when CUDA is unusable or the device does not exist.
     */
    static CudaDeviceContext of(int index) {
        int n = CudaBlas.deviceCount();
        if (!CudaBlas.available()) {
            throw new IllegalStateException("CUDA is not available: " + CudaBlas.unavailableReason());
        }
        if (index < 0 || index >= n || index >= MAX_DEVICES) {
            throw new IllegalStateException("cuda:" + index + " does not exist: " + n + " CUDA device" + (n == 1 ? "" : "s")
                    + " here (indices 0.." + (n - 1) + ")");
        }
        CudaDeviceContext c = CONTEXTS.get(index);
        if (c != null) {
            return c;
        }
        synchronized (CONTEXTS) {
            c = CONTEXTS.get(index);
            if (c == null) {
                c = new CudaDeviceContext(index, CudaBlas.runtime(), CudaBlas.cublasApi());
                CONTEXTS.set(index, c);
            }
            return c;
        }
    }

    /** The context of device {@code index} if one was made, else null (for reports that must not create one). */
    static CudaDeviceContext ifMade(int index) {
        return index >= 0 && index < MAX_DEVICES ? CONTEXTS.get(index) : null;
    }

    /** Bytes allocated through this context and not yet freed. */
    long liveBytes() {
        return liveBytes.get();
    }

    /** Allocations made through this context and not yet freed. */
    long liveAllocations() {
        return liveAllocations.get();
    }

    /**
     * Takes the lock and makes this device current on the calling thread; returns the device that
     * was current, for {@link #exit(int)} to restore (so that code using another device on this
     * thread, such as {@link CudaBlas#sgemm} on device 0, is not moved).
     */
    int enter() {
        lock.lock();
        try {
            int previous = rt.currentDevice();
            if (previous != index) {
                rt.setDevice(index);
            }
            return previous;
        } catch (RuntimeException e) {
            lock.unlock();
            throw e;
        }
    }

    /** Restores the thread's previous device and releases the lock. */
    void exit(int previous) {
        try {
            if (previous != index) {
                rt.setDevice(previous);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code cudaMalloc} of {@code bytes}. When the device is out of memory, unreachable device
     * tensors may still hold some: the garbage collector is asked to run, the Cleaner gets up to
     * about a second to free what it finds, and the allocation is tried once more; then the
     * {@link CudaException} says how much was asked, how much is free, and what to do.
     */
    long malloc(long bytes) {
        try {
            return mallocOnce(bytes);
        } catch (CudaException e) {
            if (e.status() != CudaRuntime.ERROR_MEMORY_ALLOCATION) {
                throw e;
            }
        }
        if (emptyCache() > 0) { // blocks kept for reuse come first
            try {
                return mallocOnce(bytes);
            } catch (CudaException e) {
                if (e.status() != CudaRuntime.ERROR_MEMORY_ALLOCATION) {
                    throw e;
                }
            }
        }
        // not under the lock: the Cleaner thread needs it to free
        System.gc();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1000);
        while (System.nanoTime() < deadline && memInfo().free() < bytes) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            return mallocOnce(bytes);
        } catch (CudaException e) {
            if (e.status() != CudaRuntime.ERROR_MEMORY_ALLOCATION) {
                throw e;
            }
            String mem;
            try {
                CudaRuntime.MemInfo info = memInfo();
                mem = mib(info.free()) + " free of " + mib(info.total()) + " on the device";
            } catch (RuntimeException again) {
                mem = "free memory unknown (" + again.getMessage() + ")";
            }
            throw new CudaException(e.call(), e.status(), rt.errorName(e.status()), rt.errorString(e.status())
                    + "; asked for " + bytes + " bytes (" + mib(bytes) + "), " + mem + ", " + mib(liveBytes()) + " held by "
                    + liveAllocations() + " Graft allocations, after a garbage collection; free device tensors sooner with "
                    + "try (DeviceScope scope = DeviceScope.open()) { ... } (keep results with scope.keep), or use smaller batches");
        }
    }

    /**
     * The size class of a block: requests are rounded up to 512 bytes (below 1 MiB) or to 2 MiB, so
     * that the tensors of a training or inference loop, which repeat their shapes, find freed blocks
     * of their class. Only the rounded size is ever allocated.
     */
    static long sizeClass(long bytes) {
        long unit = bytes < (1L << 20) ? 512 : 2L << 20;
        return (bytes + unit - 1) / unit * unit;
    }

    private static boolean caching() {
        return !"false".equalsIgnoreCase(System.getProperty(CACHE_PROPERTY, "true"));
    }

    /** Bytes in freed blocks kept for reuse. */
    long cachedBytes() {
        return cachedBytes.get();
    }

    /**
     * Returns every block kept for reuse to CUDA ({@code cudaFree}, after the stream's queued work);
     * the bytes released. Called before giving up on an allocation, and by
     * {@link CudaDeviceRuntime#emptyCache}.
     */
    long emptyCache() {
        int previous = enter();
        try {
            long freed = 0;
            if (cache.isEmpty()) {
                return 0;
            }
            rt.synchronize(stream, device + " before cudaFree");
            for (var e : cache.entrySet()) {
                for (long p : e.getValue()) {
                    rt.free(p);
                    freed += e.getKey();
                }
            }
            cache.clear();
            cachedBytes.addAndGet(-freed);
            return freed;
        } finally {
            exit(previous);
        }
    }

    private long mallocOnce(long bytes) {
        int previous = enter();
        try {
            long size = sizeClass(bytes);
            java.util.ArrayDeque<Long> free = cache.get(size);
            long p;
            if (free != null && !free.isEmpty()) {
                // stream-ordered reuse: every use of the block, old and new, is queued on this device's one stream
                p = free.pop();
                cachedBytes.addAndGet(-size);
            } else {
                p = rt.malloc(size);
            }
            liveBytes.addAndGet(bytes);
            liveAllocations.incrementAndGet();
            return p;
        } catch (CudaException e) {
            rt.clearLastError(); // an allocation failure must not be reported again by a later call
            throw e;
        } finally {
            exit(previous);
        }
    }

    /**
     * Gives a block back: kept for reuse by the next allocation of its size class (no wait: its
     * next use is queued behind this one's on the same stream), or with {@code -Dgraft.cuda.cache=false}
     * freed after the stream's queued work. The caller holds the lock.
     */
    void freeLocked(long pointer, long bytes) {
        long size = sizeClass(bytes);
        if (caching()) {
            cache.computeIfAbsent(size, k -> new java.util.ArrayDeque<>()).push(pointer);
            cachedBytes.addAndGet(size);
        } else {
            rt.synchronize(stream, device + " before cudaFree");
            rt.free(pointer);
        }
        liveBytes.addAndGet(-bytes);
        liveAllocations.decrementAndGet();
    }

    /** Stream-ordered copy into the device, waited for; the caller holds the lock. */
    void copyToDeviceLocked(long devicePointer, MemorySegment src, long bytes) {
        rt.copyToDeviceAsync(devicePointer, src, bytes, stream, device.toString());
    }

    /** Stream-ordered copy to the host, after all queued work, waited for; the caller holds the lock. */
    void copyToHostLocked(MemorySegment dst, long devicePointer, long bytes) {
        rt.copyToHostAsync(dst, devicePointer, bytes, stream, device.toString());
    }

    /** Queues zero bytes on the stream; the caller holds the lock. */
    void zeroLocked(long devicePointer, long bytes) {
        rt.memsetAsync(devicePointer, 0, bytes, stream, device.toString());
    }

    /** This device's stream, for kernel launches; use it under the lock. */
    MemorySegment streamLocked() {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("the stream of " + device + " is used without its lock");
        }
        return stream;
    }

    /** The cuBLAS handle (bound to this context's stream); use it under the lock. */
    CublasHandle handleLocked() {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("the cuBLAS handle of " + device + " is used without its lock");
        }
        return handle;
    }

    /** Waits for all work queued on this device's stream (without the lock: other threads may queue meanwhile). */
    void synchronize() {
        rt.synchronize(stream, device.toString());
    }

    /** {@code cudaMemGetInfo} for this device. */
    CudaRuntime.MemInfo memInfo() {
        int previous = enter();
        try {
            return rt.memInfo();
        } finally {
            exit(previous);
        }
    }

    static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
