package dev.graft.nativeblas.cuda;

import dev.graft.nativeblas.GemmArgs;

/**
 * The entry point to the GPU: whether CUDA is usable here and why not ({@link #status()}, shown
 * by {@code graft doctor}), and SGEMM on Java arrays ({@link #sgemm}: copy in, multiply in
 * cuBLAS, copy out). Tensors on the GPU ({@code tensor.to(Device.cuda(0))}) are served by
 * {@link CudaDeviceRuntime}, which uses the same probe.
 *
 * <p>The libraries are found as {@link CudaLibraries} describes and probed once, on first use:
 * the runtime must load, report at least one device ({@code cudaGetDeviceCount}), and cuBLAS of the
 * same major version must load. {@link #sgemm} uses device 0.
 */
public final class CudaBlas {
    /** Everything the probe found; {@code reason} is non-null when CUDA is unusable. */
    record Probe(CudaRuntime rt, CublasHandle.Api cublas, String summary, String reason, int devices) {
        Probe(CudaRuntime rt, CublasHandle.Api cublas, String summary, String reason) {
            this(rt, cublas, summary, reason, 0);
        }
    }

    private static final class Holder {
        static final Probe PROBE = probe();
    }

    private static CublasHandle defaultHandle;

    private CudaBlas() {
    }

    /**
     * CUDA 13's libraries if they are here and work, else CUDA 12's (a driver too old for 13 may
     * still run 12); the reason, when neither works, is that of the newest version found.
     */
    private static Probe probe() {
        try {
            CudaLibraries.Settings s = CudaLibraries.Settings.fromSystem();
            Probe first = null;
            StringBuilder others = new StringBuilder();
            for (int major : CudaLibraries.MAJORS) {
                CudaLibraries.Found f = CudaLibraries.locate(s, major);
                if (f.cudart() == null) {
                    continue;
                }
                Probe p = probe(f);
                if (p.reason() == null) {
                    return p;
                }
                if (first == null) {
                    first = p;
                } else {
                    others.append("; with CUDA ").append(major).append(": ").append(p.reason());
                }
            }
            if (first == null) {
                return probe(CudaLibraries.locate(s, 0));
            }
            return others.isEmpty() ? first : new Probe(null, null, null, first.reason() + others);
        } catch (RuntimeException | LinkageError e) {
            return new Probe(null, null, null, "looking for the CUDA libraries failed: " + e);
        }
    }

    /** Binds and checks what {@link CudaLibraries#locate} found; the reason says what is missing. */
    static Probe probe(CudaLibraries.Found f) {
        if (f.cudart() == null) {
            if ("none".equals(f.explicit())) {
                return new Probe(null, null, null, "turned off by -D" + CudaLibraries.PATH_PROPERTY + "=none");
            }
            return new Probe(null, null, null, "library missing: no libcudart.so.13 or libcudart.so.12 in " + f.searched()
                    + (f.explicit() != null ? "" : " (set CUDA_HOME or -D" + CudaLibraries.PATH_PROPERTY + "=DIR)"));
        }
        StringBuilder problems = new StringBuilder();
        CudaRuntime rt = null;
        String devices = null;
        int n = 0;
        try {
            rt = new CudaRuntime(f.cudart().location(), f.cudart().lookup());
            n = rt.deviceCount();
            if (n == 0) {
                problems.append("no device: cudaGetDeviceCount found 0 CUDA devices");
            } else {
                StringBuilder d = new StringBuilder(n + (n == 1 ? " device: " : " devices: "));
                for (int i = 0; i < n; i++) {
                    d.append(i == 0 ? "" : ", ").append(i).append(' ').append(rt.deviceDescription(i));
                }
                devices = d.toString();
            }
        } catch (CudaException e) {
            problems.append("no device: ").append(e.getMessage()).append(" (is an NVIDIA driver installed and a GPU visible?)");
        } catch (RuntimeException | LinkageError e) {
            problems.append("libcudart at ").append(f.cudart().location()).append(" could not be bound: ").append(e);
        }
        CublasHandle.Api api = null;
        if (f.cublas() == null) {
            problems.append(problems.isEmpty() ? "" : "; ").append("library missing: no libcublas.so.").append(f.major())
                    .append(" (to go with libcudart.so.").append(f.major()).append(") in ").append(f.searched());
        } else {
            try {
                api = new CublasHandle.Api(f.cublas().location(), f.cublas().lookup());
            } catch (RuntimeException | LinkageError e) {
                problems.append(problems.isEmpty() ? "" : "; ").append("libcublas at ").append(f.cublas().location())
                        .append(" could not be bound: ").append(e);
            }
        }
        String versions = "";
        if (rt != null) {
            try {
                versions = "CUDA runtime " + version(rt.runtimeVersion()) + " (" + f.cudart().location() + "), driver supports "
                        + version(rt.driverVersion());
            } catch (RuntimeException e) {
                versions = "CUDA runtime at " + f.cudart().location();
            }
        }
        if (!problems.isEmpty()) {
            return new Probe(null, null, null, problems + (versions.isEmpty() ? "" : "; " + versions));
        }
        try {
            rt.setDevice(0);
        } catch (CudaException e) {
            return new Probe(null, null, null, e.getMessage());
        }
        String summary = versions + "; " + devices + "; cuBLAS " + api.version() + " (" + api.location + ")";
        return new Probe(rt, api, summary, null, n);
    }

    private static String version(int v) {
        return v == 0 ? "none (no driver)" : (v / 1000) + "." + (v % 1000) / 10;
    }

    /** True when a device, the runtime and cuBLAS are all usable. */
    public static boolean available() {
        return Holder.PROBE.reason() == null;
    }

    /** Why CUDA is unusable (library missing, no device …); empty when it is usable. */
    public static String unavailableReason() {
        String r = Holder.PROBE.reason();
        return r == null ? "" : r;
    }

    /** One line for doctor: "available: …versions, devices, libraries…" or "unavailable: …why…". */
    public static String status() {
        Probe p = Holder.PROBE;
        return p.reason() == null ? "available: " + p.summary() : "unavailable: " + p.reason();
    }

    /** The CUDA runtime; throws {@link IllegalStateException} with the reason when CUDA is unusable. */
    public static CudaRuntime runtime() {
        return usable().rt();
    }

    /** A new cuBLAS handle on device 0 (close it); throws {@link IllegalStateException} when CUDA is unusable. */
    public static CublasHandle newHandle() {
        return new CublasHandle(usable().cublas());
    }

    /** The bound cuBLAS functions; throws {@link IllegalStateException} when CUDA is unusable. */
    static CublasHandle.Api cublasApi() {
        return usable().cublas();
    }

    /** CUDA devices the probe found (0 when CUDA is unusable). */
    static int deviceCount() {
        Probe p = Holder.PROBE;
        return p.reason() == null ? p.devices() : 0;
    }

    private static Probe usable() {
        Probe p = Holder.PROBE;
        if (p.reason() != null) {
            throw new IllegalStateException("CUDA is not available: " + p.reason());
        }
        return p;
    }

    /**
     * Row-major {@code C = alpha op(A) op(B) + beta C} on Java arrays, like
     * {@code Cblas.sgemm}: the arguments are checked first (an invalid call throws
     * {@link IllegalArgumentException} whether or not there is a GPU), then A, B (and C when beta
     * is not 0 or C has gaps between rows) are copied to the device, multiplied by
     * {@code cublasSgemm_v2} in full float32, and C is copied back. Calls are serialised on one
     * shared handle.
     *
     * @throws IllegalStateException when CUDA is not available (the message says why)
     * @throws CudaException when a CUDA or cuBLAS call fails (the message names it)
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        GemmArgs.check("CudaBlas.sgemm", transA, transB, m, n, k, len(a), aOff, lda, len(b), bOff, ldb, len(c), cOff, ldc);
        sgemmStridedBatched(transA, transB, m, n, k, alpha, a, aOff, lda, 0, b, bOff, ldb, 0, beta, c, cOff, ldc, 0, 1);
    }

    /**
     * {@code batches} row-major products on Java arrays (batch i at offsets {@code off + i * stride};
     * stride 0 shares an operand), one {@code cublasSgemmStridedBatched} call. Checked like {@link #sgemm}.
     */
    public static void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                           float[] a, int aOff, int lda, long strideA, float[] b, int bOff, int ldb, long strideB,
                                           float beta, float[] c, int cOff, int ldc, long strideC, int batches) {
        String call = "CudaBlas.sgemmStridedBatched";
        CublasHandle.checkBatched(call, transA, transB, m, n, k, len(a), aOff, lda, strideA, len(b), bOff, ldb, strideB,
                len(c), cOff, ldc, strideC, batches);
        if (m == 0 || n == 0 || batches == 0) {
            return;
        }
        Probe p = usable();
        long spanA = span(transA ? k : m, transA ? m : k, lda, strideA, batches);
        long spanB = span(transB ? n : k, transB ? k : n, ldb, strideB, batches);
        long spanC = span(m, n, ldc, strideC, batches);
        boolean gaps = ldc != n || (batches > 1 && strideC != (long) m * n);
        synchronized (CudaBlas.class) {
            if (defaultHandle == null) {
                defaultHandle = new CublasHandle(p.cublas());
            }
            try (DeviceBuffer da = DeviceBuffer.allocate(p.rt(), spanA);
                 DeviceBuffer db = DeviceBuffer.allocate(p.rt(), spanB);
                 DeviceBuffer dc = DeviceBuffer.allocate(p.rt(), spanC)) {
                da.copyFrom(a, aOff, 0, Math.toIntExact(spanA));
                db.copyFrom(b, bOff, 0, Math.toIntExact(spanB));
                if (beta != 0f || gaps) {
                    dc.copyFrom(c, cOff, 0, Math.toIntExact(spanC)); // keeps what lies between the rows of C
                }
                if (batches == 1) {
                    defaultHandle.sgemm(transA, transB, m, n, k, alpha, da, 0, lda, db, 0, ldb, beta, dc, 0, ldc);
                } else {
                    defaultHandle.sgemmStridedBatched(transA, transB, m, n, k, alpha, da, 0, lda, strideA, db, 0, ldb, strideB,
                            beta, dc, 0, ldc, strideC, batches);
                }
                dc.copyTo(0, c, cOff, Math.toIntExact(spanC)); // cudaMemcpy waits for the GEMM
            }
        }
    }

    /** Elements from the first to the last one an operand of {@code batches} stored [rows x cols] matrices touches. */
    private static long span(int rows, int cols, int ld, long stride, int batches) {
        if (rows == 0 || cols == 0) {
            return 0;
        }
        return (batches - 1L) * stride + (long) (rows - 1) * ld + cols;
    }

    private static long len(float[] x) {
        return x == null ? -1 : x.length;
    }
}
