package dev.graft.optim;

import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Param groups, skipping rules, state checkpoints and their validation; gradient clipping by hand-computed values. */
class OptimizerTest {
    private static Tensor param(long seed, DType dtype, int... shape) {
        return Tensor.normal(new Generator(seed), 0, 1, dtype, shape).requiresGrad(true);
    }

    /** Gives every parameter the gradient of sum(p^2 * c) + sum(p), which differs per step as p moves. */
    private static void fakeBackward(List<Tensor> params, double c) {
        for (Tensor p : params) {
            p.setGrad(null);
        }
        Tensor l = null;
        for (Tensor p : params) {
            Tensor term = p.square().mul(c).add(p).sum();
            l = l == null ? term : l.add(term);
        }
        l.backward();
    }

    @Test
    void aParameterInTwoGroupsIsAnErrorNamingIt() {
        Tensor w = param(1, DType.FLOAT32, 3, 2);
        Tensor b = param(2, DType.FLOAT32, 3);
        Map<String, Tensor> encoder = new LinkedHashMap<>();
        encoder.put("encoder.weight", w);
        encoder.put("encoder.bias", b);
        Map<String, Tensor> head = new LinkedHashMap<>();
        head.put("head.weight", param(3, DType.FLOAT32, 2, 3));
        head.put("encoder.weight", w);
        var e = assertThrows(IllegalArgumentException.class,
                () -> new AdamW(new ParamGroup(encoder), new ParamGroup(head).lr(1e-3)));
        assertEquals("AdamW: parameter 'encoder.weight' (shape [3, 2]) is already in param group 0 (position 0);"
                + " a parameter may be in only one group", e.getMessage());
        var same = assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(w, b, w), 0.1));
        assertEquals("SGD: parameter 2 of its group (shape [3, 2]) is already in param group 0 (position 0);"
                + " a parameter may be in only one group", same.getMessage());
        SGD opt = new SGD(List.of(w), 0.1);
        assertThrows(IllegalArgumentException.class, () -> opt.addParamGroup(new ParamGroup(List.of(b, w))));
        assertEquals(1, opt.paramGroups().size(), "a failed addParamGroup adds nothing");
        assertFalse(new ParamGroup(List.of(b)).has(ParamGroup.LR));
    }

    @Test
    void optionErrors() {
        Tensor w = param(1, DType.FLOAT32, 2);
        assertEquals("SGD: param group 0 has no 'lr' and the optimizer has no default for it; set it on the group or in the defaults",
                assertThrows(IllegalArgumentException.class, () -> new SGD(new ParamGroup(List.of(w)))).getMessage());
        assertEquals("SGD: param group 0 has option 'beta1', which SGD does not have (its options: lr, momentum, dampening,"
                + " weight_decay, nesterov, maximize)", assertThrows(IllegalArgumentException.class,
                () -> new SGD(new ParamGroup(List.of(w)).lr(0.1).betas(0.9, 0.99))).getMessage());
        assertEquals("SGD: param group 0: Nesterov momentum requires a momentum and zero dampening (momentum 0.0, dampening 0.0)",
                assertThrows(IllegalArgumentException.class, () -> new SGD(new ParamGroup(List.of(w)).lr(0.1).nesterov(true)))
                        .getMessage());
        assertEquals("Adam: defaults: beta2 must be in [0.0, 1.0), got 1.0", assertThrows(IllegalArgumentException.class,
                () -> new Adam(List.of(w), ParamGroup.defaults().betas(0.9, 1.0))).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new SGD(List.of(Tensor.zeros(DType.INT64, 2)), 0.1)).getMessage().contains("only floating tensors"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(w.mul(2)), 0.1))
                .getMessage().contains("is not a leaf"));
        // an option set to a bad value between steps is caught at the next step
        Adam adam = new Adam(List.of(w));
        adam.paramGroups().get(0).lr(-1);
        assertEquals("Adam: param group 0: lr must be >= 0.0, got -1.0",
                assertThrows(IllegalArgumentException.class, adam::step).getMessage());
    }

    @Test
    void defaultsFillUnsetOptionsAndGroupsKeepTheirOwn() {
        Tensor a = param(1, DType.FLOAT32, 2);
        Tensor b = param(2, DType.FLOAT32, 2);
        AdamW opt = new AdamW(List.of(new ParamGroup(List.of(a)).lr(1e-5), new ParamGroup(List.of(b)).weightDecay(0)),
                ParamGroup.defaults().lr(1e-3));
        ParamGroup g0 = opt.paramGroups().get(0);
        ParamGroup g1 = opt.paramGroups().get(1);
        assertEquals(1e-5, g0.lr());
        assertEquals(0.01, g0.weightDecay());
        assertEquals(1e-3, g1.lr());
        assertEquals(0.0, g1.weightDecay());
        assertEquals(0.999, g1.beta2());
        assertFalse(g1.amsgrad());
        assertEquals(List.of(a, b), opt.params());
    }

    @Test
    void frozenAndGradlessParametersAreSkipped() {
        Tensor trained = param(1, DType.FLOAT64, 3);
        Tensor frozen = param(2, DType.FLOAT64, 3);
        Tensor unused = param(3, DType.FLOAT64, 3);
        double[] frozenBefore = frozen.toDoubleArray();
        double[] unusedBefore = unused.toDoubleArray();
        double[] trainedBefore = trained.toDoubleArray();
        Adam opt = new Adam(List.of(trained, frozen, unused), 0.1);
        fakeBackward(List.of(trained, frozen), 1);
        frozen.requiresGrad(false); // frozen after its gradient was computed: still skipped
        opt.step();
        assertArrayEquals(frozenBefore, frozen.toDoubleArray());
        assertArrayEquals(unusedBefore, unused.toDoubleArray());
        assertFalse(java.util.Arrays.equals(trainedBefore, trained.toDoubleArray()));
        Map<String, Tensor> st = opt.stateTensors();
        assertEquals(List.of("state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq"), new ArrayList<>(st.keySet()));
        assertTrue(trained.isLeaf(), "the update must not record a graph");
    }

    @Test
    void zeroGradClearsOrZeroes() {
        Tensor p = param(1, DType.FLOAT32, 2);
        SGD opt = new SGD(List.of(p), 0.1);
        fakeBackward(List.of(p), 1);
        opt.zeroGrad(false);
        assertArrayEquals(new float[] {0, 0}, p.grad().toFloatArray());
        opt.zeroGrad();
        assertNull(p.grad());
    }

    @Test
    void addParamGroupUnfreezesABlockWithItsOwnRate() {
        Tensor head = param(1, DType.FLOAT64, 2);
        Tensor block = param(2, DType.FLOAT64, 2);
        SGD opt = new SGD(List.of(head), 0.1);
        opt.addParamGroup(new ParamGroup(List.of(block)).lr(0.01));
        double before = block.get(0);
        fakeBackward(List.of(head, block), 0);
        opt.step();
        assertEquals(before - 0.01, block.get(0), 1e-15);
        assertEquals(0.1, opt.paramGroups().get(1).get(ParamGroup.LR) * 10, 1e-15);
    }

    // ------------------------------------------------------------------ checkpoints

    static Stream<Arguments> optimizers() {
        Map<String, Function<List<Tensor>, Optimizer>> m = new LinkedHashMap<>();
        m.put("SGD nesterov", p -> new SGD(List.of(new ParamGroup(p.subList(0, 2)).lr(0.05), new ParamGroup(p.subList(2, 3))),
                ParamGroup.defaults().lr(0.1).momentum(0.9).nesterov(true).weightDecay(0.01)));
        m.put("Adam amsgrad", p -> new Adam(List.of(new ParamGroup(p.subList(0, 2)).lr(0.01), new ParamGroup(p.subList(2, 3))),
                ParamGroup.defaults().amsgrad(true).weightDecay(0.1)));
        m.put("AdamW", p -> new AdamW(List.of(new ParamGroup(p.subList(0, 2)), new ParamGroup(p.subList(2, 3)).weightDecay(0)),
                ParamGroup.defaults().lr(0.01)));
        m.put("RMSprop centered momentum", p -> new RMSprop(List.of(new ParamGroup(p.subList(0, 2)),
                new ParamGroup(p.subList(2, 3)).centered(false)), ParamGroup.defaults().momentum(0.5).centered(true)));
        List<Arguments> a = new ArrayList<>();
        for (var e : m.entrySet()) {
            a.add(Arguments.of(e.getKey(), e.getValue(), DType.FLOAT64));
            a.add(Arguments.of(e.getKey(), e.getValue(), DType.FLOAT32));
        }
        return a.stream();
    }

    private static List<Tensor> params(DType dtype) {
        return List.of(param(11, dtype, 3, 4), param(12, dtype, 4), param(13, dtype, 2, 2));
    }

    private static List<Tensor> copies(List<Tensor> ps) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor p : ps) {
            out.add(p.detach().clone().requiresGrad(true));
        }
        return out;
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("optimizers")
    void savedStateGivesABitIdenticalNextStep(String name, Function<List<Tensor>, Optimizer> make, DType dtype) {
        List<Tensor> ps = params(dtype);
        Optimizer opt = make.apply(ps);
        for (int s = 0; s < 3; s++) {
            fakeBackward(ps, 0.5);
            opt.step();
        }
        opt.paramGroups().get(1).lr(0.0123); // a scheduler's change must travel with the state
        Map<String, Tensor> tensors = opt.stateTensors();
        Map<String, String> meta = new HashMap<>(opt.stateMetadata());
        meta.put("model.note", "unrelated keys are ignored");
        List<Tensor> resumed = copies(ps);
        Optimizer fresh = make.apply(resumed);
        fresh.loadState(tensors, meta);
        assertEquals(0.0123, fresh.paramGroups().get(1).lr());

        for (int s = 0; s < 2; s++) {
            fakeBackward(ps, 0.5);
            opt.step();
            fakeBackward(resumed, 0.5);
            fresh.step();
            for (int i = 0; i < ps.size(); i++) {
                assertArrayEquals(ps.get(i).toDoubleArray(), resumed.get(i).toDoubleArray(), name + " param " + i + " after resume");
            }
        }
        // the snapshot taken before these steps is unchanged by them
        for (Map.Entry<String, Tensor> e : fresh.stateTensors().entrySet()) {
            assertNotSame(tensors.get(e.getKey()), e.getValue());
        }
    }

    @Test
    void stateMetadataIsReadable() {
        List<Tensor> ps = params(DType.FLOAT32);
        Adam opt = new Adam(new ParamGroup(ps.subList(0, 2)).lr(0.01).amsgrad(true), new ParamGroup(ps.subList(2, 3)));
        Map<String, String> m = opt.stateMetadata();
        assertEquals("Adam", m.get("optimizer.class"));
        assertEquals("2", m.get("optimizer.param_groups"));
        assertEquals("0,1", m.get("optimizer.param_groups.0.params"));
        assertEquals("2", m.get("optimizer.param_groups.1.params"));
        assertEquals("0.01", m.get("optimizer.param_groups.0.lr"));
        assertEquals("true", m.get("optimizer.param_groups.0.amsgrad"));
        assertEquals("0.001", m.get("optimizer.param_groups.1.lr"));
        assertTrue(opt.stateTensors().isEmpty(), "no state before the first step");
        fakeBackward(ps, 1);
        opt.step();
        Tensor step = opt.stateTensors().get("state.2.step");
        assertEquals(DType.INT64, step.dtype());
        assertEquals(0, step.dim());
        assertEquals(1, step.item());
        assertArrayEquals(new int[] {3, 4}, opt.stateTensors().get("state.0.max_exp_avg_sq").shape());
    }

    @Test
    void loadStateReportsEveryProblemAndChangesNothing() {
        List<Tensor> ps = params(DType.FLOAT32);
        Adam saved = new Adam(List.of(new ParamGroup(ps.subList(0, 2)), new ParamGroup(ps.subList(2, 3))), ParamGroup.defaults());
        fakeBackward(ps, 1);
        saved.step();
        Map<String, Tensor> tensors = new LinkedHashMap<>(saved.stateTensors());
        Map<String, String> meta = new LinkedHashMap<>(saved.stateMetadata());
        tensors.put("state.0.exp_avg", Tensor.zeros(4, 3));
        tensors.remove("state.1.exp_avg_sq");
        tensors.put("state.2.momentum_buffer", Tensor.zeros(2, 2));
        tensors.put("state.7.exp_avg", Tensor.zeros(2));
        meta.put("optimizer.param_groups.1.lr", "fast");
        meta.put("optimizer.param_groups.0.momentum", "0.9");

        List<Tensor> other = copies(ps);
        Adam target = new Adam(List.of(new ParamGroup(other.subList(0, 2)), new ParamGroup(other.subList(2, 3))), ParamGroup.defaults());
        var e = assertThrows(IllegalArgumentException.class, () -> target.loadState(tensors, meta));
        String msg = e.getMessage();
        assertTrue(msg.startsWith("Adam.loadState: 6 problems, nothing was loaded:"), msg);
        assertTrue(msg.contains("'state.0.exp_avg' has shape [4, 3] but parameter 0 (param group 0) has shape [3, 4]"), msg);
        assertTrue(msg.contains("'state.1.exp_avg_sq' is missing"), msg);
        assertTrue(msg.contains("'state.2.momentum_buffer' is not a buffer of Adam"), msg);
        assertTrue(msg.contains("'state.7.exp_avg' is for parameter 7, but the optimizer has 3 parameters"), msg);
        assertTrue(msg.contains("'optimizer.param_groups.1.lr' = 'fast' is not a valid value"), msg);
        assertTrue(msg.contains("'optimizer.param_groups.0.momentum': Adam has no option 'momentum'"), msg);
        assertTrue(target.stateTensors().isEmpty());

        assertEquals("SGD.loadState: the state was saved by Adam; it cannot be loaded into SGD",
                assertThrows(IllegalArgumentException.class,
                        () -> new SGD(other, 0.1).loadState(saved.stateTensors(), saved.stateMetadata())).getMessage());
        var groups = assertThrows(IllegalArgumentException.class,
                () -> new Adam(other).loadState(saved.stateTensors(), saved.stateMetadata()));
        assertTrue(groups.getMessage().contains("the state has 2 param groups, this optimizer has 1"), groups.getMessage());
    }

    // ------------------------------------------------------------------ clipping

    @Test
    void clipGradNormByHand() {
        Tensor a = Tensor.fromArray(new double[] {0, 0}, 2).requiresGrad(true);
        Tensor b = Tensor.fromArray(new double[] {0}, 1).requiresGrad(true);
        Tensor none = Tensor.fromArray(new double[] {0}, 1).requiresGrad(true);
        a.setGrad(Tensor.fromArray(new double[] {3, 0}, 2));
        b.setGrad(Tensor.fromArray(new double[] {-4}, 1));
        double total = GradClip.clipGradNorm(List.of(a, b, none), 1.0);
        assertEquals(5.0, total, 1e-15);
        double coef = 1.0 / (5.0 + 1e-6);
        assertArrayEquals(new double[] {3 * coef, 0}, a.grad().toDoubleArray(), 1e-15);
        assertArrayEquals(new double[] {-4 * coef}, b.grad().toDoubleArray(), 1e-15);
        assertNull(none.grad());
        // below the limit: unchanged (coefficient clamped to 1)
        a.setGrad(Tensor.fromArray(new double[] {0.3, 0}, 2));
        assertEquals(0.3, GradClip.clipGradNorm(List.of(a), 1.0, Double.POSITIVE_INFINITY), 1e-15);
        assertArrayEquals(new double[] {0.3, 0}, a.grad().toDoubleArray());
        assertEquals(0.0, GradClip.clipGradNorm(List.of(none), 1.0));
        a.setGrad(Tensor.fromArray(new double[] {Double.NaN, 0}, 2));
        assertTrue(assertThrows(IllegalStateException.class, () -> GradClip.clipGradNorm(List.of(a), 1, 2, true))
                .getMessage().startsWith("clipGradNorm: the total 2.0-norm of the gradients of 1 parameters is NaN"));
        assertThrows(IllegalArgumentException.class, () -> GradClip.clipGradNorm(List.of(a), 1, 0));
    }

    @Test
    void clipGradValueClampsInPlace() {
        Tensor a = Tensor.fromArray(new float[] {0, 0, 0}, 3).requiresGrad(true);
        Tensor g = Tensor.fromArray(new float[] {-2, 0.5f, 3}, 3);
        a.setGrad(g);
        GradClip.clipGradValue(List.of(a), 1);
        assertSame(g, a.grad());
        assertArrayEquals(new float[] {-1, 0.5f, 1}, a.grad().toFloatArray());
    }

    /**
     * Plain SGD on float32 takes a one-pass update: p + (-lr) * g with the product rounded to float32,
     * then the sum, element by element, for sizes around its chunking; and it advances the storage
     * version like any in-place op, so a graph that saved the old weights refuses to run backward.
     */
    @Test
    void plainSgdFloat32UpdateAndVersion() {
        for (int n : new int[] {1, 7, 65536 + 3, 3 * 65536}) {
            Tensor p = param(n, DType.FLOAT32, n);
            Tensor g = Tensor.normal(new Generator(n + 1), 0, 1, DType.FLOAT32, n);
            p.setGrad(g);
            float[] before = p.toFloatArray();
            float[] gv = g.toFloatArray();
            new SGD(List.of(p), 0.1).step();
            float[] after = p.toFloatArray();
            for (int i = 0; i < n; i++) {
                assertEquals(before[i] + (float) -0.1 * gv[i], after[i], 0f, "element " + i + " of " + n);
            }
        }
        Tensor w = param(3, DType.FLOAT32, 4, 3);
        Tensor x = Tensor.ones(DType.FLOAT32, 2, 4);
        Tensor loss = x.matmul(w).sum();
        w.setGrad(Tensor.onesLike(w));
        new SGD(List.of(w), 0.5).step();
        assertThrows(IllegalStateException.class, loss::backward);
    }
}
