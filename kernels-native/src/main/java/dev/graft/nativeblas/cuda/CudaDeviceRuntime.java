package dev.graft.nativeblas.cuda;

import dev.graft.tensor.DType;
import dev.graft.tensor.Device;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.spi.BinaryOp;
import dev.graft.tensor.spi.DeviceMemory;
import dev.graft.tensor.spi.DeviceRuntime;
import dev.graft.tensor.spi.ReduceOp;
import dev.graft.tensor.spi.UnaryOp;

import java.lang.ref.Reference;

/**
 * CUDA for device tensors ({@code tensor.to(Device.cuda(i))}), found by
 * {@link java.util.ServiceLoader} as a {@link DeviceRuntime} of type {@code "cuda"}. Memory is
 * {@link CudaMemory} (any dtype). {@link #matmul}: float32 through
 * {@code cublasSgemm} (or {@code cublasGemmEx} with TF32 tensor-core compute when
 * {@code -Dgraft.cuda.tf32=true}), float64 through {@code cublasDgemm}, strided batched when there
 * are batches, reading transposed and broadcast views in place ({@link GemmLayout}). Unary, binary,
 * where, copy, fill and reduce ({@link CudaElementwise}), and unfold2d, fold2d, gather, indexSelect
 * and scatterAdd ({@link CudaIndexing}) run on Graft's own kernels, compiled by NVRTC on first use
 * ({@link CudaKernels}); what they do not take, and every other primitive (sort, cumsum), runs on
 * the host copy ({@link dev.graft.tensor.DeviceDispatch}).
 *
 * <p>Constructing it does nothing native; {@link #available()} runs {@link CudaBlas}'s probe once.
 * Each device gets, on first use, one non-blocking stream and one cuBLAS handle bound to it
 * ({@link CudaDeviceContext}); all device work is queued there in order, and copies to the host
 * wait for it. GEMMs are asynchronous: {@link #synchronize} waits for them (a copy to the host
 * does so anyway).
 */
public final class CudaDeviceRuntime implements DeviceRuntime {
    /** {@code -Dgraft.cuda.tf32=true}: float32 matmul on device tensors uses TF32 tensor cores (about 10 mantissa bits in the products). */
    public static final String TF32_PROPERTY = "graft.cuda.tf32";

    /** Cheap: nothing is loaded or probed until {@link #available()} or an allocation. */
    public CudaDeviceRuntime() {
    }

    @Override
    public String type() {
        return "cuda";
    }

    @Override
    public boolean available() {
        return CudaBlas.available();
    }

    @Override
    public String unavailableReason() {
        return CudaBlas.unavailableReason();
    }

    @Override
    public int deviceCount() {
        return CudaBlas.deviceCount();
    }

    private static CudaDeviceContext context(Device device, String what) {
        if (device == null || !"cuda".equals(device.type())) {
            throw new IllegalArgumentException(what + ": " + device + " is not a CUDA device");
        }
        return CudaDeviceContext.of(device.index());
    }

    @Override
    public DeviceMemory allocate(Device device, DType dtype, long length) {
        if (dtype == null) {
            throw new IllegalArgumentException("allocate: dtype is null");
        }
        long bytes = CudaMemory.bytesFor(dtype, length);
        CudaDeviceContext ctx = context(device, "allocate");
        long p = ctx.malloc(bytes);
        return new CudaMemory(ctx, dtype, length, p, bytes);
    }

    /** Whether float32 products use TF32 now ({@value #TF32_PROPERTY}, read on every call). */
    public static boolean tf32() {
        return Boolean.getBoolean(TF32_PROPERTY);
    }

    @Override
    public boolean matmul(Tensor a, Tensor b, Tensor out) {
        DType dt = out.dtype();
        if (a.dtype() != dt || b.dtype() != dt || (dt != DType.FLOAT32 && dt != DType.FLOAT64)) {
            return false;
        }
        Device d = out.storage().device();
        if (!"cuda".equals(d.type()) || !a.storage().device().equals(d) || !b.storage().device().equals(d)
                || out.storage() == a.storage() || out.storage() == b.storage()) {
            return false;
        }
        GemmLayout layout = GemmLayout.of(a, b, out);
        switch (layout.kind) {
            case REFUSED:
                return false;
            case EMPTY:
                return true;
            default:
                break;
        }
        CudaDeviceContext ctx = context(d, "matmul");
        CudaMemory ma = null;
        CudaMemory mb = null;
        if (layout.kind == GemmLayout.Kind.GEMM) {
            ma = ours(a.storage().deviceForRead(), ctx, a.storage().length());
            mb = ours(b.storage().deviceForRead(), ctx, b.storage().length());
            if (ma == null || mb == null) {
                return false; // not memory this runtime made: nothing was written
            }
        }
        boolean whole = out.offset() == 0 && (long) out.numel() == out.storage().length();
        CudaMemory mo = ours(out.storage().deviceForWrite(whole), ctx, out.storage().length());
        if (mo == null) {
            throw new IllegalStateException("matmul: the output's device memory on " + d + " was not made by the CUDA runtime");
        }
        int es = dt.byteSize();
        int previous = ctx.enter();
        try {
            if (layout.kind == GemmLayout.Kind.ZERO_FILL) {
                ctx.zeroLocked(mo.addressLocked(layout.fillOffset, "matmul"), layout.fillCount * es);
                return true;
            }
            CublasHandle.Kind kind = dt == DType.FLOAT64 ? CublasHandle.Kind.FP64 : tf32() ? CublasHandle.Kind.TF32 : CublasHandle.Kind.FP32;
            long pa = ma.addressLocked(0, "matmul");
            long pb = mb.addressLocked(0, "matmul");
            long pc = mo.addressLocked(0, "matmul");
            CublasHandle h = ctx.handleLocked();
            for (int c = 0; c < layout.calls(); c++) {
                // column-major C^T [N x M] = op(B)^T [N x K] · op(A)^T [K x M]
                h.gemm(kind, layout.b.transposed(), layout.a.transposed(), layout.n, layout.m, layout.k,
                        pb + layout.bOffsets[c] * es, layout.b.ld(), layout.b.batchStride(),
                        pa + layout.aOffsets[c] * es, layout.a.ld(), layout.a.batchStride(),
                        pc + layout.cOffsets[c] * es, layout.ldc, layout.strideC, layout.batchCount);
            }
            return true;
        } finally {
            ctx.exit(previous);
            Reference.reachabilityFence(ma);
            Reference.reachabilityFence(mb);
            Reference.reachabilityFence(mo);
        }
    }

    // The other primitives run on Graft's NVRTC-compiled kernels (CudaElementwise), or return false for the host.

    @Override
    public boolean unary(UnaryOp op, double p0, double p1, Tensor x, Tensor out) {
        return CudaElementwise.unary(op, p0, p1, x, out);
    }

    @Override
    public boolean binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        return CudaElementwise.binary(op, a, b, out);
    }

    @Override
    public boolean where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        return CudaElementwise.where(cond, a, b, out);
    }

    @Override
    public boolean copy(Tensor src, Tensor dst) {
        return CudaElementwise.copy(src, dst);
    }

    @Override
    public boolean fill(Tensor dst, double value) {
        return CudaElementwise.fill(dst, value);
    }

    @Override
    public boolean reduce(ReduceOp op, Tensor x, Tensor out, Tensor indices) {
        return CudaElementwise.reduce(op, x, out, indices);
    }

    // Convolution and indexing primitives on the same kernels (CudaIndexing), or false for the host.

    @Override
    public boolean unfold2d(Tensor x, int[] g, double padValue, Tensor out) {
        return CudaIndexing.unfold2d(x, g, padValue, out);
    }

    @Override
    public boolean fold2d(Tensor cols, int[] g, Tensor out) {
        return CudaIndexing.fold2d(cols, g, out);
    }

    @Override
    public boolean gather(Tensor x, int dim, Tensor index, Tensor out) {
        return CudaIndexing.gather(x, dim, index, out);
    }

    @Override
    public boolean scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        return CudaIndexing.scatterAdd(dst, dim, index, src);
    }

    @Override
    public boolean indexSelect(Tensor x, int dim, Tensor index, Tensor out) {
        return CudaIndexing.indexSelect(x, dim, index, out);
    }

    /** {@code m} as CUDA memory of this context holding at least {@code elements}, or null. */
    private static CudaMemory ours(DeviceMemory m, CudaDeviceContext ctx, long elements) {
        if (m instanceof CudaMemory cm && cm.context() == ctx && cm.length() >= elements) {
            return cm;
        }
        return null;
    }

    @Override
    public void synchronize(Device device) {
        context(device, "synchronize").synchronize();
    }

    /**
     * Free and total memory of {@code device} ({@code cudaMemGetInfo}); makes the device's
     * context if there is none yet.
     */
    public static CudaRuntime.MemInfo memInfo(Device device) {
        return context(device, "memInfo").memInfo();
    }

    /**
     * Frees the blocks that released device tensors left for reuse (Graft keeps them, as PyTorch's
     * caching allocator does, so a loop that allocates the same shapes does not call cudaMalloc
     * every step); returns the bytes given back to CUDA. Allocation does this by itself before
     * reporting out of memory; call it to hand memory to another library or process.
     */
    public static long emptyCache(Device device) {
        return context(device, "emptyCache").emptyCache();
    }

    /** Bytes of {@code device} in freed blocks kept for reuse (see {@link #emptyCache}). */
    public static long cachedBytes(Device device) {
        return context(device, "cachedBytes").cachedBytes();
    }

    /** Bytes of {@code device} held by live {@link CudaMemory} (allocated through this runtime, not yet released). */
    public static long liveBytes(Device device) {
        return context(device, "liveBytes").liveBytes();
    }

    @Override
    public String report() {
        StringBuilder sb = new StringBuilder();
        if (!available()) { // the reason itself is printed by Devices.report()
            return "libraries: -D" + CudaLibraries.PATH_PROPERTY + "=DIR[:DIR] (or CUDA_HOME) names where libcudart and libcublas are;"
                    + " =none turns CUDA off\n";
        }
        sb.append("library: ").append(CudaBlas.status()).append('\n');
        sb.append("kernels: matmul float32 (").append(tf32() ? "cublasGemmEx, TF32 tensor cores: -D" + TF32_PROPERTY + "=true"
                : "cublasSgemm, full FP32; TF32 with -D" + TF32_PROPERTY + "=true").append("), float64 (cublasDgemm);")
                .append(" elementwise ops, where, copies, fills, reductions, unfold/fold, gather, indexSelect and scatterAdd: ").append(CudaElementwise.status()).append('\n');
        for (int i = 0; i < deviceCount(); i++) {
            CudaDeviceContext c = CudaDeviceContext.ifMade(i);
            if (c != null) {
                String mem;
                try {
                    CudaRuntime.MemInfo info = c.memInfo();
                    mem = CudaDeviceContext.mib(info.free()) + " free of " + CudaDeviceContext.mib(info.total());
                } catch (RuntimeException e) {
                    mem = "memory unknown: " + e.getMessage();
                }
                sb.append("cuda:").append(i).append(": in use, ").append(c.liveAllocations()).append(" tensor allocations holding ")
                        .append(CudaDeviceContext.mib(c.liveBytes())).append(", ").append(CudaDeviceContext.mib(c.cachedBytes()))
                        .append(" kept for reuse (-D").append(CudaDeviceContext.CACHE_PROPERTY).append("=false frees at once); ")
                        .append(mem).append('\n');
            }
        }
        return sb.toString();
    }
}
