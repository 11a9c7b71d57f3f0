package dev.graft.optim.lr;

import dev.graft.optim.Adam;
import dev.graft.optim.AdamW;
import dev.graft.optim.Optimizer;
import dev.graft.optim.ParamGroup;
import dev.graft.optim.SGD;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Discriminative rates (a backbone at 1e-5, a head at 1e-3) under every schedule, scheduler checkpoints, argument errors. */
class SchedulerTest {
    /** AdamW over the given groups (no extra defaults). */
    static Optimizer adamW(List<ParamGroup> groups) {
        return new AdamW(groups, null);
    }

    static Stream<Arguments> schedules() {
        return Stream.<Map.Entry<String, Function<Optimizer, LRScheduler>>>of(
                Map.entry("StepLR", o -> new StepLR(o, 3, 0.5)),
                Map.entry("MultiStepLR", o -> new MultiStepLR(o, new int[] {2, 5, 9})),
                Map.entry("ExponentialLR", o -> new ExponentialLR(o, 0.8)),
                Map.entry("CosineAnnealingLR", o -> new CosineAnnealingLR(o, 12)),
                Map.entry("linearScheduleWithWarmup", o -> LambdaLR.linearScheduleWithWarmup(o, 3, 12)),
                Map.entry("cosineScheduleWithWarmup", o -> LambdaLR.cosineScheduleWithWarmup(o, 3, 12)),
                Map.entry("OneCycleLR from group rates", o -> OneCycleLR.builder(o, 12).build()))
                .map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schedules")
    void groupsKeepTheirRatio(String name, Function<Optimizer, LRScheduler> make) {
        Optimizer opt = adamW(List.of(new ParamGroup(List.of(Tensor.zeros(3).requiresGrad(true))).lr(1e-5),
                new ParamGroup(List.of(Tensor.zeros(2).requiresGrad(true))).lr(1e-3)));
        LRScheduler s = make.apply(opt);
        assertEquals(0.01, s.baseLrs()[0] / s.baseLrs()[1], 1e-12);
        for (int e = 0; e < 12; e++) {
            double lr0 = opt.paramGroups().get(0).lr();
            double lr1 = opt.paramGroups().get(1).lr();
            if (lr1 != 0) {
                assertEquals(0.01, lr0 / lr1, 1e-12, name + " epoch " + e);
            } else {
                assertEquals(0.0, lr0, name + " epoch " + e);
            }
            s.step();
        }
    }

    @Test
    void plateauKeepsTheRatioUntilMinLr() {
        Optimizer opt = adamW(List.of(new ParamGroup(List.of(Tensor.zeros(3).requiresGrad(true))).lr(1e-5),
                new ParamGroup(List.of(Tensor.zeros(2).requiresGrad(true))).lr(1e-3)));
        ReduceLROnPlateau p = ReduceLROnPlateau.builder(opt).patience(0).factor(0.5).build();
        for (int e = 0; e < 6; e++) {
            p.step(1.0);
            assertEquals(0.01, opt.paramGroups().get(0).lr() / opt.paramGroups().get(1).lr(), 1e-12);
        }
        assertEquals(1e-3 / 32, opt.paramGroups().get(1).lr(), 1e-18);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("schedules")
    void savedStateResumesTheSameSchedule(String name, Function<Optimizer, LRScheduler> make) {
        Optimizer opt = adamW(List.of(new ParamGroup(List.of(Tensor.zeros(3).requiresGrad(true))).lr(0.02),
                new ParamGroup(List.of(Tensor.zeros(2).requiresGrad(true))).lr(0.3)));
        LRScheduler s = make.apply(opt);
        for (int e = 0; e < 5; e++) {
            s.step();
        }
        Map<String, Tensor> optState = opt.stateTensors();
        Map<String, String> meta = new HashMap<>(opt.stateMetadata());
        meta.putAll(s.stateMetadata());

        // resume: a fresh optimizer with the original rates, its state loaded, then a fresh scheduler
        Optimizer opt2 = adamW(List.of(new ParamGroup(List.of(Tensor.zeros(3).requiresGrad(true))).lr(0.02),
                new ParamGroup(List.of(Tensor.zeros(2).requiresGrad(true))).lr(0.3)));
        opt2.loadState(optState, meta);
        LRScheduler s2 = make.apply(opt2);
        s2.loadState(meta);
        assertEquals(5, s2.lastEpoch());
        assertArrayEquals(s.lastLr(), s2.lastLr());
        for (int e = 0; e < 6; e++) {
            s.step();
            s2.step();
            assertArrayEquals(s.lastLr(), s2.lastLr(), name + " epoch " + s.lastEpoch());
            assertEquals(opt.paramGroups().get(0).lr(), opt2.paramGroups().get(0).lr());
        }
    }

    @Test
    void plateauStateRoundTrip() {
        Optimizer opt = adamW(List.of(new ParamGroup(List.of(Tensor.zeros(1).requiresGrad(true))).lr(0.1)));
        ReduceLROnPlateau p = ReduceLROnPlateau.builder(opt).patience(2).cooldown(1).build();
        double[] metrics = {1, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99, 1.0, 0.5, 0.6};
        for (int i = 0; i < 5; i++) {
            p.step(metrics[i]);
        }
        Map<String, String> meta = new HashMap<>(opt.stateMetadata());
        meta.putAll(p.stateMetadata());
        Optimizer opt2 = adamW(List.of(new ParamGroup(List.of(Tensor.zeros(1).requiresGrad(true))).lr(0.1)));
        opt2.loadState(Map.of(), meta);
        ReduceLROnPlateau p2 = ReduceLROnPlateau.builder(opt2).patience(2).cooldown(1).build();
        p2.loadState(meta);
        assertEquals(0.9, p2.best());
        for (int i = 5; i < metrics.length; i++) {
            p.step(metrics[i]);
            p2.step(metrics[i]);
            assertArrayEquals(p.lastLr(), p2.lastLr(), "epoch " + i);
            assertEquals(p.numBadEpochs(), p2.numBadEpochs());
        }
        var e = assertThrows(IllegalArgumentException.class,
                () -> ReduceLROnPlateau.builder(opt2).patience(3).cooldown(1).build().loadState(meta));
        assertEquals("ReduceLROnPlateau.loadState: the saved schedule has other settings; nothing was loaded:\n"
                + "  patience: saved '2', this scheduler '3'", e.getMessage());
    }

    @Test
    void loadStateChecksClassAndSettings() {
        Optimizer opt = twoGroupsSgd();
        StepLR step = new StepLR(opt, 3, 0.5);
        Map<String, String> meta = step.stateMetadata();
        assertEquals("StepLR", meta.get("scheduler.class"));
        assertEquals("0", meta.get("scheduler.last_epoch"));
        assertEquals("0.1,0.004", meta.get("scheduler.base_lrs"));
        assertEquals("ExponentialLR.loadState: the state was saved by StepLR; it cannot be loaded into ExponentialLR",
                assertThrows(IllegalArgumentException.class, () -> new ExponentialLR(twoGroupsSgd(), 0.5).loadState(meta))
                        .getMessage());
        var e = assertThrows(IllegalArgumentException.class, () -> new StepLR(twoGroupsSgd(), 4, 0.5).loadState(meta));
        assertTrue(e.getMessage().contains("step_size: saved '3', this scheduler '4'"), e.getMessage());
        var lam = assertThrows(IllegalArgumentException.class, () -> {
            Optimizer o = twoGroupsSgd();
            LambdaLR warm = LambdaLR.linearScheduleWithWarmup(o, 2, 10);
            LambdaLR.linearScheduleWithWarmup(twoGroupsSgd(), 3, 10).loadState(warm.stateMetadata());
        });
        assertTrue(lam.getMessage().contains("lambda: saved 'linear_with_warmup(2, 10)', this scheduler 'linear_with_warmup(3, 10)'"),
                lam.getMessage());
    }

    static Optimizer twoGroupsSgd() {
        return new SGD(new ParamGroup(List.of(Tensor.zeros(2).requiresGrad(true))).lr(0.1),
                new ParamGroup(List.of(Tensor.zeros(2).requiresGrad(true))).lr(0.004));
    }

    @Test
    void warmupStartsAtZeroAndASecondSchedulerKeepsTheBaseRate() {
        Optimizer opt = twoGroupsSgd();
        LambdaLR.linearScheduleWithWarmup(opt, 4, 10);
        assertEquals(0.0, opt.paramGroups().get(0).lr());
        // torch's initial_lr: a scheduler built later still scales from the original base rate
        CosineAnnealingLR c = new CosineAnnealingLR(opt, 10);
        assertArrayEquals(new double[] {0.1, 0.004}, c.baseLrs());
        assertEquals(0.1, opt.paramGroups().get(0).lr());
    }

    @Test
    void errors() {
        Optimizer opt = twoGroupsSgd();
        OneCycleLR oc = OneCycleLR.builder(opt, 3).maxLr(0.1).build();
        oc.step();
        oc.step();
        oc.step();
        assertEquals("OneCycleLR: tried to step 5 times; the specified number of total steps is 3",
                assertThrows(IllegalStateException.class, oc::step).getMessage());
        Optimizer noMomentum = new dev.graft.optim.RMSprop(List.of(Tensor.zeros(1).requiresGrad(true)));
        OneCycleLR.builder(noMomentum, 5).build();
        assertEquals(0.95, noMomentum.paramGroups().get(0).momentum(), 1e-15, "one-cycle drives RMSprop's momentum");
        assertEquals("OneCycleLR: 1 values of maxLrs for 2 param groups", assertThrows(IllegalArgumentException.class,
                () -> OneCycleLR.builder(twoGroupsSgd(), 5).maxLrs(0.1).build()).getMessage());
        Optimizer late = twoGroupsSgd();
        StepLR s = new StepLR(late, 2);
        late.addParamGroup(new ParamGroup(List.of(Tensor.zeros(1).requiresGrad(true))).lr(0.5));
        assertTrue(assertThrows(IllegalStateException.class, s::step).getMessage()
                .startsWith("StepLR: the optimizer has 3 param groups but the scheduler was created for 2"));
        assertThrows(IllegalArgumentException.class, () -> ReduceLROnPlateau.builder(late).factor(1.0).build());
        assertThrows(IllegalArgumentException.class, () -> new StepLR(twoGroupsSgd(), 0));
        assertThrows(IllegalArgumentException.class, () -> new LambdaLR(twoGroupsSgd(), List.of(e -> 1.0), "one for two groups"));
        Adam adam = new Adam(List.of(Tensor.zeros(1).requiresGrad(true)));
        OneCycleLR.builder(adam, 10).build();
        assertEquals(0.95, adam.paramGroups().get(0).beta1(), 1e-15, "one-cycle drives Adam's beta1");
    }
}
