package dev.graft.bench;

import dev.graft.loss.Losses;
import dev.graft.nn.Module;
import dev.graft.optim.SGD;
import dev.graft.tensor.Device;
import dev.graft.tensor.DeviceDispatch;
import dev.graft.tensor.Devices;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.TimedBackend;
import dev.graft.transfer.models.ReferenceModels;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * The reference training step (forward, backward, SGD; the MLP at batch 128 and the CNN at batch
 * 64, as in {@code graft bench train}) on an accelerator: first checks that one step there gives the
 * CPU's loss and weights, then prints the median milliseconds per step as a markdown row, and which
 * primitives ran on the host. Run by {@code kernels-native/gpu-check.sh run} on a GPU machine:
 * {@code java -cp ... dev.graft.bench.DeviceTrainStep [cuda:0]}. Exit 1 when a check fails.
 */
public final class DeviceTrainStep {
    private DeviceTrainStep() {
    }

    public static void main(String[] args) {
        Device d = args.length > 0 ? parse(args[0]) : Device.cuda(0);
        if (!Devices.isAvailable(d)) {
            Devices.runtime(d); // throws, saying why
        }
        boolean ok = true;
        for (String model : new String[] {"mlp", "cnn"}) {
            ok &= run(model, d);
        }
        Map<String, Long> fb = DeviceDispatch.hostFallbacks();
        System.out.println("train-step: primitives that ran on the host for " + d + " tensors: " + (fb.isEmpty() ? "none" : fb));
        System.exit(ok ? 0 : 1);
    }

    private static Device parse(String s) {
        String[] p = s.split(":");
        return new Device(p[0], p.length > 1 ? Integer.parseInt(p[1]) : 0);
    }

    private static Module model(String name) {
        return name.equals("mlp") ? ReferenceModels.mlp(1) : ReferenceModels.cnn(1);
    }

    private static double step(Module net, SGD sgd, Tensor x, Tensor y) {
        Tensor loss = Losses.crossEntropy(net.forward(x), y);
        sgd.zeroGrad();
        loss.backward();
        sgd.step();
        return loss.item(); // waits for the device
    }

    private static boolean run(String name, Device d) {
        Generator g = new Generator(42);
        Tensor x = name.equals("mlp") ? Tensor.randn(g, 128, 784) : Tensor.randn(g, 64, 1, 28, 28);
        Tensor y = Tensor.randint(g, 0, 10, x.size(0));
        Module cpu = model(name);
        Module dev = model(name).to(d);
        SGD sgdCpu = new SGD(cpu.parameters(), 0.01);
        SGD sgdDev = new SGD(dev.parameters(), 0.01);
        Tensor xd = x.to(d);
        Tensor yd = y.to(d);
        double lc = step(cpu, sgdCpu, x, y);
        double ld = step(dev, sgdDev, xd, yd);
        double worst = 0;
        Map<String, Tensor> pc = cpu.namedParameters();
        for (var e : dev.namedParameters().entrySet()) {
            float[] a = pc.get(e.getKey()).toFloatArray();
            float[] b = e.getValue().cpu().toFloatArray();
            for (int i = 0; i < a.length; i++) {
                worst = Math.max(worst, Math.abs(a[i] - b[i]));
            }
        }
        boolean ok = Math.abs(lc - ld) <= 1e-4 * Math.max(1, Math.abs(lc)) && worst <= 1e-4;
        System.out.printf(Locale.ROOT, "train-step: %s %s one step on %s vs cpu: loss %.6f vs %.6f, weights max |diff| %.2e%n",
                ok ? "PASS" : "FAIL", name, d, ld, lc, worst);
        // warm-up until the JIT has compiled the dispatch path: at least 10 steps, up to 400 or 4 s
        long until = System.nanoTime() + 4_000_000_000L;
        for (int i = 0; i < 400 && (i < 10 || System.nanoTime() < until); i++) {
            step(dev, sgdDev, xd, yd);
        }
        TimedBackend.reset();
        double[] ms = new double[30];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            step(dev, sgdDev, xd, yd);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        if (TimedBackend.enabled()) { // -Dgraft.profile.primitives=true: where a step's time goes
            System.out.print(TimedBackend.report(12, ms.length).indent(4));
        }
        Arrays.sort(ms);
        System.out.printf(Locale.ROOT, "| Graft %s training step on %s (forward, backward, SGD; median of 30) | %.3f ms |%n",
                name.toUpperCase(Locale.ROOT), d, ms[ms.length / 2]);
        return ok;
    }
}
