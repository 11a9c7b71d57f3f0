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
 * The CUDA runtime calls Graft uses ({@code libcudart}): device count and properties, device
 * memory, copies, synchronisation, error strings. Every call's status is checked; an error
 * becomes a {@link CudaException} naming the call. Copies between the Java heap and the device
 * pass the array itself to {@code cudaMemcpy} (a critical downcall with heap access), so there is
 * no intermediate native copy; the garbage collector waits for the copy to finish.
 */
@SuppressWarnings("restricted") // binding native code is what this class is for
public final class CudaRuntime {
    private static final Linker LINKER = Linker.nativeLinker();
    static final int HOST_TO_DEVICE = 1;
    static final int DEVICE_TO_HOST = 2;
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

    public void setDevice(int device) {
        invoke("cudaSetDevice(" + device + ")", setDevice, device);
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
