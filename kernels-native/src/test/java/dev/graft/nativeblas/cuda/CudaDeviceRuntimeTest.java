package dev.graft.nativeblas.cuda;

import dev.graft.nativeblas.ChildJvm;
import dev.graft.tensor.DType;
import dev.graft.tensor.Device;
import dev.graft.tensor.Devices;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.spi.DeviceRuntime;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CUDA device runtime: without a GPU (CI), that it is found, says why it cannot be used, and
 * refuses placement with that reason; that library settings are honoured and reported; that copies
 * are checked in Java. With a GPU, every {@link DeviceChecks} check as its own test (the same
 * checks gpu-check.sh prints).
 */
class CudaDeviceRuntimeTest {

    private static DeviceRuntime cuda() {
        return Devices.runtimes().stream().filter(r -> r.type().equals("cuda")).findFirst()
                .orElseThrow(() -> new AssertionError("no cuda runtime among " + Devices.runtimes()));
    }

    @Test
    void theServiceIsFound() {
        DeviceRuntime rt = cuda();
        assertInstanceOf(CudaDeviceRuntime.class, rt);
        assertEquals("cuda", rt.type());
        assertEquals(1, Devices.runtimes().stream().filter(r -> r.type().equals("cuda")).count());
        assertEquals(CudaBlas.available(), rt.available());
        assertTrue(Devices.report().contains("cuda"), Devices.report());
    }

    @Test
    void withoutAGpuPlacementSaysWhy() {
        assumeFalse(CudaBlas.available(), "CUDA is usable here");
        DeviceRuntime rt = cuda();
        String why = rt.unavailableReason();
        assertFalse(why.isBlank());
        assertEquals(CudaBlas.unavailableReason(), why);
        assertTrue(why.contains("library missing") || why.contains("no device"), why);
        assertEquals(0, rt.deviceCount());
        assertFalse(Devices.isAvailable(Device.cuda(0)));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Tensor.ones(2, 2).to(Device.cuda(0)));
        assertEquals("cuda:0 is not available: " + why, e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> rt.allocate(Device.cuda(0), DType.FLOAT32, 4));
        assertTrue(e.getMessage().contains(why), e.getMessage());
        assertThrows(IllegalStateException.class, () -> rt.synchronize(Device.cuda(0)));
        assertTrue(rt.report().contains("-Dgraft.cuda.library.path=DIR"), rt.report());
        assertTrue(Devices.report().contains("cuda: unavailable: " + why), Devices.report());
    }

    @Test
    void aMissingLibraryFolderIsTheReasonAndNothingElseIsSearched() throws Exception {
        ChildJvm.Result r = ChildJvm.run(CudaUnavailableMain.class, "-Dgraft.cuda.library.path=/nonexistent/cuda-libs");
        String out = r.out();
        assertEquals(0, r.exit(), out + r.err());
        assertTrue(out.contains("IllegalStateException: cuda:0 is not available: library missing: no libcudart.so.13 or libcudart.so.12 in "
                + "-Dgraft.cuda.library.path=/nonexistent/cuda-libs (only there; no such folder: [/nonexistent/cuda-libs];"), out);
        assertTrue(out.contains("cuda: unavailable: library missing"), out);
    }

    @Test
    void explicitSettingsAreReported() {
        CudaLibraries.Settings s = CudaLibraries.Settings.fromSystem();
        String why = CudaBlas.probe(CudaLibraries.locate(s.withExplicit("/nonexistent/a:/nonexistent/b"))).reason();
        assertTrue(why.startsWith("library missing: no libcudart.so.13 or libcudart.so.12 in -Dgraft.cuda.library.path="
                + "/nonexistent/a:/nonexistent/b (only there; no such folder: [/nonexistent/a, /nonexistent/b];"), why);
        assertFalse(why.contains("CUDA_HOME"), "an explicit setting is not second-guessed: " + why);
        assertEquals("turned off by -Dgraft.cuda.library.path=none", CudaBlas.probe(CudaLibraries.locate(s.withExplicit("none"))).reason());
    }

    @Test
    void aFileThatDoesNotOpenIsPassedOver(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("libcudart.so.13"), "not an ELF file");
        CudaLibraries.Found f = CudaLibraries.locate(CudaLibraries.Settings.fromSystem().withExplicit(dir.toString()));
        assertEquals(null, f.cudart());
        String why = CudaBlas.probe(f).reason();
        assertTrue(why.contains("-Dgraft.cuda.library.path=" + dir + " (only there;"), why);
    }

    @Test
    void theSearchCoversPipWheelsAndLdLibraryPath(@TempDir Path root) throws IOException {
        Path site = root.resolve("opt/torch/.venv/lib/python3.12/site-packages/nvidia");
        for (String p : new String[] {"cu13/lib", "cublas/lib", "cuda_runtime/lib"}) {
            Files.createDirectories(site.resolve(p));
        }
        Path user = root.resolve("home/u/.local/lib/python3.11/site-packages/nvidia/cublas/lib");
        Files.createDirectories(user);
        Files.createDirectories(root.resolve("usr/local/cuda-12.4/lib64"));
        Path ld = root.resolve("ld");
        CudaLibraries.Settings s = new CudaLibraries.Settings(null, Map.of("LD_LIBRARY_PATH", ld + "::/also", "CUDA_HOME", "/toolkit"),
                root.resolve("home/u"), root);
        List<Path> dirs = CudaLibraries.folders(s);
        List<Path> expectedInOrder = List.of(Path.of("/toolkit/lib64"), ld, Path.of("/also"), root.resolve("usr/local/cuda/lib64"),
                root.resolve("usr/local/cuda-12.4/lib64"), site.resolve("cu13/lib"), site.resolve("cublas/lib"),
                site.resolve("cuda_runtime/lib"), user);
        int last = -1;
        for (Path p : expectedInOrder) {
            int i = dirs.indexOf(p);
            assertTrue(i > last, p + " missing or out of order in " + dirs);
            last = i;
        }
        // an explicit setting replaces the whole search
        assertEquals(List.of(Path.of("/x"), Path.of("/y")), CudaLibraries.folders(s.withExplicit("/x:/y")));
    }

    @Test
    void copiesAreCheckedBeforeAnyNativeCall() {
        CudaMemory.checkRange("upload", DType.FLOAT32, 10, new float[4], 0, 6, 4);
        CudaMemory.checkRange("upload", DType.BOOL, 10, new byte[4], 4, 10, 0);
        CudaMemory.checkRange("upload", DType.BFLOAT16, 10, new short[4], 1, 0, 3);
        Object[][] wrong = {
            {DType.FLOAT32, new float[4], 0, 7L, 4},   // past the device end
            {DType.FLOAT32, new float[4], 1, 0L, 4},   // past the array end
            {DType.FLOAT32, new float[4], -1, 0L, 1},
            {DType.FLOAT32, new float[4], 0, -1L, 1},
            {DType.FLOAT32, new float[4], 0, 0L, -1},
            {DType.FLOAT32, new double[4], 0, 0L, 1},  // wrong array type
            {DType.FLOAT16, new float[4], 0, 0L, 1},
            {DType.INT64, new int[4], 0, 0L, 1},
            {DType.UINT8, new short[4], 0, 0L, 1},
            {DType.INT32, null, 0, 0L, 0},
            {DType.FLOAT64, new double[4], Integer.MAX_VALUE, 0L, 2},
        };
        for (Object[] w : wrong) {
            assertThrows(IllegalArgumentException.class,
                    () -> CudaMemory.checkRange("upload", (DType) w[0], 10, w[1], (int) w[2], (long) w[3], (int) w[4]),
                    java.util.Arrays.toString(w));
        }
        assertEquals(1, CudaMemory.bytesFor(DType.FLOAT32, 0), "never a zero-byte (NULL) allocation");
        assertEquals(24, CudaMemory.bytesFor(DType.FLOAT64, 3));
        assertEquals(6, CudaMemory.bytesFor(DType.FLOAT16, 3));
        assertThrows(IllegalArgumentException.class, () -> CudaMemory.bytesFor(DType.INT64, -1));
        assertThrows(IllegalArgumentException.class, () -> CudaMemory.bytesFor(DType.INT64, Long.MAX_VALUE / 4));
    }

    @Test
    void heapSegmentsForEveryArrayType() {
        for (DType dt : DType.values()) {
            Object a = DeviceChecks.sample(dt, 5);
            assertEquals(5L * dt.byteSize(), CudaRuntime.heap(a).byteSize(), dt.toString());
        }
        assertThrows(IllegalArgumentException.class, () -> CudaRuntime.heap(new char[3]));
        assertThrows(IllegalArgumentException.class, () -> CudaRuntime.heap(null));
    }

    @Test
    void theDeviceChecksThemselvesPassOnTheSimulatedDevice() throws Exception {
        // everything in DeviceChecks that does not need CUDA, run against the tensor module's heap-backed sim:0
        ChildJvm.Result r = ChildJvm.run(SimulatedDeviceChecksMain.class, "-Dgraft.sim.devices=1");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertFalse(r.out().contains("FAIL"), r.out());
        assertTrue(r.out().lines().filter(l -> l.startsWith("  PASS")).count() >= 50, r.out());
    }

    @TestFactory
    Stream<DynamicTest> onAGpuEveryDeviceCheckPasses() {
        if (!CudaBlas.available()) { // reported as one skipped test
            return Stream.of(DynamicTest.dynamicTest("device checks",
                    () -> assumeTrue(false, "no usable CUDA here: " + CudaBlas.unavailableReason())));
        }
        return DeviceChecks.all().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            DeviceChecks.Result r = c.run();
            System.out.println(r.line());
            assertTrue(r.passed(), r.line());
        }));
    }
}
