package dev.graft.transfer.embed;

import dev.graft.onnx.OnnxModel;
import dev.graft.onnx.OnnxModule;
import dev.graft.onnx.ops.OpRegistry;
import dev.graft.tensor.Device;
import dev.graft.tensor.DeviceDispatch;
import dev.graft.tensor.DeviceScope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The imported MiniLM graph moved to a device with {@code Module.to} (the simulated device here;
 * CUDA runs the same dispatch with cuBLAS for the matmuls) gives the CPU's embeddings: fused
 * kernels that read arrays directly, integer ops, host fallbacks and device matmuls all see
 * current data.
 */
class MiniLmOnDeviceTest {
    private static final Device SIM = new Device("sim", 0);

    @BeforeAll
    static void enable() {
        System.setProperty("graft.sim.devices", "1");
    }

    private static OnnxModule load() throws Exception {
        try (InputStream in = MiniLmOnDeviceTest.class.getResourceAsStream(SentenceEmbedder.MINILM)) {
            assertNotNull(in, "MiniLM on the test classpath");
            return OnnxModule.of(OnnxModel.parse(ByteBuffer.wrap(in.readAllBytes()), "classpath:" + SentenceEmbedder.MINILM, null),
                    OpRegistry.standard());
        }
    }

    @Test
    void embeddingsOnTheDeviceEqualTheCpu() throws Exception {
        SentenceEmbedder cpu = new SentenceEmbedder(TokenEncoder.onnx(load()), SentenceEmbedder.miniLmTokenizer());
        OnnxModule model = load();
        model.to(SIM);
        SentenceEmbedder dev = new SentenceEmbedder(TokenEncoder.onnx(model), SentenceEmbedder.miniLmTokenizer());
        long kernels0 = DeviceDispatch.deviceKernels().values().stream().mapToLong(Long::longValue).sum();
        float[][] expected = cpu.embed(MiniLmOnnxTest.SENTENCES, 4);
        float[][] got;
        try (DeviceScope ignored = DeviceScope.open()) {
            got = dev.embed(MiniLmOnnxTest.SENTENCES, 4);
        }
        assertEquals(expected.length, got.length);
        for (int i = 0; i < expected.length; i++) {
            double d = MiniLmOnnxTest.maxAbs(expected[i], got[i]);
            assertTrue(d <= 1e-6, "sentence " + i + ": device and CPU embeddings differ by " + d);
        }
        long kernels = DeviceDispatch.deviceKernels().values().stream().mapToLong(Long::longValue).sum() - kernels0;
        assertTrue(kernels > 0, "some matmuls ran in the device kernel");
    }
}
