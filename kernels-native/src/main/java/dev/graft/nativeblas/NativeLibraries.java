package dev.graft.nativeblas;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Opening shared libraries with {@link SymbolLookup#libraryLookup}, plus the one thing it does not
 * give: why a library failed to open. The JDK reports only "Cannot open library"; the reason
 * (missing file, missing dependency, wrong architecture) comes from the C library's
 * {@code dlerror()}, which this class asks for by opening the library a second time itself.
 * Libraries stay loaded for the life of the JVM ({@link Arena#global()}): native code may keep
 * threads and state, and unloading a BLAS is never worth the risk.
 */
@SuppressWarnings("restricted") // binding native code is what this class is for
public final class NativeLibraries {
    private static final int RTLD_LAZY = 1;

    private NativeLibraries() {
    }

    /** Opens the library at {@code path}; the exception message says why it could not be opened. */
    public static SymbolLookup open(Path path) {
        try {
            return SymbolLookup.libraryLookup(path, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot open " + path + ": " + why(path.toString()), e);
        }
    }

    /**
     * Opens a library by file name through the dynamic linker's search (LD_LIBRARY_PATH, the
     * ld.so cache, /lib, /usr/lib); empty if it is not there or cannot be opened.
     */
    public static Optional<SymbolLookup> openByName(String name) {
        try {
            return Optional.of(SymbolLookup.libraryLookup(name, Arena.global()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The dynamic linker's reason for not opening {@code nameOrPath}, or a generic line when it gives none. */
    public static String why(String nameOrPath) {
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            Optional<MemorySegment> dlopen = libc.find("dlopen");
            Optional<MemorySegment> dlerror = libc.find("dlerror");
            Optional<MemorySegment> dlclose = libc.find("dlclose");
            if (dlopen.isEmpty() || dlerror.isEmpty() || dlclose.isEmpty()) {
                return "the dynamic linker gave no reason";
            }
            MethodHandle open = linker.downcallHandle(dlopen.get(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            MethodHandle error = linker.downcallHandle(dlerror.get(), FunctionDescriptor.of(ValueLayout.ADDRESS));
            MethodHandle close = linker.downcallHandle(dlclose.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            try (Arena arena = Arena.ofConfined()) {
                error.invoke(); // clear a stale message
                MemorySegment h = (MemorySegment) open.invoke(arena.allocateFrom(nameOrPath), RTLD_LAZY);
                if (!h.equals(MemorySegment.NULL)) {
                    int ignored = (int) close.invoke(h);
                    return "it opens when tried again (was it replaced meanwhile?)";
                }
                MemorySegment msg = (MemorySegment) error.invoke();
                return msg.equals(MemorySegment.NULL) ? "the dynamic linker gave no reason" : cString(msg);
            }
        } catch (Throwable t) {
            return "the dynamic linker gave no reason (" + t + ")";
        }
    }

    /**
     * The file a symbol was loaded from ({@code dladdr}), e.g. the path the dynamic linker chose for
     * a library opened by name; empty when the C library cannot say.
     */
    public static Optional<String> fileOf(MemorySegment symbol) {
        try {
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> dladdr = linker.defaultLookup().find("dladdr");
            if (dladdr.isEmpty()) {
                return Optional.empty();
            }
            MethodHandle h = linker.downcallHandle(dladdr.get(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            try (Arena arena = Arena.ofConfined()) {
                // Dl_info: const char *dli_fname; void *dli_fbase; const char *dli_sname; void *dli_saddr
                MemorySegment info = arena.allocate(ValueLayout.ADDRESS.byteSize() * 4, ValueLayout.ADDRESS.byteAlignment());
                int ok = (int) h.invoke(symbol, info);
                if (ok == 0) {
                    return Optional.empty();
                }
                String f = cString(info.get(ValueLayout.ADDRESS, 0));
                return f.isEmpty() ? Optional.empty() : Optional.of(f);
            }
        } catch (Throwable t) {
            return Optional.empty();
        }
    }

    /** Reads a NUL-terminated C string that native code returned (at most 64 KiB). */
    public static String cString(MemorySegment p) {
        if (p.equals(MemorySegment.NULL)) {
            return "";
        }
        return p.reinterpret(65536).getString(0);
    }
}
