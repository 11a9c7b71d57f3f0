package dev.graft.nn;

import dev.graft.autograd.NoGrad;
import dev.graft.loss.Losses;
import dev.graft.nn.init.Init;
import dev.graft.optim.AdamW;
import dev.graft.optim.Optimizer;
import dev.graft.tensor.Device;
import dev.graft.tensor.DeviceDispatch;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Module#to(Device)} and training on a device, on the simulated device (the CUDA path runs
 * the same dispatch with cuBLAS as the matmul kernel): the losses and weights of a few AdamW steps
 * must equal the CPU run exactly, since both compute with the same host kernels.
 */
class ModuleDeviceTest {
    private static final Device SIM = new Device("sim", 0);

    @BeforeAll
    static void enable() {
        System.setProperty("graft.sim.devices", "1");
    }

    private static Module mlp() {
        Init.manualSeed(7);
        return new Sequential(new Linear(6, 16), new Activation.ReLU(), new Linear(16, 3));
    }

    private static double[] train(Module model, Device device, Tensor x, Tensor y) {
        model.to(device);
        Optimizer opt = new AdamW(model.parameters(), 1e-2);
        Tensor xd = x.to(device);
        Tensor yd = y.to(device);
        double[] losses = new double[5];
        for (int step = 0; step < losses.length; step++) {
            opt.zeroGrad();
            Tensor loss = Losses.crossEntropy(model.forward(xd), yd);
            assertEquals(device, loss.device());
            loss.backward();
            opt.step();
            losses[step] = loss.item();
        }
        return losses;
    }

    @Test
    void trainingOnTheDeviceMatchesTheCpu() {
        Generator g = new Generator(3);
        Tensor x = Tensor.randn(g, 32, 6);
        Tensor y = Tensor.randint(g, 0, 3, 32);
        Module cpu = mlp();
        Module dev = mlp();
        long kernels0 = DeviceDispatch.deviceKernels().getOrDefault("sim matmul float32", 0L);
        double[] lc = train(cpu, Device.cpu(), x, y);
        double[] ld = train(dev, SIM, x, y);
        assertArrayEquals(lc, ld, 0.0);
        assertTrue(lc[4] < lc[0], "the loss goes down: " + lc[0] + " -> " + lc[4]);
        // per step: 2 forward, 3 backward (the input needs no gradient, so the first layer's is not computed)
        assertTrue(DeviceDispatch.deviceKernels().getOrDefault("sim matmul float32", 0L) - kernels0 >= 5 * 5,
                "forward and backward matmuls ran in the device kernel");
        Map<String, Tensor> pc = cpu.namedParameters();
        for (var e : dev.namedParameters().entrySet()) {
            assertEquals(SIM, e.getValue().device(), e.getKey());
            assertEquals(SIM, e.getValue().grad().device(), e.getKey() + " gradient");
            assertArrayEquals(pc.get(e.getKey()).toFloatArray(), e.getValue().cpu().toFloatArray(), 0f, e.getKey());
        }
    }

    @Test
    void movingBackKeepsValuesAndIdentity() {
        Module m = mlp();
        Tensor w = m.namedParameters().get("0.weight");
        float[] before = w.toFloatArray();
        m.to(SIM);
        assertEquals(SIM, w.device());
        try (NoGrad ignored = NoGrad.enter()) {
            w.mulInPlace(2);
        }
        m.to(Device.cpu());
        assertEquals(Device.cpu(), w.device());
        for (int i = 0; i < before.length; i++) {
            assertEquals(2 * before[i], w.toFloatArray()[i], 0f);
        }
    }
}
