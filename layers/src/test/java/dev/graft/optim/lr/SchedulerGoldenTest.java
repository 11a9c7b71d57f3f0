package dev.graft.optim.lr;

import dev.graft.optim.Adam;
import dev.graft.optim.Optimizer;
import dev.graft.optim.ParamGroup;
import dev.graft.optim.SGD;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Learning rates (and one-cycle momenta) of every scheduler over 30 steps, on two param groups
 * with base rates 0.1 and 0.004, against PyTorch 1.13's schedulers and the Hugging Face warmup
 * lambdas (fixtures from golden-optim/make_optim_golden.py; row 0 is the rate after construction).
 * torch mostly computes these recursively (lr * gamma, the cosine ratio) where Graft uses the
 * closed forms, so they agree up to accumulated rounding: |graft - torch| &lt;= 1e-12 |torch| + 1e-16.
 */
class SchedulerGoldenTest {
    private static Map<String, Tensor> golden;
    private static final Map<String, Function<Optimizer, Object>> SCHEDS = new LinkedHashMap<>();
    private static final Map<String, Boolean> USES_ADAM = new LinkedHashMap<>();

    static {
        SCHEDS.put("step", o -> new StepLR(o, 4, 0.5));
        SCHEDS.put("multistep", o -> new MultiStepLR(o, new int[] {3, 7, 7, 20}, 0.3));
        SCHEDS.put("exponential", o -> new ExponentialLR(o, 0.9));
        SCHEDS.put("cosine", o -> new CosineAnnealingLR(o, 10, 0.001));
        SCHEDS.put("cosine_zero", o -> new CosineAnnealingLR(o, 30));
        SCHEDS.put("warmup_linear", o -> LambdaLR.linearScheduleWithWarmup(o, 5, 25));
        SCHEDS.put("warmup_cosine", o -> LambdaLR.cosineScheduleWithWarmup(o, 6, 30));
        SCHEDS.put("warmup_cosine_cycles", o -> LambdaLR.cosineScheduleWithWarmup(o, 3, 24, 1.5));
        SCHEDS.put("onecycle", o -> OneCycleLR.builder(o, 30).maxLrs(0.1, 0.004).build());
        SCHEDS.put("onecycle_linear_adam", o -> OneCycleLR.builder(o, 30).maxLrs(0.1, 0.004).pctStart(0.25)
                .anneal(OneCycleLR.Anneal.LINEAR).divFactor(10).finalDivFactor(100).build());
        USES_ADAM.put("onecycle_linear_adam", true);
        SCHEDS.put("onecycle_three_phase", o -> OneCycleLR.builder(o, 30).maxLr(0.05).threePhase(true).cycleMomentum(false).build());
        SCHEDS.put("plateau_min_rel", o -> ReduceLROnPlateau.builder(o).factor(0.5).patience(2).threshold(1e-3).cooldown(1)
                .minLrs(0.01, 0.0001).build());
        SCHEDS.put("plateau_max_abs", o -> ReduceLROnPlateau.builder(o).mode(ReduceLROnPlateau.Mode.MAX).factor(0.2).patience(1)
                .threshold(0.05).thresholdMode(ReduceLROnPlateau.ThresholdMode.ABS).build());
        SCHEDS.put("plateau_default", ReduceLROnPlateau::new);
    }

    @BeforeAll
    static void load() throws Exception {
        golden = dev.graft.safetensors.SafeTensors.read(java.nio.file.Path.of(SchedulerGoldenTest.class.getResource("/golden-optim/optim_golden.safetensors").toURI()), false);
    }

    static Stream<String> names() {
        return SCHEDS.keySet().stream();
    }

    /** The fixture's optimizer: two groups with rates 0.1 and 0.004 (momentum 0.9 for the one-cycle SGD runs). */
    static Optimizer optimizer(String name) {
        Tensor a = Tensor.zeros(2).requiresGrad(true);
        Tensor b = Tensor.zeros(2).requiresGrad(true);
        List<ParamGroup> groups = List.of(new ParamGroup(List.of(a)).lr(0.1), new ParamGroup(List.of(b)).lr(0.004));
        if (USES_ADAM.getOrDefault(name, false)) {
            return new Adam(groups, ParamGroup.defaults().lr(1.0));
        }
        double momentum = name.equals("onecycle") || name.equals("onecycle_three_phase") ? 0.9 : 0;
        return new SGD(groups, ParamGroup.defaults().lr(1.0).momentum(momentum));
    }

    @Test
    void everyFixtureScheduleIsTested() {
        TreeSet<String> inFixture = new TreeSet<>();
        for (String k : golden.keySet()) {
            if (k.startsWith("sched.") && k.endsWith(".lr")) {
                inFixture.add(k.substring("sched.".length(), k.length() - ".lr".length()));
            }
        }
        assertEquals(inFixture, new TreeSet<>(SCHEDS.keySet()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void ratesMatchTorch(String name) {
        Optimizer opt = optimizer(name);
        Object sched = SCHEDS.get(name).apply(opt);
        Tensor lrs = golden.get("sched." + name + ".lr");
        Tensor moms = golden.get("sched." + name + ".momentum");
        if (sched instanceof ReduceLROnPlateau plateau) {
            double[] metrics = golden.get("plateau.metrics").toDoubleArray();
            for (int s = 0; s < metrics.length; s++) {
                plateau.step(metrics[s]);
                check(name + " after step " + (s + 1), lrs.select(0, s), opt, ParamGroup.LR);
            }
            return;
        }
        LRScheduler sc = (LRScheduler) sched;
        String momentum = opt instanceof Adam ? ParamGroup.BETA1 : ParamGroup.MOMENTUM;
        for (int s = 0; s < lrs.size(0); s++) {
            if (s > 0) {
                sc.step();
            }
            check(name + " lr at epoch " + s, lrs.select(0, s), opt, ParamGroup.LR);
            check(name + " momentum at epoch " + s, moms.select(0, s), opt, momentum);
            assertEquals(s, sc.lastEpoch());
            double[] last = sc.lastLr();
            for (int g = 0; g < last.length; g++) {
                assertEquals(opt.paramGroups().get(g).lr(), last[g]);
            }
        }
    }

    private static void check(String what, Tensor expected, Optimizer opt, String option) {
        for (int g = 0; g < expected.numel(); g++) {
            double e = expected.get(g);
            double a = opt.paramGroups().get(g).get(option);
            if (!(Math.abs(a - e) <= 1e-12 * Math.abs(e) + 1e-16)) {
                fail(what + ", group " + g + ": graft " + a + ", torch " + e + " (|diff| " + Math.abs(a - e) + ")");
            }
        }
    }
}
