package dev.graft.nativeblas.cuda;

import dev.graft.nativeblas.NativeLibraries;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * The NVRTC calls Graft uses ({@code libnvrtc.so.13} or {@code .12}): compile one CUDA C++
 * source to a CUBIN for one GPU architecture. Every status is checked; a failure becomes a
 * {@link CudaException} naming the call, and for a failed compilation carrying the compiler's log.
 */
@SuppressWarnings("restricted") // binding native code is what this class is for
final class Nvrtc {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    private static final java.lang.foreign.AddressLayout P = ValueLayout.ADDRESS;
    /** Largest CUBIN or log accepted from the library (a sanity bound before allocating). */
    static final long MAX_OUTPUT = 1L << 30;

    final String location;
    private final MethodHandle version;
    private final MethodHandle createProgram;
    private final MethodHandle compileProgram;
    private final MethodHandle getProgramLogSize;
    private final MethodHandle getProgramLog;
    private final MethodHandle getCubinSize;
    private final MethodHandle getCubin;
    private final MethodHandle destroyProgram;
    private final MethodHandle getErrorString;

    Nvrtc(String location, SymbolLookup l) {
        this.location = location;
        version = handle(l, "nvrtcVersion", FunctionDescriptor.of(I, P, P));
        // nvrtcCreateProgram(nvrtcProgram *prog, const char *src, const char *name, int numHeaders,
        //                    const char * const *headers, const char * const *includeNames)
        createProgram = handle(l, "nvrtcCreateProgram", FunctionDescriptor.of(I, P, P, P, I, P, P));
        // nvrtcCompileProgram(nvrtcProgram prog, int numOptions, const char * const *options)
        compileProgram = handle(l, "nvrtcCompileProgram", FunctionDescriptor.of(I, P, I, P));
        getProgramLogSize = handle(l, "nvrtcGetProgramLogSize", FunctionDescriptor.of(I, P, P));
        getProgramLog = handle(l, "nvrtcGetProgramLog", FunctionDescriptor.of(I, P, P));
        getCubinSize = handle(l, "nvrtcGetCUBINSize", FunctionDescriptor.of(I, P, P));
        getCubin = handle(l, "nvrtcGetCUBIN", FunctionDescriptor.of(I, P, P));
        destroyProgram = handle(l, "nvrtcDestroyProgram", FunctionDescriptor.of(I, P));
        getErrorString = handle(l, "nvrtcGetErrorString", FunctionDescriptor.of(P, I));
    }

    private static MethodHandle handle(SymbolLookup l, String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(l.find(name).orElseThrow(() -> new IllegalStateException("libnvrtc has no " + name)), fd);
    }

    /** The library's description of a status. */
    String errorString(int status) {
        try {
            return NativeLibraries.cString((MemorySegment) getErrorString.invokeExact(status));
        } catch (Throwable t) {
            return "";
        }
    }

    private void check(String call, int status) {
        if (status != 0) {
            throw new CudaException(call, status, "nvrtcResult", errorString(status));
        }
    }

    /** {@code nvrtcVersion} as "major.minor". */
    String version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment major = a.allocate(I);
            MemorySegment minor = a.allocate(I);
            check("nvrtcVersion", (int) version.invokeExact(major, minor));
            return major.get(I, 0) + "." + minor.get(I, 0);
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("nvrtcVersion failed", t);
        }
    }

    /**
     * Compiles {@code source} (named {@code name} in messages) with {@code options} and returns the
     * CUBIN. A compilation error throws a {@link CudaException} whose message ends with the log.
     */
    byte[] compile(String source, String name, List<String> options) {
        if (source == null || name == null || options == null) {
            throw new IllegalArgumentException("nvrtc compile: source, name and options must not be null");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment progOut = a.allocate(P);
            int status = (int) createProgram.invokeExact(progOut, a.allocateFrom(source), a.allocateFrom(name), 0,
                    MemorySegment.NULL, MemorySegment.NULL);
            check("nvrtcCreateProgram(" + name + ")", status);
            MemorySegment prog = progOut.get(P, 0);
            try {
                MemorySegment opts = a.allocate(P, Math.max(1, options.size()));
                for (int i = 0; i < options.size(); i++) {
                    opts.setAtIndex(P, i, a.allocateFrom(options.get(i)));
                }
                status = (int) compileProgram.invokeExact(prog, options.size(), opts);
                if (status != 0) {
                    String log = log(a, prog);
                    throw new CudaException("nvrtcCompileProgram(" + name + ", " + String.join(" ", options) + ")", status,
                            "nvrtcResult", errorString(status) + (log.isBlank() ? "" : "; log:\n" + log.strip()));
                }
                long size = size(a, getCubinSize, prog, "nvrtcGetCUBINSize");
                byte[] cubin = new byte[(int) size];
                if (size > 0) {
                    MemorySegment buf = a.allocate(size);
                    check("nvrtcGetCUBIN", (int) getCubin.invokeExact(prog, buf));
                    MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, cubin, 0, (int) size);
                }
                return cubin;
            } finally {
                progOut.set(P, 0, prog);
                check("nvrtcDestroyProgram", (int) destroyProgram.invokeExact(progOut));
            }
        } catch (CudaException | IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("NVRTC compilation of " + name + " failed", t);
        }
    }

    private long size(Arena a, MethodHandle h, MemorySegment prog, String call) throws Throwable {
        MemorySegment out = a.allocate(L);
        check(call, (int) h.invokeExact(prog, out));
        long size = out.get(L, 0);
        if (size < 0 || size > MAX_OUTPUT) {
            throw new IllegalStateException(call + " reported " + size + " bytes");
        }
        return size;
    }

    /** The compiler's log (empty when there is none or it cannot be read). */
    private String log(Arena a, MemorySegment prog) {
        try {
            long size = size(a, getProgramLogSize, prog, "nvrtcGetProgramLogSize");
            if (size <= 1) {
                return "";
            }
            MemorySegment buf = a.allocate(size + 1);
            check("nvrtcGetProgramLog", (int) getProgramLog.invokeExact(prog, buf));
            return buf.getString(0);
        } catch (Throwable t) {
            return "(log unreadable: " + t + ")";
        }
    }
}
