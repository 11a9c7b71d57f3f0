package dev.graft.tensor;

import dev.graft.tensor.backend.Backends;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TimedBackendTest {
    @Test
    void timesEachPrimitiveAndComputesTheSame() {
        Tensor a = Tensor.randn(new Generator(1), 8, 16);
        Tensor b = Tensor.randn(new Generator(2), 16, 4);
        TimedBackend.reset();
        TimedBackend timed = new TimedBackend(DeviceDispatch.hostOf(Backends.current()));
        Tensor r = Backends.with(timed, () -> a.matmul(b).relu().sum(0));
        assertArrayEquals(a.matmul(b).relu().sum(0).toFloatArray(), r.toFloatArray(), 0f);
        String report = TimedBackend.report(10, 1);
        assertTrue(report.contains("matmul float32 cpu") && report.contains("unary RELU float32 cpu")
                && report.contains("reduce SUM float32 cpu"), report);
        assertTrue(DeviceDispatch.hostOf(timed) == timed.inner(), "hostOf unwraps the timer");
    }
}
