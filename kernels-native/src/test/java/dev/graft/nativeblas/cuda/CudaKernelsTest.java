package dev.graft.nativeblas.cuda;

import dev.graft.nativeblas.ChildJvm;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.spi.UnaryOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Graft's own CUDA kernels without a GPU: the argument planner (in a child JVM, {@link KernelArgsMain}),
 * the kernel source and its entry points, NVRTC options, and what happens when NVRTC is missing.
 */
class CudaKernelsTest {

    @Test
    void thePlannerPacksViewsScalarsAndRefusals() throws Exception {
        ChildJvm.Result r = ChildJvm.run(KernelArgsMain.class, "-Dgraft.sim.devices=1");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("all passed"), r.out());
    }

    @Test
    void theConvolutionAndIndexingPlansPlaceShapesStridesAndRefusals() throws Exception {
        ChildJvm.Result r = ChildJvm.run(IndexArgsMain.class, "-Dgraft.sim.devices=1");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("all passed"), r.out());
    }

    @Test
    void theSourceDefinesEveryKernelAndTheLayoutProbe() {
        String src = CudaKernels.source();
        assertTrue(src.contains("struct Args"), "resource elementwise.cu");
        assertTrue(src.contains("GRAFT_GLOBAL graft_layout(int *out)"));
        for (String kind : new String[] {"GRAFT_DTYPES(GRAFT_UNARY)", "GRAFT_DTYPES(GRAFT_BINARY)", "GRAFT_DTYPES(GRAFT_REDUCE)",
            "GRAFT_SIZES(GRAFT_WHERE)", "GRAFT_SIZES(GRAFT_MOVE)", "GRAFT_GLOBAL convert(", "GRAFT_SIZES(GRAFT_UNFOLD)",
            "GRAFT_SIZES(GRAFT_TAKE)"}) {
            assertTrue(src.contains(kind), kind);
        }
        for (String name : new String[] {"fold_f32", "fold_f64", "scatter_add_f32", "scatter_add_f64", "scatter_add_i64", "scatter_add_i32"}) {
            assertTrue(src.contains("GRAFT_GLOBAL " + name + "("), name);
        }
        assertEquals(6 * 3 + 4 * 2 + 1 + 4 * 2 + 2 + 4, CudaKernels.KERNELS.size());
        assertTrue(CudaKernels.KERNELS.contains("unfold_8") && CudaKernels.KERNELS.contains("take_1")
                && CudaKernels.KERNELS.contains("scatter_add_i32"));
        assertTrue(CudaKernels.KERNELS.contains("binary_b8") && CudaKernels.KERNELS.contains("move_2"));
        assertEquals(KernelArgs.OPERANDS_AT + 4 * KernelArgs.OPERAND_SIZE, KernelArgs.SIZE);
    }

    @Test
    void optionsNameTheArchitecture() {
        assertEquals("--gpu-architecture=sm_90", CudaKernels.options(9, 0).get(0));
        assertEquals("--gpu-architecture=sm_120", CudaKernels.options(12, 0).get(0));
        assertTrue(CudaKernels.options(8, 6).contains("--fmad=false"));
    }

    @Test
    void withoutNvrtcTheToolchainSaysWhy(@TempDir Path empty) {
        CudaLibraries.Settings s = new CudaLibraries.Settings(empty.toString(), Map.of(), empty, empty);
        CudaKernels.Toolchain tc = CudaKernels.findToolchain(s);
        assertNull(tc.nvrtc());
        assertTrue(tc.reason().startsWith("library missing: no libnvrtc.so.13 or libnvrtc.so.12 in -Dgraft.cuda.library.path="
                + empty), tc.reason());
        assertTrue(CudaLibraries.nvrtc(s, 13).isEmpty());
        assertTrue(CudaLibraries.nvrtc(s.withExplicit("none"), 12).isEmpty());
    }

    @Test
    void elementwiseMethodsDeclineTensorsTheyCannotRun() {
        CudaDeviceRuntime rt = new CudaDeviceRuntime();
        Tensor x = Tensor.ones(2, 3);
        Tensor out = Tensor.zeros(2, 3);
        assertFalse(rt.unary(UnaryOp.NEG, 0, 0, x, out));
        assertFalse(rt.binary(dev.graft.tensor.spi.BinaryOp.ADD, x, x, out));
        assertFalse(rt.where(Tensor.ones(dev.graft.tensor.DType.BOOL, 2, 3), x, x, out));
        assertFalse(rt.copy(x, out));
        assertFalse(rt.fill(out, 1));
        assertFalse(rt.reduce(dev.graft.tensor.spi.ReduceOp.SUM, Tensor.ones(1, 2, 3), Tensor.zeros(1, 3), null));
        assertEquals(0.0, out.storage().getDouble(0), "nothing was written");
    }

    @Test
    void convolutionAndIndexingMethodsDeclineCpuTensors() {
        CudaDeviceRuntime rt = new CudaDeviceRuntime();
        int[] g = {3, 3, 1, 1, 1, 1, 1, 1};
        Tensor cols = Tensor.zeros(1, 2, 9, 4, 5);
        Tensor image = Tensor.zeros(1, 2, 4, 5);
        Tensor index = Tensor.zeros(dev.graft.tensor.DType.INT64, 2, 3);
        assertFalse(rt.unfold2d(Tensor.ones(1, 2, 4, 5), g, 0, cols));
        assertFalse(rt.fold2d(Tensor.ones(1, 2, 9, 4, 5), g, image));
        assertFalse(rt.gather(Tensor.ones(2, 3), 0, index, Tensor.zeros(2, 3)));
        assertFalse(rt.indexSelect(Tensor.ones(2, 3), 0, Tensor.zeros(dev.graft.tensor.DType.INT64, 2), Tensor.zeros(2, 3)));
        Tensor dst = Tensor.zeros(2, 3);
        assertFalse(rt.scatterAdd(dst, 0, index, Tensor.ones(2, 3)));
        assertFalse(rt.unfold2d(Tensor.ones(1, 2, 4, 5), new int[] {3}, 0, cols), "a short geometry");
        assertEquals(0.0, cols.storage().getDouble(0), "nothing was written");
        assertEquals(0.0, image.storage().getDouble(0), "nothing was written");
        assertEquals(0.0, dst.storage().getDouble(0), "nothing was written");
    }

    @Test
    void withNvrtcMissingCudaStillReportsAndNothingBreaks(@TempDir Path empty) throws Exception {
        ChildJvm.Result r = ChildJvm.run(CudaUnavailableMain.class, "-Dgraft.cuda.library.path=" + empty);
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("cuda: unavailable: library missing"), r.out());
    }
}
