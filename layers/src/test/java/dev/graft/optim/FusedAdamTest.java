package dev.graft.optim;

import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The one-pass Adam/AdamW step on float32 CPU parameters against the composed path
 * ({@code -Dgraft.optim.fused=false}) over several steps, for every option that changes the
 * update: L2 and decoupled weight decay, amsgrad, maximize, betas, eps, and sizes around the
 * chunking (1, a vector tail, just over one and several chunks). Both run the same float32
 * operations in the same order; the composed path may round a scalar differently, so after 6
 * steps parameters agree within 2e-6 (1 + |p|) and moments within 1e-5 relative (a few roundings
 * per step, each up to 2^-24 relative).
 */
class FusedAdamTest {
    private static final int STEPS = 6;

    private record Config(String name, Function<List<Tensor>, Optimizer> make) {
    }

    private static List<Config> configs() {
        return List.of(
                new Config("Adam", ps -> new Adam(ps)),
                new Config("Adam wd", ps -> new Adam(ps, ParamGroup.defaults().lr(1e-2).weightDecay(0.1))),
                new Config("Adam amsgrad maximize", ps -> new Adam(ps, ParamGroup.defaults().lr(3e-3).amsgrad(true).maximize(true))),
                new Config("Adam betas eps", ps -> new Adam(ps, ParamGroup.defaults().lr(5e-2).betas(0.8, 0.95).eps(1e-3))),
                new Config("AdamW", ps -> new AdamW(ps)),
                new Config("AdamW wd amsgrad", ps -> new AdamW(ps, ParamGroup.defaults().lr(1e-2).weightDecay(0.3).amsgrad(true))),
                new Config("AdamW maximize", ps -> new AdamW(ps, ParamGroup.defaults().lr(1e-2).maximize(true))));
    }

    /** Runs STEPS steps with gradients that depend on the parameters (so the two runs' differences feed back). */
    private static List<Tensor> run(Config c, boolean fused, int[] sizes, Map<String, Tensor> stateOut) {
        String old = System.getProperty("graft.optim.fused");
        System.setProperty("graft.optim.fused", Boolean.toString(fused));
        try {
            List<Tensor> ps = new ArrayList<>();
            for (int n : sizes) {
                ps.add(Tensor.normal(new Generator(n), 0, 1, DType.FLOAT32, n).requiresGrad(true));
            }
            Optimizer opt = c.make.apply(ps);
            for (int s = 0; s < STEPS; s++) {
                for (Tensor p : ps) {
                    Tensor noise = Tensor.normal(new Generator(1000L * s + p.numel()), 0, 1, DType.FLOAT32, p.shape());
                    p.setGrad(p.detach().mul(0.5).add(noise));
                }
                opt.step();
            }
            stateOut.putAll(opt.stateTensors());
            return ps;
        } finally {
            if (old == null) {
                System.clearProperty("graft.optim.fused");
            } else {
                System.setProperty("graft.optim.fused", old);
            }
        }
    }

    @Test
    void fusedMatchesComposedOverSeveralSteps() {
        int[] sizes = {1, 7, FusedUpdate.CHUNK + 3, 3 * FusedUpdate.CHUNK + 5};
        for (Config c : configs()) {
            Map<String, Tensor> fusedState = new java.util.LinkedHashMap<>();
            Map<String, Tensor> composedState = new java.util.LinkedHashMap<>();
            List<Tensor> fused = run(c, true, sizes, fusedState);
            List<Tensor> composed = run(c, false, sizes, composedState);
            for (int i = 0; i < sizes.length; i++) {
                float[] f = fused.get(i).toFloatArray();
                float[] r = composed.get(i).toFloatArray();
                for (int j = 0; j < f.length; j++) {
                    assertEquals(r[j], f[j], 2e-6 * (1 + Math.abs(r[j])), c.name() + " param " + i + " at " + j);
                }
            }
            assertEquals(composedState.keySet(), fusedState.keySet(), c.name());
            for (var e : composedState.entrySet()) {
                if (e.getValue().dtype() != DType.FLOAT32) {
                    assertEquals(e.getValue().item(), fusedState.get(e.getKey()).item(), c.name() + " " + e.getKey());
                    continue;
                }
                float[] r = e.getValue().toFloatArray();
                float[] f = fusedState.get(e.getKey()).toFloatArray();
                for (int j = 0; j < f.length; j++) {
                    assertEquals(r[j], f[j], 1e-5 * Math.abs(r[j]) + 1e-12, c.name() + " " + e.getKey() + " at " + j);
                }
            }
        }
    }

    /** State handed out before a step is a snapshot; the step advances the parameter's version like any in-place op. */
    @Test
    void stateStaysASnapshotAndTheVersionAdvances() {
        Tensor w = Tensor.normal(new Generator(5), 0, 1, DType.FLOAT32, 4, 3).requiresGrad(true);
        Adam opt = new Adam(List.of(w), ParamGroup.defaults().amsgrad(true));
        w.setGrad(Tensor.onesLike(w));
        opt.step();
        Map<String, Tensor> before = opt.stateTensors();
        Map<String, float[]> copies = new java.util.HashMap<>();
        before.forEach((k, v) -> copies.put(k, v.dtype() == DType.FLOAT32 ? v.toFloatArray() : null));
        Tensor loss = Tensor.ones(DType.FLOAT32, 2, 4).matmul(w).sum();
        w.setGrad(Tensor.onesLike(w).mul(-3));
        opt.step();
        before.forEach((k, v) -> {
            if (copies.get(k) != null) {
                assertEquals(java.util.Arrays.toString(copies.get(k)), java.util.Arrays.toString(v.toFloatArray()), k);
            }
        });
        assertThrows(IllegalStateException.class, loss::backward);
        assertFalse(w.grad() == null);
    }

    /** What the fused step does not take (float64, a strided view) still steps, through the composed path. */
    @Test
    void otherLayoutsTakeTheComposedPath() {
        Tensor d = Tensor.normal(new Generator(6), 0, 1, DType.FLOAT64, 5, 4).requiresGrad(true);
        Tensor f = Tensor.normal(new Generator(7), 0, 1, DType.FLOAT32, 5, 4).requiresGrad(true);
        Tensor d0 = d.detach().clone();
        Tensor f0 = f.detach().clone();
        d.setGrad(Tensor.onesLike(d));
        f.setGrad(Tensor.onesLike(f).t().contiguous().t());
        new AdamW(List.of(d, f), ParamGroup.defaults().lr(0.1)).step();
        // first step of Adam: m / sqrt(v) = sign(g), so p = p (1 - lr wd) - lr (1 - 1e-7)
        double[] dv = d.toDoubleArray();
        double[] d0v = d0.toDoubleArray();
        float[] fv = f.toFloatArray();
        float[] f0v = f0.toFloatArray();
        for (int i = 0; i < dv.length; i++) {
            assertEquals(d0v[i] * (1 - 0.1 * 0.01) - 0.1 / (1 + 1e-8), dv[i], 1e-12, "float64 at " + i);
            assertEquals(f0v[i] * (1 - 0.1 * 0.01) - 0.1, fv[i], 1e-6, "strided float32 grad at " + i);
        }
    }
}
