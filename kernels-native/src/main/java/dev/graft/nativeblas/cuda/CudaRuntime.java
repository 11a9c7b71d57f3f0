package dev.graft.nativeblas.cuda;

import dev.graft.nativeblas.NativeLibraries;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The CUDA runtime calls Graft uses ({@code libcudart}): device count, selection and properties,
 * device memory and its free/total amounts, copies (plain and on a stream), memset, streams,
 * synchronisation, error strings. Every call's status is checked; an error becomes a
 * {@link CudaException} naming the call. Copies between the Java heap and the device pass the
 * array itself to {@code cudaMemcpy}/{@code cudaMemcpyAsync} (critical downcalls with heap
 * access), so there is no intermediate native copy; the garbage collector waits for the call.
 *
 * <p>Heap arrays are pageable memory, for which CUDA documents ("API synchronization behavior")
 * that a device-to-host copy returns only once it has completed and a host-to-device copy only
 * once the source has been consumed (staged); the stream-ordered copies here also synchronise the
 * stream before returning, so no transfer can outlive the critical call that pinned the array.
 *
 * <p>The current device is per host thread in the runtime API: callers that use a device other
 * than 0 call {@link #setDevice} on the calling thread first ({@link CudaDeviceRuntime} does so
 * for every operation).
 */
@SuppressWarnings("restricted") // binding native code is what this class is for
public final class CudaRuntime {
    private static final Linker LINKER = Linker.nativeLinker();
    // cudaMemcpyKind (driver_types.h): cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2
    static final int HOST_TO_DEVICE = 1;
    static final int DEVICE_TO_HOST = 2;
    /** cudaErrorMemoryAllocation (driver_types.h): cudaMalloc found no room. */
    static final int ERROR_MEMORY_ALLOCATION = 2;
    /** cudaStreamNonBlocking (driver_types.h): the stream does not synchronise with the legacy default stream. */
    static final int STREAM_NON_BLOCKING = 0x01;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    private static final java.lang.foreign.AddressLayout P = ValueLayout.ADDRESS;

    private final String location;
    private final MethodHandle getDeviceCount;
    private final MethodHandle setDevice;
    private final MethodHandle malloc;
    private final MethodHandle free;
    private final MethodHandle memcpy;
    private final MethodHandle deviceSynchronize;
    private final MethodHandle getErrorString;
    private final MethodHandle getErrorName;
    private final MethodHandle runtimeGetVersion;
    private final MethodHandle driverGetVersion;
    private final MethodHandle getDeviceProperties;
    private final MethodHandle getDevice;
    private final MethodHandle getLastError;
    private final MethodHandle memGetInfo;
    private final MethodHandle memcpyAsync;
    private final MethodHandle memsetAsync;
    private final MethodHandle streamCreateWithFlags;
    private final MethodHandle streamSynchronize;
    private final MethodHandle streamDestroy;

    CudaRuntime(String location, SymbolLookup l) {
        this.location = location;
        getDeviceCount = handle(l, "cudaGetDeviceCount", FunctionDescriptor.of(I, P));
        setDevice = handle(l, "cudaSetDevice", FunctionDescriptor.of(I, I));
        malloc = handle(l, "cudaMalloc", FunctionDescriptor.of(I, P, L));
        free = handle(l, "cudaFree", FunctionDescriptor.of(I, P));
        memcpy = LINKER.downcallHandle(symbol(l, "cudaMemcpy"), FunctionDescriptor.of(I, P, P, L, I), Linker.Option.critical(true));
        deviceSynchronize = handle(l, "cudaDeviceSynchronize", FunctionDescriptor.of(I));
        getErrorString = handle(l, "cudaGetErrorString", FunctionDescriptor.of(P, I));
        getErrorName = handle(l, "cudaGetErrorName", FunctionDescriptor.of(P, I));
        runtimeGetVersion = handle(l, "cudaRuntimeGetVersion", FunctionDescriptor.of(I, P));
        driverGetVersion = handle(l, "cudaDriverGetVersion", FunctionDescriptor.of(I, P));
        // CUDA 12 exports the current struct layout as _v2; CUDA 13 only under the plain name
        MemorySegment props = l.find("cudaGetDeviceProperties_v2").or(() -> l.find("cudaGetDeviceProperties")).orElse(null);
        getDeviceProperties = props == null ? null : LINKER.downcallHandle(props, FunctionDescriptor.of(I, P, I));
        getDevice = handle(l, "cudaGetDevice", FunctionDescriptor.of(I, P));
        getLastError = handle(l, "cudaGetLastError", FunctionDescriptor.of(I));
        memGetInfo = handle(l, "cudaMemGetInfo", FunctionDescriptor.of(I, P, P));
        // cudaMemcpyAsync(void *dst, const void *src, size_t count, cudaMemcpyKind kind, cudaStream_t stream);
        // critical with heap access: one side is a Java array
        memcpyAsync = LINKER.downcallHandle(symbol(l, "cudaMemcpyAsync"), FunctionDescriptor.of(I, P, P, L, I, P),
                Linker.Option.critical(true));
        // cudaMemsetAsync(void *devPtr, int value, size_t count, cudaStream_t stream)
        memsetAsync = handle(l, "cudaMemsetAsync", FunctionDescriptor.of(I, P, I, L, P));
        streamCreateWithFlags = handle(l, "cudaStreamCreateWithFlags", FunctionDescriptor.of(I, P, I));
        streamSynchronize = handle(l, "cudaStreamSynchronize", FunctionDescriptor.of(I, P));
        streamDestroy = handle(l, "cudaStreamDestroy", FunctionDescriptor.of(I, P));
    }

    private static MemorySegment symbol(SymbolLookup l, String name) {
        return l.find(name).orElseThrow(() -> new IllegalStateException("libcudart has no " + name));
    }

    private static MethodHandle handle(SymbolLookup l, String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(symbol(l, name), fd);
    }

    /** Where libcudart was opened from. */
    public String location() {
        return location;
    }

    /** Throws {@link CudaException} unless {@code status} is cudaSuccess (0). */
    void check(String call, int status) {
        if (status != 0) {
            throw new CudaException(call, status, errorName(status), errorString(status));
        }
    }

    public String errorName(int status) {
        try {
            return NativeLibraries.cString((MemorySegment) getErrorName.invokeExact(status));
        } catch (Throwable t) {
            return "cudaError " + status;
        }
    }

    public String errorString(int status) {
        try {
            return NativeLibraries.cString((MemorySegment) getErrorString.invokeExact(status));
        } catch (Throwable t) {
            return "";
        }
    }

    private int intOut(String call, MethodHandle h) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(I);
            check(call, (int) h.invokeExact(out));
            return out.get(I, 0);
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(call + " failed", t);
        }
    }

    /** {@code cudaGetDeviceCount}; throws when there is no usable driver or device (the message says which). */
    public int deviceCount() {
        return intOut("cudaGetDeviceCount", getDeviceCount);
    }

    /** {@code cudaRuntimeGetVersion}, e.g. 13000 for 13.0. */
    public int runtimeVersion() {
        return intOut("cudaRuntimeGetVersion", runtimeGetVersion);
    }

    /** {@code cudaDriverGetVersion}: the newest CUDA version the installed driver supports; 0 when there is no driver. */
    public int driverVersion() {
        return intOut("cudaDriverGetVersion", driverGetVersion);
    }

    /** {@code cudaSetDevice}: the device this host thread's later runtime calls use. */
    public void setDevice(int device) {
        invoke("cudaSetDevice(" + device + ")", setDevice, device);
    }

    /** {@code cudaGetDevice}: the device this host thread's runtime calls use. */
    public int currentDevice() {
        return intOut("cudaGetDevice", getDevice);
    }

    /** {@code cudaGetLastError}: returns and clears this thread's last error (0 when none). */
    int clearLastError() {
        try {
            return (int) getLastError.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("cudaGetLastError failed", t);
        }
    }

    /** Free and total memory of the current device in bytes, from {@code cudaMemGetInfo}. */
    public record MemInfo(long free, long total) {
    }

    /** {@code cudaMemGetInfo} for the current device of this thread. */
    public MemInfo memInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment free = a.allocate(L);
            MemorySegment total = a.allocate(L);
            check("cudaMemGetInfo", (int) memGetInfo.invokeExact(free, total));
            return new MemInfo(free.get(L, 0), total.get(L, 0));
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cudaMemGetInfo failed", t);
        }
    }

    /** {@code cudaStreamCreateWithFlags(cudaStreamNonBlocking)} on the current device: a new stream handle. */
    MemorySegment createStream() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(P);
            check("cudaStreamCreateWithFlags(cudaStreamNonBlocking)", (int) streamCreateWithFlags.invokeExact(out, STREAM_NON_BLOCKING));
            return out.get(P, 0);
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cudaStreamCreateWithFlags failed", t);
        }
    }

    /** {@code cudaStreamSynchronize}: waits for the work queued on the stream; reports errors of that work. */
    void synchronize(MemorySegment stream, String what) {
        int status;
        try {
            status = (int) streamSynchronize.invokeExact(stream);
        } catch (Throwable t) {
            throw new IllegalStateException("cudaStreamSynchronize failed", t);
        }
        check("cudaStreamSynchronize(" + what + ")", status);
    }

    /** {@code cudaStreamDestroy}. */
    void destroyStream(MemorySegment stream) {
        int status;
        try {
            status = (int) streamDestroy.invokeExact(stream);
        } catch (Throwable t) {
            throw new IllegalStateException("cudaStreamDestroy failed", t);
        }
        check("cudaStreamDestroy", status);
    }

    /**
     * The Java array {@code host} as a heap segment (float[], double[], long[], int[], byte[] or
     * short[]); throws {@link IllegalArgumentException} for anything else.
     */
    static MemorySegment heap(Object host) {
        return switch (host) {
            case float[] f -> MemorySegment.ofArray(f);
            case double[] d -> MemorySegment.ofArray(d);
            case long[] l -> MemorySegment.ofArray(l);
            case int[] i -> MemorySegment.ofArray(i);
            case byte[] b -> MemorySegment.ofArray(b);
            case short[] s -> MemorySegment.ofArray(s);
            case null -> throw new IllegalArgumentException("no host array (null)");
            default -> throw new IllegalArgumentException("not a primitive array Graft stores: " + host.getClass().getSimpleName());
        };
    }

    /**
     * {@code cudaMemcpyAsync} of {@code bytes} from {@code src} (a slice of a heap array) to the
     * device address on {@code stream}, then {@code cudaStreamSynchronize}. Bounds are the
     * caller's to check: the slice must hold {@code bytes} and the device range must be allocated.
     */
    void copyToDeviceAsync(long devicePointer, MemorySegment src, long bytes, MemorySegment stream, String what) {
        if (bytes == 0) {
            return;
        }
        if (src.byteSize() < bytes) {
            throw new IllegalArgumentException("copyToDeviceAsync: source holds " + src.byteSize() + " bytes, " + bytes + " asked");
        }
        memcpyAsync("cudaMemcpyAsync(host to device, " + bytes + " bytes, " + what + ")", MemorySegment.ofAddress(devicePointer), src,
                bytes, HOST_TO_DEVICE, stream);
        synchronize(stream, what);
    }

    /**
     * {@code cudaMemcpyAsync} of {@code bytes} from the device address into {@code dst} (a slice
     * of a heap array) on {@code stream}, ordered after the work queued there, then
     * {@code cudaStreamSynchronize}. Bounds are the caller's to check.
     */
    void copyToHostAsync(MemorySegment dst, long devicePointer, long bytes, MemorySegment stream, String what) {
        if (bytes == 0) {
            return;
        }
        if (dst.byteSize() < bytes) {
            throw new IllegalArgumentException("copyToHostAsync: destination holds " + dst.byteSize() + " bytes, " + bytes + " asked");
        }
        memcpyAsync("cudaMemcpyAsync(device to host, " + bytes + " bytes, " + what + ")", dst, MemorySegment.ofAddress(devicePointer),
                bytes, DEVICE_TO_HOST, stream);
        synchronize(stream, what);
    }

    private void memcpyAsync(String call, MemorySegment dst, MemorySegment src, long bytes, int kind, MemorySegment stream) {
        int status;
        try {
            status = (int) memcpyAsync.invokeExact(dst, src, bytes, kind, stream);
        } catch (Throwable t) {
            throw new IllegalStateException(call + " failed", t);
        }
        check(call, status);
    }

    /** {@code cudaMemsetAsync}: sets {@code bytes} bytes at the device address to {@code value} on {@code stream} (not waited for). */
    void memsetAsync(long devicePointer, int value, long bytes, MemorySegment stream, String what) {
        if (bytes == 0) {
            return;
        }
        int status;
        try {
            status = (int) memsetAsync.invokeExact(MemorySegment.ofAddress(devicePointer), value, bytes, stream);
        } catch (Throwable t) {
            throw new IllegalStateException("cudaMemsetAsync failed", t);
        }
        check("cudaMemsetAsync(" + bytes + " bytes, " + what + ")", status);
    }

    /** The device's name and total memory in bytes, from {@code cudaGetDeviceProperties}. */
    public String deviceDescription(int device) {
        if (getDeviceProperties == null) {
            return "device " + device;
        }
        // cudaDeviceProp starts with char name[256], a 16-byte UUID, char luid[8], an unsigned int,
        // then size_t totalGlobalMem (offset 288); the whole struct is about 1 KB, 8 KB is plenty.
        try (Arena a = Arena.ofConfined()) {
            MemorySegment prop = a.allocate(8192, 8);
            check("cudaGetDeviceProperties(" + device + ")", (int) getDeviceProperties.invokeExact(prop, device));
            String name = prop.asSlice(0, 256).getString(0);
            long mem = prop.get(L, 288);
            return name + " (" + (mem >> 20) + " MiB)";
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cudaGetDeviceProperties failed", t);
        }
    }

    /** {@code cudaMalloc}: a device pointer to {@code bytes} bytes (never NULL). */
    long malloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(P);
            check("cudaMalloc(" + bytes + " bytes)", (int) malloc.invokeExact(out, bytes));
            return out.get(P, 0).address();
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cudaMalloc failed", t);
        }
    }

    void free(long devicePointer) {
        invoke("cudaFree", free, MemorySegment.ofAddress(devicePointer));
    }

    /** Copies {@code count} floats from the heap array to the device address. Bounds are the caller's to check. */
    void copyToDevice(long devicePointer, float[] src, int srcOff, int count) {
        if (count == 0) {
            return;
        }
        memcpy("cudaMemcpy(host to device, " + 4L * count + " bytes)", MemorySegment.ofAddress(devicePointer),
                MemorySegment.ofArray(src).asSlice(4L * srcOff, 4L * count), 4L * count, HOST_TO_DEVICE);
    }

    /** Copies {@code count} floats from the device address into the heap array. Bounds are the caller's to check. */
    void copyToHost(float[] dst, int dstOff, long devicePointer, int count) {
        if (count == 0) {
            return;
        }
        memcpy("cudaMemcpy(device to host, " + 4L * count + " bytes)", MemorySegment.ofArray(dst).asSlice(4L * dstOff, 4L * count),
                MemorySegment.ofAddress(devicePointer), 4L * count, DEVICE_TO_HOST);
    }

    private void memcpy(String call, MemorySegment dst, MemorySegment src, long bytes, int kind) {
        int status;
        try {
            status = (int) memcpy.invokeExact(dst, src, bytes, kind);
        } catch (Throwable t) {
            throw new IllegalStateException(call + " failed", t);
        }
        check(call, status);
    }

    /** {@code cudaDeviceSynchronize}: waits for the device; reports errors of earlier asynchronous work. */
    public void synchronize() {
        try {
            check("cudaDeviceSynchronize", (int) deviceSynchronize.invokeExact());
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cudaDeviceSynchronize failed", t);
        }
    }

    private void invoke(String call, MethodHandle h, Object arg) {
        int status;
        try {
            status = (int) h.invoke(arg);
        } catch (Throwable t) {
            throw new IllegalStateException(call + " failed", t);
        }
        check(call, status);
    }
}
