package dev.graft.nativeblas;

import dev.graft.tensor.backend.Parallel;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;

/**
 * {@code cblas_sgemm} and {@code cblas_dgemm} of a CBLAS library (OpenBLAS, MKL, BLIS), bound
 * with the FFM API. The downcalls are {@link Linker.Option#critical(boolean) critical} with heap
 * access, so {@code float[]}/{@code double[]} operands are passed as they are, with no copy.
 *
 * <p>Every call checks its dimensions, leading dimensions, offsets and array lengths in Java first
 * ({@link GemmArgs}) and throws {@link IllegalArgumentException} naming the call and the values:
 * native code never sees an argument that would make it read or write outside the arrays.
 *
 * <p>The library's thread count follows Graft's ({@link Parallel#threads()}): it is set when the
 * library is bound and again before a call if {@link Parallel#setThreads} changed it since, so the
 * BLAS threads and the Java kernel pool never both try to use every core.
 */
@SuppressWarnings("restricted") // binding native code is what this class is for
public final class Cblas {
    private static final Logger LOG = Logger.getLogger(Cblas.class.getName());
    private static final Linker LINKER = Linker.nativeLinker();
    static final int ROW_MAJOR = 101;
    static final int NO_TRANS = 111;
    static final int TRANS = 112;

    private static final MethodType SGEMM_TYPE = MethodType.methodType(void.class, int.class, int.class, int.class,
            int.class, int.class, int.class, float.class, MemorySegment.class, int.class, MemorySegment.class, int.class,
            float.class, MemorySegment.class, int.class);
    private static final MethodType DGEMM_TYPE = SGEMM_TYPE.changeParameterType(6, double.class)
            .changeParameterType(11, double.class);

    private final MethodHandle sgemm;
    private final MethodHandle dgemm;
    private final MethodHandle setThreads;
    private final MethodHandle getThreads;
    private final String location;
    private final String source;
    private final String config;
    private final String corename;
    private final boolean ilp64;
    private volatile int threadsSet = -1;
    private final LongAdder nativeCalls = new LongAdder();

    /** The library of this JVM, found on first use; when there is none, the reason is logged once, here. */
    private static final class Default {
        static final Object RESULT = find(BlasLocator.Settings.fromSystem());

        static {
            if (RESULT instanceof String why) {
                LOG.info("graft: no BLAS library, matmul runs in Java: " + why);
            }
        }
    }

    private Cblas(BlasLocator.Found found) {
        SymbolLookup l = found.lookup();
        this.location = found.location();
        this.source = found.source();
        this.config = callString(l, "openblas_get_config");
        this.corename = callString(l, "openblas_get_corename");
        // An OpenBLAS built with INTERFACE64 takes 64-bit integers; its config string says so.
        this.ilp64 = config.contains("USE64BITINT");
        this.sgemm = gemmHandle(l, "cblas_sgemm", ValueLayout.JAVA_FLOAT, SGEMM_TYPE);
        this.dgemm = gemmHandle(l, "cblas_dgemm", ValueLayout.JAVA_DOUBLE, DGEMM_TYPE);
        this.getThreads = l.find("openblas_get_num_threads")
                .map(s -> LINKER.downcallHandle(s, FunctionDescriptor.of(ValueLayout.JAVA_INT))).orElse(null);
        this.setThreads = threadSetter(l);
        syncThreads();
    }

    /** Binds the library {@code settings} name, or returns the reason none could be bound (a String). */
    static Object find(BlasLocator.Settings settings) {
        try {
            return new Cblas(BlasLocator.locate(settings));
        } catch (BlasLocator.NotFound e) {
            return e.getMessage();
        } catch (RuntimeException | LinkageError e) {
            return "binding the BLAS failed: " + e;
        }
    }

    /**
     * The library this JVM uses (found once, as {@link BlasLocator} describes), or empty; the
     * reason is in {@link #unavailableReason()} and is logged once.
     */
    public static Optional<Cblas> find() {
        return Default.RESULT instanceof Cblas c ? Optional.of(c) : Optional.empty();
    }

    /** The library this JVM uses; throws {@link IllegalStateException} with the reason when there is none. */
    public static Cblas get() {
        return find().orElseThrow(() -> new IllegalStateException("no BLAS library: " + unavailableReason()));
    }

    /** Why {@link #find()} is empty; empty string when a library was found. */
    public static String unavailableReason() {
        return Default.RESULT instanceof String s ? s : "";
    }

    private MethodHandle gemmHandle(SymbolLookup l, String name, ValueLayout scalar, MethodType type) {
        MemorySegment sym = l.find(name).orElseThrow(() -> new IllegalStateException(location + " has no " + name));
        ValueLayout i = ilp64 ? ValueLayout.JAVA_LONG : ValueLayout.JAVA_INT;
        FunctionDescriptor fd = FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                i, i, i, scalar, ValueLayout.ADDRESS, i, ValueLayout.ADDRESS, i, scalar, ValueLayout.ADDRESS, i);
        MethodHandle h = LINKER.downcallHandle(sym, fd, Linker.Option.critical(true));
        // int arguments widen to long for an ILP64 library; the Java-side type stays the same
        return MethodHandles.explicitCastArguments(h, type);
    }

    private static MethodHandle threadSetter(SymbolLookup l) {
        Optional<MemorySegment> s = l.find("openblas_set_num_threads").or(() -> l.find("MKL_Set_Num_Threads"));
        if (s.isPresent()) {
            return LINKER.downcallHandle(s.get(), FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
        }
        // BLIS: void bli_thread_set_num_threads(dim_t n), dim_t being 64 bits
        return l.find("bli_thread_set_num_threads")
                .map(x -> MethodHandles.explicitCastArguments(
                        LINKER.downcallHandle(x, FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG)),
                        MethodType.methodType(void.class, int.class)))
                .orElse(null);
    }

    private static String callString(SymbolLookup l, String fn) {
        return l.find(fn).map(s -> {
            try {
                MemorySegment p = (MemorySegment) LINKER.downcallHandle(s, FunctionDescriptor.of(ValueLayout.ADDRESS)).invokeExact();
                return NativeLibraries.cString(p).strip();
            } catch (Throwable t) {
                return "";
            }
        }).orElse("");
    }

    /** Where the library came from: its path (or file name) as opened. */
    public String location() {
        return location;
    }

    /** How it was found: "system", "named by -Dgraft.blas.library=…", "bundled org.bytedeco:openblas:… (sha256 …)". */
    public String source() {
        return source;
    }

    /** {@code openblas_get_config()}: version and build options; empty for other libraries. */
    public String config() {
        return config;
    }

    /** {@code openblas_get_corename()}: the kernel family OpenBLAS chose for this CPU; empty for other libraries. */
    public String corename() {
        return corename;
    }

    /** The library's own thread count ({@code openblas_get_num_threads}), or -1 when it has no such function. */
    public int threads() {
        if (getThreads == null) {
            return -1;
        }
        try {
            return (int) getThreads.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_get_num_threads failed", t);
        }
    }

    /** Native GEMM calls made so far (tests use it to show that a rejected call never reached native code). */
    long nativeCalls() {
        return nativeCalls.sum();
    }

    private void syncThreads() {
        int t = Parallel.threads();
        if (t == threadsSet || setThreads == null) {
            return;
        }
        try {
            setThreads.invokeExact(t);
        } catch (Throwable e) {
            throw new IllegalStateException("setting the BLAS thread count to " + t + " failed", e);
        }
        threadsSet = t;
    }

    /**
     * {@code C = alpha * op(A) * op(B) + beta * C}, row-major, where op(A) is M x K, op(B) is K x N and
     * C is M x N; {@code aOff}, {@code bOff}, {@code cOff} are element offsets into the arrays.
     *
     * @throws IllegalArgumentException before any native code runs, when a dimension, leading
     *         dimension or offset is invalid or an operand does not fit in its array
     */
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        GemmArgs.check("cblas_sgemm", transA, transB, m, n, k, len(a), aOff, lda, len(b), bOff, ldb, len(c), cOff, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        syncThreads();
        nativeCalls.increment();
        try {
            sgemm.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha,
                    slice(a, aOff, 4), lda, slice(b, bOff, 4), ldb, beta, MemorySegment.ofArray(c).asSlice(cOff * 4L), ldc);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm failed", t);
        }
    }

    /** As {@link #sgemm}, in float64. */
    public void dgemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                      double[] a, int aOff, int lda, double[] b, int bOff, int ldb, double beta, double[] c, int cOff, int ldc) {
        GemmArgs.check("cblas_dgemm", transA, transB, m, n, k, len(a), aOff, lda, len(b), bOff, ldb, len(c), cOff, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        syncThreads();
        nativeCalls.increment();
        try {
            dgemm.invokeExact(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha,
                    slice(a, aOff, 8), lda, slice(b, bOff, 8), ldb, beta, MemorySegment.ofArray(c).asSlice(cOff * 8L), ldc);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_dgemm failed", t);
        }
    }

    private static long len(Object array) {
        return array == null ? -1 : java.lang.reflect.Array.getLength(array);
    }

    /**
     * A heap segment starting at element {@code off}; with K = 0 an operand is not read and may be
     * an empty array, so the slice is clamped to the array.
     */
    private static MemorySegment slice(Object array, int off, int bytes) {
        MemorySegment s = array instanceof float[] f ? MemorySegment.ofArray(f) : MemorySegment.ofArray((double[]) array);
        return s.asSlice(Math.min((long) off * bytes, s.byteSize()));
    }

    @Override
    public String toString() {
        return location + " [" + source + "]" + (config.isEmpty() ? "" : ": " + config)
                + (corename.isEmpty() ? "" : ", core " + corename);
    }

    /** {@code java -cp … dev.graft.nativeblas.Cblas}: prints the library path (first line), config and core; exit 1 if none. */
    public static void main(String[] args) {
        Optional<Cblas> c = find();
        if (c.isEmpty()) {
            System.err.println("no BLAS library: " + unavailableReason());
            System.exit(1);
        }
        System.out.println(c.get().location());
        System.out.println("source: " + c.get().source());
        System.out.println("config: " + c.get().config());
        System.out.println("core:   " + c.get().corename());
        System.out.println("threads: " + c.get().threads());
    }
}
