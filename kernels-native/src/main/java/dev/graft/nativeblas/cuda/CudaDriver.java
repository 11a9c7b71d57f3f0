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
 * The CUDA driver calls Graft uses to run its own kernels ({@code libcuda.so.1}, installed with
 * the NVIDIA driver): the compute capability, the device's primary context (the one the runtime
 * API uses, so device pointers and streams of {@link CudaRuntime} are valid here), loading a CUBIN
 * and launching its kernels on a runtime stream. Every status is checked; an error becomes a
 * {@link CudaException} naming the call.
 */
@SuppressWarnings("restricted") // binding native code is what this class is for
final class CudaDriver {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final java.lang.foreign.AddressLayout P = ValueLayout.ADDRESS;
    /** CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR and _MINOR (cuda.h). */
    static final int ATTRIBUTE_CC_MAJOR = 75;
    static final int ATTRIBUTE_CC_MINOR = 76;
    /** The largest block dimension any CUDA device accepts. */
    static final int MAX_BLOCK = 1024;

    final String location;
    private final MethodHandle init;
    private final MethodHandle deviceGet;
    private final MethodHandle deviceGetAttribute;
    private final MethodHandle primaryCtxRetain;
    private final MethodHandle ctxSetCurrent;
    private final MethodHandle moduleLoadData;
    private final MethodHandle moduleGetFunction;
    private final MethodHandle launchKernel;
    private final MethodHandle getErrorName;
    private final MethodHandle getErrorString;

    CudaDriver(String location, SymbolLookup l) {
        this.location = location;
        init = handle(l, "cuInit", FunctionDescriptor.of(I, I));
        deviceGet = handle(l, "cuDeviceGet", FunctionDescriptor.of(I, P, I));
        deviceGetAttribute = handle(l, "cuDeviceGetAttribute", FunctionDescriptor.of(I, P, I, I));
        primaryCtxRetain = handle(l, "cuDevicePrimaryCtxRetain", FunctionDescriptor.of(I, P, I));
        ctxSetCurrent = handle(l, "cuCtxSetCurrent", FunctionDescriptor.of(I, P));
        moduleLoadData = handle(l, "cuModuleLoadData", FunctionDescriptor.of(I, P, P));
        moduleGetFunction = handle(l, "cuModuleGetFunction", FunctionDescriptor.of(I, P, P, P));
        // cuLaunchKernel(CUfunction f, unsigned gridDimX, gridDimY, gridDimZ, unsigned blockDimX, blockDimY, blockDimZ,
        //                unsigned sharedMemBytes, CUstream hStream, void **kernelParams, void **extra)
        launchKernel = handle(l, "cuLaunchKernel", FunctionDescriptor.of(I, P, I, I, I, I, I, I, I, P, P, P));
        getErrorName = handle(l, "cuGetErrorName", FunctionDescriptor.of(I, I, P));
        getErrorString = handle(l, "cuGetErrorString", FunctionDescriptor.of(I, I, P));
    }

    private static MethodHandle handle(SymbolLookup l, String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(l.find(name).orElseThrow(() -> new IllegalStateException("libcuda has no " + name)), fd);
    }

    private String text(MethodHandle h, int status) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(P);
            int s = (int) h.invokeExact(status, out);
            return s == 0 ? NativeLibraries.cString(out.get(P, 0)) : "";
        } catch (Throwable t) {
            return "";
        }
    }

    void check(String call, int status) {
        if (status != 0) {
            String name = text(getErrorName, status);
            throw new CudaException(call, status, name.isEmpty() ? "CUresult" : name, text(getErrorString, status));
        }
    }

    /** {@code cuInit(0)} (idempotent; the runtime has usually done it). */
    void init() {
        int status;
        try {
            status = (int) init.invokeExact(0);
        } catch (Throwable t) {
            throw new IllegalStateException("cuInit failed", t);
        }
        check("cuInit", status);
    }

    /** A call that writes its result through its one out-parameter and returns a status. */
    @FunctionalInterface
    private interface OutCall {
        int invoke(MemorySegment out) throws Throwable;
    }

    /** Runs {@code c} with a fresh out-parameter of {@code layout}, checks its status, returns what {@code read} takes from it. */
    private <T> T out(String call, java.lang.foreign.MemoryLayout layout, OutCall c, java.util.function.Function<MemorySegment, T> read) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(layout);
            check(call, c.invoke(out));
            return read.apply(out);
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(call + " failed", t);
        }
    }

    /** {@code cuDeviceGet}: the driver's handle of device {@code ordinal}. */
    int device(int ordinal) {
        return out("cuDeviceGet(" + ordinal + ")", I, o -> (int) deviceGet.invokeExact(o, ordinal), o -> o.get(I, 0));
    }

    /** {@code cuDeviceGetAttribute}. */
    int attribute(int attribute, int device) {
        return out("cuDeviceGetAttribute(" + attribute + ", " + device + ")", I,
                o -> (int) deviceGetAttribute.invokeExact(o, attribute, device), o -> o.get(I, 0));
    }

    /** {@code cuDevicePrimaryCtxRetain}: the device's primary context (the runtime API's), kept for the life of the JVM. */
    MemorySegment primaryContext(int device) {
        return out("cuDevicePrimaryCtxRetain(" + device + ")", P, o -> (int) primaryCtxRetain.invokeExact(o, device), o -> o.get(P, 0));
    }

    /** {@code cuCtxSetCurrent}: binds the context to the calling thread. */
    void setCurrent(MemorySegment context) {
        int status;
        try {
            status = (int) ctxSetCurrent.invokeExact(context);
        } catch (Throwable t) {
            throw new IllegalStateException("cuCtxSetCurrent failed", t);
        }
        check("cuCtxSetCurrent", status);
    }

    /** {@code cuModuleLoadData}: loads a CUBIN into the current context. */
    MemorySegment loadModule(byte[] image) {
        if (image == null || image.length == 0) {
            throw new IllegalArgumentException("cuModuleLoadData: no image");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(P);
            MemorySegment data = a.allocate(image.length, 16);
            MemorySegment.copy(image, 0, data, ValueLayout.JAVA_BYTE, 0, image.length);
            check("cuModuleLoadData(" + image.length + " bytes)", (int) moduleLoadData.invokeExact(out, data));
            return out.get(P, 0);
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cuModuleLoadData failed", t);
        }
    }

    /** {@code cuModuleGetFunction}. */
    MemorySegment function(MemorySegment module, String name) {
        try (Arena names = Arena.ofConfined()) {
            MemorySegment cName = names.allocateFrom(name);
            return out("cuModuleGetFunction(" + name + ")", P, o -> (int) moduleGetFunction.invokeExact(o, module, cName), o -> o.get(P, 0));
        }
    }

    /**
     * {@code cuLaunchKernel} of {@code function} on {@code stream} with a 1-D grid and block and
     * one kernel parameter, the {@code paramBytes} bytes at {@code param} (copied by the call).
     */
    void launch(String name, MemorySegment function, int grid, int block, MemorySegment stream, MemorySegment param) {
        if (grid < 1 || block < 1 || block > MAX_BLOCK) {
            throw new IllegalArgumentException("cuLaunchKernel(" + name + "): grid " + grid + ", block " + block);
        }
        if (param == null || param.byteSize() == 0) {
            throw new IllegalArgumentException("cuLaunchKernel(" + name + "): no parameter");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment params = a.allocate(P, 1);
            params.setAtIndex(P, 0, param);
            int status = (int) launchKernel.invokeExact(function, grid, 1, 1, block, 1, 1, 0, stream, params, MemorySegment.NULL);
            check("cuLaunchKernel(" + name + ", grid " + grid + ", block " + block + ")", status);
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cuLaunchKernel failed", t);
        }
    }
}
