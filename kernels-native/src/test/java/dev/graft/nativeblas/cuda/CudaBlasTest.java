package dev.graft.nativeblas.cuda;

import dev.graft.tensor.backend.Backends;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * CUDA: without a GPU, the reason is clear and every check that needs no device still runs; with
 * one, cuBLAS is compared with the Java backend (the same comparisons gpu-check.sh runs).
 */
class CudaBlasTest {

    @Test
    void statusSaysWhetherAndWhy() {
        String s = CudaBlas.status();
        if (CudaBlas.available()) {
            assertTrue(s.startsWith("available: CUDA runtime"), s);
            assertTrue(s.contains("cuBLAS"), s);
        } else {
            assertTrue(s.startsWith("unavailable: "), s);
            String why = CudaBlas.unavailableReason();
            assertTrue(why.contains("library missing") || why.contains("no device"), why);
            assertThrows(IllegalStateException.class, CudaBlas::runtime);
        }
        String report = Backends.report();
        assertTrue(report.contains("cuda:     " + s), report);
        if (CudaBlas.available()) {
            assertTrue(report.contains("device tensors: tensor.to(Device.cuda(0)), matmul in cuBLAS"), report);
        }
    }

    @Test
    void wrongArgumentsThrowBeforeAnyCudaCall() {
        float[] a = new float[6];
        float[] b = new float[12];
        float[] c = new float[8];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CudaBlas.sgemm(false, false, 2, 4, 4, 1f, a, 0, 3, b, 0, 4, 0f, c, 0, 4));
        assertTrue(e.getMessage().startsWith("CudaBlas.sgemm: A (stored 2 x 4): leading dimension lda = 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CudaBlas.sgemmStridedBatched(false, false, 2, 4, 3, 1f, a, 0, 3, 6, b, 0, 4, 0, 0f, c, 0, 4, 8, 2));
        assertTrue(e.getMessage().contains("(batch 1)") && e.getMessage().contains("A (stored 2 x 3)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CudaBlas.sgemmStridedBatched(false, false, 2, 4, 3, 1f, new float[12], 0, 3, 6, b, 0, 4, 0, 0f,
                        new float[16], 0, 4, 4, 2));
        assertTrue(e.getMessage().contains("strideC = 4 makes the outputs of consecutive batches overlap"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CudaBlas.sgemmStridedBatched(false, false, 2, 4, 3, 1f, a, 0, 3, -1, b, 0, 4, 0, 0f, c, 0, 4, 8, 1));
        assertTrue(e.getMessage().contains("strideA = -1"), e.getMessage());
    }

    @Test
    void theGpuCheckComparesWithTheRightProduct() {
        // GpuCheck's Java reference, for transposed operands with padded rows, against the definition
        int m = 5;
        int n = 3;
        int k = 4;
        int lda = m + 3; // A transposed: stored k x m
        int ldb = k + 1; // B transposed: stored n x k
        java.util.Random rnd = new java.util.Random(3);
        float[] a = new float[k * lda];
        float[] b = new float[n * ldb];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) rnd.nextGaussian();
        }
        float[] ref = GpuCheck.reference(true, true, m, n, k, a, lda, b, ldb);
        float[] padded = new float[2 + m * (n + 1)];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (double) a[p * lda + i] * b[j * ldb + p];
                }
                assertEquals(s, ref[i * n + j], 1e-5, "element " + i + "," + j);
                padded[2 + i * (n + 1) + j] = (float) s;
            }
        }
        assertTrue(GpuCheck.relativeError(padded, 2, n + 1, ref, m, n) < 1e-6);
        padded[2] += 1f;
        assertTrue(GpuCheck.relativeError(padded, 2, n + 1, ref, m, n) > 1e-3, "a wrong element is seen");
    }

    @Test
    void cublasMatchesTheJavaBackend() {
        assumeTrue(CudaBlas.available(), "no usable CUDA here: " + CudaBlas.unavailableReason());
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        boolean ok = GpuCheck.correctness(new PrintStream(buf, true, StandardCharsets.UTF_8));
        String log = buf.toString(StandardCharsets.UTF_8);
        System.out.println(log);
        assertTrue(ok, log);
    }

    @Test
    void deviceBuffersCopyAndClose() {
        assumeTrue(CudaBlas.available(), "no usable CUDA here: " + CudaBlas.unavailableReason());
        CudaRuntime rt = CudaBlas.runtime();
        float[] x = {1, 2, 3, 4, 5};
        float[] back = new float[7];
        DeviceBuffer d = DeviceBuffer.of(rt, x);
        d.copyTo(1, back, 2, 4);
        assertEquals(2f, back[2]);
        assertEquals(5f, back[5]);
        assertThrows(IllegalArgumentException.class, () -> d.copyTo(2, back, 0, 4), "past the buffer's end");
        d.close();
        d.close(); // a second close does nothing
        assertThrows(IllegalStateException.class, d::address);
        CudaException oom = assertThrows(CudaException.class, () -> DeviceBuffer.allocate(rt, Long.MAX_VALUE / 8));
        assertTrue(oom.getMessage().startsWith("cudaMalloc("), oom.getMessage());
        assertFalse(oom.call().isEmpty());
    }
}
