package dev.graft.tensor;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Device tensors on the simulated device ({@link SimulatedDeviceRuntime}): placement, the two
 * routes of {@link DeviceDispatch}, host/device coherence, {@link DeviceScope}. The same code paths
 * run with CUDA; the simulated memory is a separate array, so a missed upload or download shows up
 * as a wrong value here.
 */
class DeviceTensorTest {
    private static final Device SIM = new Device("sim", 0);
    private static final Device SIM1 = new Device("sim", 1);

    @BeforeAll
    static void enable() {
        System.setProperty("graft.sim.devices", "2");
    }

    private static Tensor randn(long seed, int... shape) {
        return Tensor.randn(new Generator(seed), shape);
    }

    private static long count(Map<String, Long> m, String key) {
        return m.getOrDefault(key, 0L);
    }

    @Test
    void roundTripKeepsEveryDtypeAndView() {
        Tensor f = randn(1, 3, 4);
        for (Tensor t : new Tensor[] {f, f.to(DType.FLOAT64), f.mul(10).to(DType.INT64), f.mul(10).to(DType.INT32),
                f.gt(0), f.abs().mul(50).to(DType.UINT8), f.to(DType.FLOAT16), f.to(DType.BFLOAT16),
                f.t(), f.narrow(1, 1, 2), f.expand(2, 3, 4), Tensor.zeros(0, 5), Tensor.scalar(2.5)}) {
            Tensor d = t.to(SIM);
            assertEquals(SIM, d.device());
            assertEquals(t.dtype(), d.dtype());
            assertArrayEquals(t.shape(), d.shape());
            Tensor back = d.to(Device.cpu());
            assertEquals(Device.cpu(), back.device());
            assertArrayEquals(t.contiguous().to(DType.FLOAT64).toDoubleArray(), back.to(DType.FLOAT64).toDoubleArray(), 0.0, t.toString());
        }
        assertSame(f, f.to(Device.cpu()));
        Tensor d = f.to(SIM);
        assertSame(d, d.to(SIM));
    }

    @Test
    void deviceCopyIsIndependentOfTheSource() {
        Tensor t = randn(2, 4);
        float[] before = t.toFloatArray();
        Tensor d = t.to(SIM);
        t.fill(7);
        assertArrayEquals(before, d.cpu().toFloatArray());
        d.fill(3);
        assertArrayEquals(new float[] {7, 7, 7, 7}, t.toFloatArray());
        assertArrayEquals(new float[] {3, 3, 3, 3}, d.cpu().toFloatArray());
    }

    @Test
    void float32MatmulRunsInTheDeviceKernelWithoutHostCopies() {
        Tensor a = randn(3, 5, 7);
        Tensor b = randn(4, 7, 6);
        Tensor c = randn(5, 6, 3);
        Tensor expected = a.matmul(b).matmul(c);
        Tensor da = a.to(SIM);
        Tensor db = b.to(SIM);
        Tensor dc = c.to(SIM);
        long k0 = count(DeviceDispatch.deviceKernels(), "sim matmul float32");
        long down0 = SimulatedDeviceRuntime.downloads();
        long up0 = SimulatedDeviceRuntime.uploads();
        Tensor r = da.matmul(db).matmul(dc);
        assertEquals(SIM, r.device());
        assertEquals(2, count(DeviceDispatch.deviceKernels(), "sim matmul float32") - k0);
        assertEquals(down0, SimulatedDeviceRuntime.downloads(), "a chain of device kernels must not copy to the host");
        assertEquals(up0, SimulatedDeviceRuntime.uploads(), "operands already on the device are not uploaded again");
        assertArrayEquals(expected.toFloatArray(), r.cpu().toFloatArray(), 0f);
        assertEquals(down0 + 1, SimulatedDeviceRuntime.downloads());
    }

    @Test
    void transposedAndBatchedOperandsOnTheDevice() {
        Tensor a = randn(6, 2, 3, 4);
        Tensor w = randn(7, 5, 4);
        Tensor expected = a.matmul(w.t());
        assertArrayEquals(expected.toFloatArray(), a.to(SIM).matmul(w.to(SIM).t()).cpu().toFloatArray(), 0f);
    }

    @Test
    void elementwiseChainsRunInDeviceKernelsWithoutHostCopies() {
        Tensor x = randn(8, 4, 6);
        Tensor w = randn(9, 6, 6);
        Tensor expected = x.matmul(w).mul(2).add(1).exp().matmul(w).softmax(1).sum(0);
        Tensor dx = x.to(SIM);
        Tensor dw = w.to(SIM);
        long k0 = count(DeviceDispatch.deviceKernels(), "sim binary MUL");
        long fb0 = DeviceDispatch.hostFallbacks().values().stream().mapToLong(Long::longValue).sum();
        long down0 = SimulatedDeviceRuntime.downloads();
        Tensor r = dx.matmul(dw).mul(2).add(1).exp().matmul(dw).softmax(1).sum(0);
        assertEquals(SIM, r.device());
        assertTrue(count(DeviceDispatch.deviceKernels(), "sim binary MUL") > k0, "mul by a CPU scalar runs in the device kernel");
        assertEquals(fb0, DeviceDispatch.hostFallbacks().values().stream().mapToLong(Long::longValue).sum(), "no host fallback");
        assertEquals(down0, SimulatedDeviceRuntime.downloads(), "nothing was copied to the host");
        assertArrayEquals(expected.toFloatArray(), r.cpu().toFloatArray(), 0f);
    }

    @Test
    void hostFallbacksKeepResultsOnTheDeviceAndStayCoherent() {
        // convolution (unfold, matmul) and gather run in simulated kernels; indexSelect has none: it runs on
        // the host between device kernels
        Tensor x = randn(21, 2, 3, 6, 6);
        Tensor k = randn(22, 4, 3, 3, 3);
        Tensor idx = Tensor.fromArray(new long[] {2, 0, 1, 1}, 2, 2);
        Tensor sel = Tensor.fromArray(new long[] {1, 0, 1});
        Tensor expected = x.conv2d(k, null, 1, 1).relu().sum(new int[] {2, 3}, false).gather(1, idx).indexSelect(0, sel).mul(3);
        long fb0 = count(DeviceDispatch.hostFallbacks(), "sim indexSelect");
        long g0 = count(DeviceDispatch.deviceKernels(), "sim gather");
        long u0 = count(DeviceDispatch.deviceKernels(), "sim unfold2d");
        Tensor r = x.to(SIM).conv2d(k.to(SIM), null, 1, 1).relu().sum(new int[] {2, 3}, false).gather(1, idx.to(SIM))
                .indexSelect(0, sel.to(SIM)).mul(3);
        assertEquals(SIM, r.device());
        assertEquals(fb0 + 1, count(DeviceDispatch.hostFallbacks(), "sim indexSelect"));
        assertEquals(g0 + 1, count(DeviceDispatch.deviceKernels(), "sim gather"));
        assertTrue(count(DeviceDispatch.deviceKernels(), "sim unfold2d") > u0);
        assertArrayEquals(expected.toFloatArray(), r.cpu().toFloatArray(), 0f);
    }

    @Test
    void float64MatmulHasNoSimulatedKernelAndFallsBack() {
        Tensor a = randn(10, 3, 4).to(DType.FLOAT64);
        Tensor b = randn(11, 4, 2).to(DType.FLOAT64);
        long fb0 = count(DeviceDispatch.hostFallbacks(), "sim matmul float64");
        Tensor r = a.to(SIM).matmul(b.to(SIM));
        assertEquals(SIM, r.device());
        assertEquals(fb0 + 1, count(DeviceDispatch.hostFallbacks(), "sim matmul float64"));
        assertArrayEquals(a.matmul(b).toDoubleArray(), r.cpu().toDoubleArray(), 0.0);
    }

    @Test
    void opsMadeOfCopiesFollowTheirInput() {
        Tensor x = randn(12, 3, 4);
        Tensor d = x.to(SIM);
        assertEquals(SIM, d.t().contiguous().device());
        assertEquals(SIM, d.clone().device());
        assertEquals(SIM, d.to(DType.FLOAT64).device());
        Tensor cat = Tensor.concat(0, d, d.mul(2));
        assertEquals(SIM, cat.device());
        assertArrayEquals(Tensor.concat(0, x, x.mul(2)).toFloatArray(), cat.cpu().toFloatArray(), 0f);
        assertEquals(SIM, d.sum().device());
        assertEquals(x.sum().item(), d.sum().item(), 0.0);
    }

    @Test
    void inPlaceWritesKeepEachTensorWhereItIs() {
        Tensor cpu = Tensor.zeros(2, 3);
        Tensor src = randn(13, 2, 3);
        Tensor dev = src.to(SIM);
        cpu.copyFrom(dev);
        assertEquals(Device.cpu(), cpu.device());
        assertArrayEquals(src.toFloatArray(), cpu.toFloatArray(), 0f);

        Tensor target = Tensor.zeros(2, 3).to(SIM);
        target.copyFrom(src);
        assertEquals(SIM, target.device());
        target.addInPlace(src, 2);
        target.narrow(1, 0, 1).fill(-1);
        Tensor expected = src.mul(3);
        expected.narrow(1, 0, 1).fill(-1);
        assertArrayEquals(expected.toFloatArray(), target.cpu().toFloatArray(), 1e-6f);
        // a device kernel after host writes sees them (the host mirror is uploaded first)
        Tensor m = target.matmul(Tensor.ones(3, 1).to(SIM));
        assertArrayEquals(expected.matmul(Tensor.ones(3, 1)).toFloatArray(), m.cpu().toFloatArray(), 1e-6f);
    }

    @Test
    void zerosOnTheDeviceAllocateLazilyAndReadAsZeros() {
        Tensor z = Tensor.zeros(SIM, DType.FLOAT32, 3, 4);
        assertEquals(SIM, z.device());
        assertArrayEquals(new float[12], z.cpu().toFloatArray(), 0f);
        Tensor w = randn(20, 4, 2);
        // a device kernel reading a never-written lazy tensor sees zeros
        assertArrayEquals(new float[6], Tensor.zeros(SIM, DType.FLOAT32, 3, 4).matmul(w.to(SIM)).cpu().toFloatArray(), 0f);
        // host writes into part of it, then a device kernel
        Tensor p = Tensor.zeros(SIM, DType.FLOAT32, 3, 4);
        p.narrow(0, 1, 1).fill(2);
        Tensor expected = Tensor.zeros(3, 4);
        expected.narrow(0, 1, 1).fill(2);
        assertArrayEquals(expected.matmul(w).toFloatArray(), p.matmul(w.to(SIM)).cpu().toFloatArray(), 0f);
        assertEquals(Device.cpu(), Tensor.zeros(Device.cpu(), DType.FLOAT32, 2).device());
    }

    @Test
    void twoDevicesInOneOpAreRefusedByName() {
        Tensor a = randn(14, 2, 2).to(SIM);
        Tensor b = randn(15, 2, 2).to(SIM1);
        var e = assertThrows(IllegalArgumentException.class, () -> a.add(b));
        assertTrue(e.getMessage().contains("sim:0") && e.getMessage().contains("sim:1"), e.getMessage());
        assertArrayEquals(randn(14, 2, 2).add(randn(15, 2, 2)).toFloatArray(), a.add(b.to(SIM)).cpu().toFloatArray(), 0f);
    }

    @Test
    void cpuOperandMeetingADeviceTensorRunsOnTheHost() {
        Tensor a = randn(16, 3, 3);
        Tensor b = randn(17, 3, 3);
        Tensor r = a.to(SIM).matmul(b);
        assertEquals(SIM, r.device());
        assertArrayEquals(a.matmul(b).toFloatArray(), r.cpu().toFloatArray(), 0f);
    }

    @Test
    void scopeReleasesDeviceMemoryAndRefusesLaterUse() {
        Tensor x = randn(18, 4, 4);
        long live0 = SimulatedDeviceRuntime.liveAllocations();
        Tensor kept;
        Tensor lost;
        try (DeviceScope scope = DeviceScope.open()) {
            Tensor d = x.to(SIM);
            Tensor y = d.matmul(d); // device memory for the result
            lost = y.mul(2).matmul(d); // the mul's result is uploaded for the second matmul
            kept = scope.keep(y);
            assertTrue(scope.size() >= 2);
            assertTrue(SimulatedDeviceRuntime.liveAllocations() > live0);
        }
        assertEquals(live0 + 1, SimulatedDeviceRuntime.liveAllocations(), "only the kept tensor's memory is left");
        assertArrayEquals(x.matmul(x).toFloatArray(), kept.cpu().toFloatArray(), 0f);
        var e = assertThrows(IllegalStateException.class, () -> lost.cpu());
        assertTrue(e.getMessage().contains("released"), e.getMessage());
    }

    @Test
    void nestedScopesCloseInOrder() {
        DeviceScope outer = DeviceScope.open();
        DeviceScope inner = DeviceScope.open();
        Tensor t;
        try {
            t = inner.keep(randn(19, 3).to(SIM));
            assertThrows(IllegalStateException.class, outer::close);
            inner.close();
            assertEquals(1, outer.size(), "keep hands memory to the enclosing scope");
        } finally {
            inner.close();
            outer.close();
        }
        assertTrue(t.storage().isReleased());
    }

    @Test
    void unavailableDevicesSayWhy() {
        var e = assertThrows(IllegalStateException.class, () -> Tensor.ones(2).to(new Device("sim", 5)));
        assertTrue(e.getMessage().contains("sim:5") && e.getMessage().contains("2 sim devices"), e.getMessage());
        var e2 = assertThrows(IllegalStateException.class, () -> Tensor.ones(2).to(new Device("tpu", 0)));
        assertTrue(e2.getMessage().contains("no runtime for device type 'tpu'"), e2.getMessage());
        assertFalse(Devices.isAvailable(new Device("tpu", 0)));
        assertTrue(Devices.report().contains("sim"));
    }
}
