package dev.graft.nativeblas.cuda;

import dev.graft.tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every CUDA runtime and cuBLAS downcall Graft makes, run without a GPU against stand-ins from the
 * C library, so that a descriptor that does not match its call site ({@code invokeExact} throws
 * {@code WrongMethodTypeException}), a heap array a critical call refuses, or a wrong status check
 * shows up in CI rather than on the GPU machine.
 *
 * <p>The stand-in for every function is {@code int sched_yield(void)}: it returns 0 (success)
 * and, under the x86-64 and AArch64 C calling conventions, ignores whatever arguments it is
 * passed. {@code cudaMalloc(void **p, size_t n)} is {@code int pipe(int fds[2])}, which writes two
 * descriptors (non-zero) into the 8 bytes at {@code p} and returns 0: a non-NULL fake address that
 * is never dereferenced (every copy is sched_yield too). A failing call is {@code getpid()}, whose
 * non-zero result must come back as a {@link CudaException} naming the call.
 */
@SuppressWarnings("restricted")
class NativeSignaturesTest {
    private static final SymbolLookup LIBC = Linker.nativeLinker().defaultLookup();

    private static SymbolLookup fake(Map<String, String> overrides) {
        MemorySegment yield = LIBC.find("sched_yield").orElseThrow();
        return name -> Optional.of(overrides.containsKey(name) ? LIBC.find(overrides.get(name)).orElseThrow() : yield);
    }

    @Test
    void everyRuntimeCallLinksAndChecksItsStatus() {
        CudaRuntime rt = new CudaRuntime("fake", fake(Map.of()));
        rt.setDevice(1);
        assertEquals(0, rt.currentDevice());
        assertEquals(0, rt.clearLastError());
        assertEquals(new CudaRuntime.MemInfo(0, 0), rt.memInfo());
        MemorySegment stream = rt.createStream();
        rt.synchronize(stream, "test");
        rt.memsetAsync(0x1000, 0, 64, stream, "test");
        for (DType dt : DType.values()) {
            Object host = DeviceChecks.sample(dt, 9);
            long bytes = 4L * dt.byteSize();
            MemorySegment slice = CudaRuntime.heap(host).asSlice(2L * dt.byteSize(), bytes);
            rt.copyToDeviceAsync(0x1000, slice, bytes, stream, "test " + dt);
            rt.copyToHostAsync(slice, 0x1000, bytes, stream, "test " + dt);
            assertThrows(IllegalArgumentException.class, () -> rt.copyToDeviceAsync(0x1000, slice, bytes + 1, stream, "too long"));
        }
        rt.destroyStream(stream);
        rt.synchronize();
        rt.free(0x1000);
        assertEquals(0, rt.deviceCount());
        assertEquals(0, rt.runtimeVersion());

        CudaRuntime failing = new CudaRuntime("fake", fake(Map.of("cudaMalloc", "getpid", "cudaMemcpyAsync", "getpid")));
        CudaException e = assertThrows(CudaException.class, () -> failing.malloc(16));
        assertEquals("cudaMalloc(16 bytes)", e.call());
        assertEquals(ProcessHandle.current().pid(), e.status());
        e = assertThrows(CudaException.class, () -> failing.copyToHostAsync(MemorySegment.ofArray(new float[4]), 0x1000, 16,
                MemorySegment.NULL, "cuda:0"));
        assertEquals("cudaMemcpyAsync(device to host, 16 bytes, cuda:0)", e.call());
    }

    @Test
    void everyCublasCallLinks() {
        CublasHandle.Api api = new CublasHandle.Api("fake", fake(Map.of()));
        assertEquals("0.0.0", api.version());
        try (CublasHandle h = new CublasHandle(api)) {
            h.setStream(MemorySegment.NULL);
            h.setTf32(true);
            h.setTf32(false);
            for (CublasHandle.Kind kind : CublasHandle.Kind.values()) {
                for (int batches : new int[] {1, 3}) {
                    // column-major m=4, n=5, k=6 with A transposed (stored k x m) and B not (stored k x n)
                    h.gemm(kind, true, false, 4, 5, 6, 0x1000, 6, 24, 0x2000, 6, 30, 0x3000, 4, 20, batches);
                    h.gemm(kind, false, true, 4, 5, 6, 0x1000, 4, 0, 0x2000, 5, 0, 0x3000, 7, 35, batches);
                }
                h.gemm(kind, false, false, 0, 5, 6, 0x1000, 1, 0, 0x2000, 6, 0, 0x3000, 1, 0, 1); // nothing to do
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> h.gemm(kind, false, false, 4, 5, 6, 0x1000, 3, 0, 0x2000, 6, 0, 0x3000, 4, 0, 1));
                assertTrue(e.getMessage().startsWith(kind.single + ": invalid column-major call"), e.getMessage());
                assertThrows(IllegalArgumentException.class,
                        () -> h.gemm(kind, false, false, 4, 5, 6, 0, 4, 0, 0x2000, 6, 0, 0x3000, 4, 0, 1), "a NULL address");
                assertThrows(IllegalArgumentException.class,
                        () -> h.gemm(kind, false, false, 4, 5, 6, 0x1000, 4, 0, 0x2000, 6, 0, 0x3000, 4, 0, 0), "no batches");
            }
        }
        CublasHandle.Api failing = new CublasHandle.Api("fake", fake(Map.of("cublasDgemmStridedBatched", "getpid",
                "cublasGetStatusName", "sched_yield", "cublasGetStatusString", "sched_yield")));
        try (CublasHandle h = new CublasHandle(failing)) {
            CudaException e = assertThrows(CudaException.class,
                    () -> h.gemm(CublasHandle.Kind.FP64, false, false, 4, 5, 6, 0x1000, 4, 0, 0x2000, 6, 0, 0x3000, 4, 20, 2));
            assertEquals("cublasDgemmStridedBatched(m=4, n=5, k=6, batches=2)", e.call());
        }
    }

    @Test
    void everyNvrtcCallLinksAndAFailedCompileCarriesTheCall() {
        Nvrtc nvrtc = new Nvrtc("fake", fake(Map.of()));
        assertEquals("0.0", nvrtc.version());
        byte[] cubin = nvrtc.compile("extern \"C\" __global__ void k() {}", "k.cu", List.of("--gpu-architecture=sm_90", "--std=c++17"));
        assertEquals(0, cubin.length, "the stand-in reports an empty CUBIN");
        assertThrows(IllegalArgumentException.class, () -> nvrtc.compile(null, "k.cu", List.of()));
        Nvrtc failing = new Nvrtc("fake", fake(Map.of("nvrtcCompileProgram", "getpid")));
        CudaException e = assertThrows(CudaException.class, () -> failing.compile("x", "k.cu", List.of("-default-device")));
        assertEquals("nvrtcCompileProgram(k.cu, -default-device)", e.call());
        assertEquals(ProcessHandle.current().pid(), e.status());
    }

    @Test
    void everyDriverCallLinksAndChecksItsStatus() {
        CudaDriver d = new CudaDriver("fake", fake(Map.of()));
        d.init();
        assertEquals(0, d.device(0));
        assertEquals(0, d.attribute(CudaDriver.ATTRIBUTE_CC_MAJOR, 0));
        MemorySegment ctx = d.primaryContext(0);
        d.setCurrent(ctx);
        MemorySegment module = d.loadModule(new byte[] {1, 2, 3});
        MemorySegment fn = d.function(module, "unary_f32");
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment param = a.allocate(KernelArgs.SIZE, 16);
            d.launch("unary_f32", fn, 4, 256, MemorySegment.NULL, param);
            assertThrows(IllegalArgumentException.class, () -> d.launch("k", fn, 0, 256, MemorySegment.NULL, param));
            assertThrows(IllegalArgumentException.class, () -> d.launch("k", fn, 1, 2048, MemorySegment.NULL, param));
            assertThrows(IllegalArgumentException.class, () -> d.loadModule(new byte[0]));
            CudaDriver failing = new CudaDriver("fake", fake(Map.of("cuLaunchKernel", "getpid")));
            CudaException e = assertThrows(CudaException.class, () -> failing.launch("unary_f32", fn, 4, 256, MemorySegment.NULL, param));
            assertEquals("cuLaunchKernel(unary_f32, grid 4, block 256)", e.call());
            assertTrue(e.getMessage().contains("CUresult"), e.getMessage());
        }
    }

    @Test
    void memoryOnAFakeDeviceChecksReleasesAndCounts() {
        CudaRuntime rt = new CudaRuntime("fake", fake(Map.of("cudaMalloc", "pipe")));
        CudaDeviceContext ctx = new CudaDeviceContext(1, rt, new CublasHandle.Api("fake", fake(Map.of()))); // device 1: set and restored
        long before = ctx.liveBytes();
        CudaMemory m = new CudaMemory(ctx, DType.FLOAT64, 10, ctx.malloc(80), 80);
        assertEquals(before + 80, ctx.liveBytes());
        int previous = ctx.enter();
        try {
            long base = m.addressLocked(0, "test");
            assertNotEquals(0, base);
            assertEquals(base + 3 * 8, m.addressLocked(3, "test"));
        } finally {
            ctx.exit(previous);
        }
        m.upload(new double[12], 2, 0, 10);
        m.download(0, new double[10], 0, 10);
        assertThrows(IllegalArgumentException.class, () -> m.upload(new double[12], 2, 1, 10), "past the end");
        assertThrows(IllegalArgumentException.class, () -> m.upload(new float[12], 0, 0, 1), "wrong array type");
        assertFalse(m.isReleased());
        m.release();
        assertTrue(m.isReleased());
        assertEquals(before, ctx.liveBytes());
        m.release(); // idempotent
        assertEquals(before, ctx.liveBytes());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.upload(new double[1], 0, 0, 1));
        assertTrue(e.getMessage().contains("was released"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> m.download(0, new double[1], 0, 0));

        // concurrent releases free once
        CudaMemory shared = new CudaMemory(ctx, DType.UINT8, 7, ctx.malloc(7), 7);
        Thread[] ts = new Thread[8];
        for (int i = 0; i < ts.length; i++) {
            ts[i] = new Thread(shared::release);
            ts[i].start();
        }
        for (Thread t : ts) {
            try {
                t.join();
            } catch (InterruptedException ie) {
                throw new AssertionError(ie);
            }
        }
        assertEquals(before, ctx.liveBytes());
        assertEquals(0, ctx.liveAllocations());
    }

    @Test
    void releasedBlocksAreKeptForReuseByTheirSizeClass() {
        CudaRuntime rt = new CudaRuntime("fake", fake(Map.of("cudaMalloc", "pipe")));
        CudaDeviceContext ctx = new CudaDeviceContext(0, rt, new CublasHandle.Api("fake", fake(Map.of())));
        assertEquals(512, CudaDeviceContext.sizeClass(1));
        assertEquals(1024, CudaDeviceContext.sizeClass(513));
        assertEquals(2L << 20, CudaDeviceContext.sizeClass((1L << 20) + 1));
        assertEquals(4L << 20, CudaDeviceContext.sizeClass((2L << 20) + 1));
        long p1 = ctx.malloc(80);
        new CudaMemory(ctx, DType.FLOAT64, 10, p1, 80).release();
        assertEquals(0, ctx.liveBytes());
        assertEquals(512, ctx.cachedBytes());
        long p2 = ctx.malloc(300); // same class: the cached block comes back
        assertEquals(p1, p2);
        assertEquals(0, ctx.cachedBytes());
        assertEquals(300, ctx.liveBytes());
        CudaMemory m2 = new CudaMemory(ctx, DType.UINT8, 300, p2, 300);
        long p3 = ctx.malloc(4096); // another class: a new block
        CudaMemory m3 = new CudaMemory(ctx, DType.UINT8, 4096, p3, 4096);
        m2.release();
        m3.release();
        assertEquals(512 + 4096, ctx.cachedBytes());
        assertEquals(512 + 4096, ctx.emptyCache());
        assertEquals(0, ctx.cachedBytes());
        assertEquals(0, ctx.emptyCache());
        System.setProperty(CudaDeviceContext.CACHE_PROPERTY, "false");
        try {
            new CudaMemory(ctx, DType.UINT8, 8, ctx.malloc(8), 8).release();
            assertEquals(0, ctx.cachedBytes(), "with the cache off a block is freed at once");
        } finally {
            System.clearProperty(CudaDeviceContext.CACHE_PROPERTY);
        }
    }

    @Test
    void theCleanerFreesUnreachableMemory() throws InterruptedException {
        CudaRuntime rt = new CudaRuntime("fake", fake(Map.of("cudaMalloc", "pipe")));
        CudaDeviceContext ctx = new CudaDeviceContext(0, rt, new CublasHandle.Api("fake", fake(Map.of())));
        allocateAndDrop(ctx);
        assertEquals(1, ctx.liveAllocations());
        for (int i = 0; i < 1000 && ctx.liveAllocations() > 0; i++) { // waits for the GC and the Cleaner, not for a duration
            System.gc();
            Thread.sleep(10);
        }
        assertEquals(0, ctx.liveAllocations(), "the Cleaner did not free an unreachable CudaMemory");
        assertEquals(0, ctx.liveBytes());
    }

    private static void allocateAndDrop(CudaDeviceContext ctx) {
        CudaMemory m = new CudaMemory(ctx, DType.FLOAT32, 4, ctx.malloc(16), 16);
        m.upload(new float[4], 0, 0, 4);
    }
}
