package dev.graft.nativeblas.cuda;

import dev.graft.nativeblas.GemmArgs;
import dev.graft.nativeblas.NativeLibraries;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Reference;

/**
 * A cuBLAS handle ({@code cublasCreate_v2}) and the GEMM calls on device memory. The public calls
 * on {@link DeviceBuffer}s are phrased row-major, like CBLAS and the rest of Graft, and checked in
 * Java first ({@link GemmArgs}); cuBLAS is column-major, so a row-major {@code C = op(A) op(B)}
 * is issued as the column-major {@code C^T = op(B)^T op(A)^T}: operands swap places, no data
 * moves. {@link #gemm} is the column-major form on raw device addresses that
 * {@link CudaDeviceRuntime} uses after checking its operands itself ({@link GemmLayout}): SGEMM,
 * TF32 through {@code cublasGemmEx} and DGEMM, plain or strided batched. Close the handle when
 * done ({@code cublasDestroy_v2}). A handle is not for concurrent use from several threads.
 */
@SuppressWarnings("restricted") // binding native code is what this class is for
public final class CublasHandle implements AutoCloseable {
    // cublasOperation_t (cublas_api.h): CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_OP_C = 2
    static final int OP_N = 0;
    static final int OP_T = 1;
    // cublasMath_t: CUBLAS_DEFAULT_MATH = 0, CUBLAS_TF32_TENSOR_OP_MATH = 3
    static final int DEFAULT_MATH = 0;
    static final int TF32_TENSOR_OP_MATH = 3;
    // cudaDataType_t (library_types.h): CUDA_R_32F = 0, CUDA_R_64F = 1
    static final int CUDA_R_32F = 0;
    static final int CUDA_R_64F = 1;
    // cublasComputeType_t (cublas_api.h): CUBLAS_COMPUTE_32F = 68, CUBLAS_COMPUTE_32F_FAST_TF32 = 77
    // (float accumulation; inputs may be rounded to TF32's 10 mantissa bits for the tensor cores)
    static final int COMPUTE_32F = 68;
    static final int COMPUTE_32F_FAST_TF32 = 77;
    // cublasGemmAlgo_t: CUBLAS_GEMM_DEFAULT = -1 (cuBLAS chooses)
    static final int GEMM_DEFAULT = -1;

    /** Which GEMM {@link #gemm} issues: cublasSgemm, cublasGemmEx with TF32 compute, or cublasDgemm (and their strided batched forms). */
    enum Kind {
        FP32("cublasSgemm_v2", "cublasSgemmStridedBatched", 4),
        TF32("cublasGemmEx(CUBLAS_COMPUTE_32F_FAST_TF32)", "cublasGemmStridedBatchedEx(CUBLAS_COMPUTE_32F_FAST_TF32)", 4),
        FP64("cublasDgemm_v2", "cublasDgemmStridedBatched", 8);

        final String single;
        final String batched;
        final int elementBytes;

        Kind(String single, String batched, int elementBytes) {
            this.single = single;
            this.batched = batched;
            this.elementBytes = elementBytes;
        }
    }

    /** The cuBLAS functions, bound once per library. */
    static final class Api {
        private static final Linker LINKER = Linker.nativeLinker();
        private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
        private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
        private static final ValueLayout P = ValueLayout.ADDRESS;

        final String location;
        final MethodHandle create;
        final MethodHandle destroy;
        final MethodHandle sgemm;
        final MethodHandle sgemmStridedBatched;
        final MethodHandle setMathMode;
        final MethodHandle getProperty;
        final MethodHandle statusName;
        final MethodHandle statusString;
        final MethodHandle setStream;
        final MethodHandle dgemm;
        final MethodHandle dgemmStridedBatched;
        final MethodHandle gemmEx;
        final MethodHandle gemmStridedBatchedEx;

        Api(String location, SymbolLookup l) {
            this.location = location;
            create = h(l, "cublasCreate_v2", FunctionDescriptor.of(I, P));
            destroy = h(l, "cublasDestroy_v2", FunctionDescriptor.of(I, P));
            sgemm = h(l, "cublasSgemm_v2", FunctionDescriptor.of(I, P, I, I, I, I, I, P, P, I, P, I, P, P, I));
            sgemmStridedBatched = h(l, "cublasSgemmStridedBatched",
                    FunctionDescriptor.of(I, P, I, I, I, I, I, P, P, I, L, P, I, L, P, P, I, L, I));
            setMathMode = h(l, "cublasSetMathMode", FunctionDescriptor.of(I, P, I));
            getProperty = h(l, "cublasGetProperty", FunctionDescriptor.of(I, I, P));
            statusName = l.find("cublasGetStatusName").map(s -> LINKER.downcallHandle(s, FunctionDescriptor.of(P, I))).orElse(null);
            statusString = l.find("cublasGetStatusString").map(s -> LINKER.downcallHandle(s, FunctionDescriptor.of(P, I))).orElse(null);
            setStream = h(l, "cublasSetStream_v2", FunctionDescriptor.of(I, P, P));
            // the same arguments as cublasSgemm_v2 / cublasSgemmStridedBatched, with double alpha, beta and matrices
            dgemm = h(l, "cublasDgemm_v2", FunctionDescriptor.of(I, P, I, I, I, I, I, P, P, I, P, I, P, P, I));
            dgemmStridedBatched = h(l, "cublasDgemmStridedBatched",
                    FunctionDescriptor.of(I, P, I, I, I, I, I, P, P, I, L, P, I, L, P, P, I, L, I));
            // cublasGemmEx(handle, transa, transb, m, n, k, alpha, A, Atype, lda, B, Btype, ldb, beta, C, Ctype, ldc,
            //              computeType, algo)
            gemmEx = h(l, "cublasGemmEx", FunctionDescriptor.of(I, P, I, I, I, I, I, P, P, I, I, P, I, I, P, P, I, I, I, I));
            // cublasGemmStridedBatchedEx(handle, transa, transb, m, n, k, alpha, A, Atype, lda, strideA, B, Btype, ldb,
            //                            strideB, beta, C, Ctype, ldc, strideC, batchCount, computeType, algo)
            gemmStridedBatchedEx = h(l, "cublasGemmStridedBatchedEx",
                    FunctionDescriptor.of(I, P, I, I, I, I, I, P, P, I, I, L, P, I, I, L, P, P, I, I, L, I, I, I));
        }

        private static MethodHandle h(SymbolLookup l, String name, FunctionDescriptor fd) {
            return LINKER.downcallHandle(l.find(name).orElseThrow(() -> new IllegalStateException("libcublas has no " + name)), fd);
        }

        void check(String call, int status) {
            if (status != 0) {
                throw new CudaException(call, status, name(status), description(status));
            }
        }

        /** cuBLAS's own description of a status ({@code cublasGetStatusString}); empty when this cuBLAS has none. */
        String description(int status) {
            if (statusString != null) {
                try {
                    return NativeLibraries.cString((MemorySegment) statusString.invokeExact(status));
                } catch (Throwable ignored) {
                    // no description then
                }
            }
            return "";
        }

        String name(int status) {
            if (statusName != null) {
                try {
                    return NativeLibraries.cString((MemorySegment) statusName.invokeExact(status));
                } catch (Throwable ignored) {
                    // fall back to the table
                }
            }
            return switch (status) {
                case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
                case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
                case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
                case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
                case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
                case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
                case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
                case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
                default -> "cublasStatus " + status;
            };
        }

        /** major.minor.patch from cublasGetProperty. */
        String version() {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment v = a.allocate(I);
                int[] parts = new int[3];
                for (int i = 0; i < 3; i++) {
                    check("cublasGetProperty(" + i + ")", (int) getProperty.invokeExact(i, v));
                    parts[i] = v.get(I, 0);
                }
                return parts[0] + "." + parts[1] + "." + parts[2];
            } catch (Throwable t) {
                return "(version unknown: " + t.getMessage() + ")";
            }
        }
    }

    private final Api api;
    private final MemorySegment handle;
    private boolean closed;

    CublasHandle(Api api) {
        this.api = api;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.ADDRESS);
            api.check("cublasCreate_v2", (int) api.create.invokeExact(out));
            this.handle = out.get(ValueLayout.ADDRESS, 0);
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cublasCreate_v2 failed", t);
        }
    }

    private MemorySegment handle() {
        if (closed) {
            throw new IllegalStateException("cuBLAS handle is closed");
        }
        return handle;
    }

    /** TF32 tensor-core math for float32 GEMM (about 10 mantissa bits in the products) or the default full float32. */
    public void setTf32(boolean on) {
        try {
            api.check("cublasSetMathMode(" + (on ? "TF32_TENSOR_OP" : "DEFAULT") + ")",
                    (int) api.setMathMode.invokeExact(handle(), on ? TF32_TENSOR_OP_MATH : DEFAULT_MATH));
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cublasSetMathMode failed", t);
        }
    }

    /**
     * Row-major {@code C = alpha op(A) op(B) + beta C} on device buffers (offsets and leading
     * dimensions in elements); asynchronous like every cuBLAS call: synchronise or copy back to wait.
     */
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      DeviceBuffer a, long aOff, int lda, DeviceBuffer b, long bOff, int ldb,
                      float beta, DeviceBuffer c, long cOff, int ldc) {
        String call = "cublasSgemm_v2";
        GemmArgs.check(call, transA, transB, m, n, k, a.floats(), aOff, lda, b.floats(), bOff, ldb, c.floats(), cOff, ldc);
        if (m == 0 || n == 0) {
            return;
        }
        try (Arena ar = Arena.ofConfined()) {
            int status = (int) api.sgemm.invokeExact(handle(), transB ? OP_T : OP_N, transA ? OP_T : OP_N, n, m, k,
                    ar.allocateFrom(ValueLayout.JAVA_FLOAT, alpha), ptr(b, bOff), ldb, ptr(a, aOff), lda,
                    ar.allocateFrom(ValueLayout.JAVA_FLOAT, beta), ptr(c, cOff), ldc);
            api.check(call + "(M=" + m + ", N=" + n + ", K=" + k + ")", status);
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(call + " failed", t);
        } finally {
            Reference.reachabilityFence(a);
            Reference.reachabilityFence(b);
            Reference.reachabilityFence(c);
        }
    }

    /**
     * {@code batches} row-major products; batch i reads A at {@code aOff + i * strideA} and so on
     * (a stride of 0 reuses one operand for every batch).
     */
    public void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                    DeviceBuffer a, long aOff, int lda, long strideA,
                                    DeviceBuffer b, long bOff, int ldb, long strideB,
                                    float beta, DeviceBuffer c, long cOff, int ldc, long strideC, int batches) {
        String call = "cublasSgemmStridedBatched";
        checkBatched(call, transA, transB, m, n, k, a.floats(), aOff, lda, strideA, b.floats(), bOff, ldb, strideB,
                c.floats(), cOff, ldc, strideC, batches);
        if (m == 0 || n == 0 || batches == 0) {
            return;
        }
        try (Arena ar = Arena.ofConfined()) {
            int status = (int) api.sgemmStridedBatched.invokeExact(handle(), transB ? OP_T : OP_N, transA ? OP_T : OP_N,
                    n, m, k, ar.allocateFrom(ValueLayout.JAVA_FLOAT, alpha), ptr(b, bOff), ldb, strideB, ptr(a, aOff), lda, strideA,
                    ar.allocateFrom(ValueLayout.JAVA_FLOAT, beta), ptr(c, cOff), ldc, strideC, batches);
            api.check(call + "(M=" + m + ", N=" + n + ", K=" + k + ", batches=" + batches + ")", status);
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(call + " failed", t);
        } finally {
            Reference.reachabilityFence(a);
            Reference.reachabilityFence(b);
            Reference.reachabilityFence(c);
        }
    }

    /** The checks of a strided batched call: non-negative strides and counts, and the first and last batch in bounds. */
    static void checkBatched(String call, boolean transA, boolean transB, int m, int n, int k,
                             long aLen, long aOff, int lda, long strideA, long bLen, long bOff, int ldb, long strideB,
                             long cLen, long cOff, int ldc, long strideC, int batches) {
        if (batches < 0 || strideA < 0 || strideB < 0 || strideC < 0) {
            throw new IllegalArgumentException(call + ": batch count and strides must be >= 0, got batches = " + batches
                    + ", strideA = " + strideA + ", strideB = " + strideB + ", strideC = " + strideC);
        }
        GemmArgs.check(call, transA, transB, m, n, k, aLen, aOff, lda, bLen, bOff, ldb, cLen, cOff, ldc);
        if (batches > 1) {
            long last = batches - 1L;
            GemmArgs.check(call + " (batch " + last + ")", transA, transB, m, n, k, aLen, aOff + last * strideA, lda,
                    bLen, bOff + last * strideB, ldb, cLen, cOff + last * strideC, ldc);
            if (strideC < (long) (m - 1) * ldc + n && m > 0 && n > 0) {
                throw new IllegalArgumentException(call + ": strideC = " + strideC + " makes the outputs of consecutive batches overlap"
                        + " (each needs " + ((long) (m - 1) * ldc + n) + " elements)");
            }
        }
    }

    /** {@code cublasSetStream_v2}: later calls on this handle are queued on {@code stream}. */
    void setStream(MemorySegment stream) {
        try {
            api.check("cublasSetStream_v2", (int) api.setStream.invokeExact(handle(), stream));
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cublasSetStream_v2 failed", t);
        }
    }

    /**
     * Column-major {@code C = op(A) op(B)} (alpha 1, beta 0) on raw device addresses, queued on the
     * handle's stream: {@code C} is m x n with leading dimension ldc, {@code op(A)} m x k,
     * {@code op(B)} k x n; with {@code batches > 1} the strided batched form (batch i at
     * {@code address + i * stride} elements; stride 0 shares an operand). The caller has checked
     * that every address range lies inside its allocation (this method cannot); here only the
     * arguments cuBLAS would reject are checked, so that a wrong call throws in Java.
     */
    void gemm(Kind kind, boolean transA, boolean transB, int m, int n, int k, long a, int lda, long strideA,
              long b, int ldb, long strideB, long c, int ldc, long strideC, int batches) {
        if (m < 0 || n < 0 || k < 0 || batches < 1 || strideA < 0 || strideB < 0 || strideC < 0
                || lda < Math.max(1, transA ? k : m) || ldb < Math.max(1, transB ? n : k) || ldc < Math.max(1, m)
                || a == 0 || b == 0 || c == 0) {
            throw new IllegalArgumentException(kind.single + ": invalid column-major call m=" + m + " n=" + n + " k=" + k
                    + " lda=" + lda + " ldb=" + ldb + " ldc=" + ldc + " strides " + strideA + "/" + strideB + "/" + strideC
                    + " batches=" + batches + (a == 0 || b == 0 || c == 0 ? " (a NULL address)" : ""));
        }
        if (m == 0 || n == 0) {
            return;
        }
        int opA = transA ? OP_T : OP_N;
        int opB = transB ? OP_T : OP_N;
        MemorySegment pa = MemorySegment.ofAddress(a);
        MemorySegment pb = MemorySegment.ofAddress(b);
        MemorySegment pc = MemorySegment.ofAddress(c);
        boolean batched = batches > 1;
        String call = (batched ? kind.batched : kind.single) + "(m=" + m + ", n=" + n + ", k=" + k
                + (batched ? ", batches=" + batches : "") + ")";
        try (Arena ar = Arena.ofConfined()) {
            int status;
            if (kind == Kind.FP64) {
                MemorySegment one = ar.allocateFrom(ValueLayout.JAVA_DOUBLE, 1.0);
                MemorySegment zero = ar.allocateFrom(ValueLayout.JAVA_DOUBLE, 0.0);
                status = batched
                        ? (int) api.dgemmStridedBatched.invokeExact(handle(), opA, opB, m, n, k, one, pa, lda, strideA, pb, ldb, strideB,
                                zero, pc, ldc, strideC, batches)
                        : (int) api.dgemm.invokeExact(handle(), opA, opB, m, n, k, one, pa, lda, pb, ldb, zero, pc, ldc);
            } else {
                MemorySegment one = ar.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
                MemorySegment zero = ar.allocateFrom(ValueLayout.JAVA_FLOAT, 0f);
                if (kind == Kind.FP32) {
                    status = batched
                            ? (int) api.sgemmStridedBatched.invokeExact(handle(), opA, opB, m, n, k, one, pa, lda, strideA, pb, ldb,
                                    strideB, zero, pc, ldc, strideC, batches)
                            : (int) api.sgemm.invokeExact(handle(), opA, opB, m, n, k, one, pa, lda, pb, ldb, zero, pc, ldc);
                } else {
                    status = batched
                            ? (int) api.gemmStridedBatchedEx.invokeExact(handle(), opA, opB, m, n, k, one, pa, CUDA_R_32F, lda, strideA,
                                    pb, CUDA_R_32F, ldb, strideB, zero, pc, CUDA_R_32F, ldc, strideC, batches, COMPUTE_32F_FAST_TF32,
                                    GEMM_DEFAULT)
                            : (int) api.gemmEx.invokeExact(handle(), opA, opB, m, n, k, one, pa, CUDA_R_32F, lda, pb, CUDA_R_32F, ldb,
                                    zero, pc, CUDA_R_32F, ldc, COMPUTE_32F_FAST_TF32, GEMM_DEFAULT);
                }
            }
            api.check(call, status);
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(call + " failed", t);
        }
    }

    private static MemorySegment ptr(DeviceBuffer d, long off) {
        return MemorySegment.ofAddress(d.address() + 4 * off);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            api.check("cublasDestroy_v2", (int) api.destroy.invokeExact(handle));
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cublasDestroy_v2 failed", t);
        }
    }
}
