package dev.graft.optim;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Optimizer trajectories and gradient clipping against PyTorch 1.13 (fixtures from
 * golden-optim/make_optim_golden.py). The problem: a 4-3-2 tanh network (w1, b1 in param group 0,
 * w2, b2 in group 1 with other options) fit to fixed data by MSE; five steps of
 * zero_grad / forward / backward / step, parameters compared after every step. Graft computes the
 * forward pass and gradients itself, so the test covers autograd and the update together.
 *
 * <p>Tolerances: float64 |graft - torch| &lt;= 1e-10 (absolute; parameters are of order 1), float32
 * 1e-6 (torch fuses some updates with FMA, so float32 results differ in the last bit, and Adam's
 * division by sqrt(v) + eps amplifies that for tiny v).
 */
class OptimizerGoldenTest {
    private static Map<String, Tensor> golden;
    private static final String[] NAMES = {"w1", "b1", "w2", "b2"};

    /** Builds the optimizer for a configuration from the model's two parameter lists. */
    private static final Map<String, Function<List<List<Tensor>>, Optimizer>> CONFIGS = new LinkedHashMap<>();

    static {
        CONFIGS.put("sgd", p -> new SGD(List.of(new ParamGroup(p.get(0)).lr(0.05), new ParamGroup(p.get(1))),
                ParamGroup.defaults().lr(0.1)));
        CONFIGS.put("sgd_momentum", p -> new SGD(List.of(new ParamGroup(p.get(0)).weightDecay(0.01), new ParamGroup(p.get(1)).lr(0.2)),
                ParamGroup.defaults().lr(0.1).momentum(0.9).dampening(0.1)));
        CONFIGS.put("sgd_nesterov", p -> new SGD(List.of(new ParamGroup(p.get(0)), new ParamGroup(p.get(1)).lr(0.02).weightDecay(0)),
                ParamGroup.defaults().lr(0.1).momentum(0.8).nesterov(true).weightDecay(0.05)));
        CONFIGS.put("sgd_maximize", p -> new SGD(List.of(new ParamGroup(p.get(0)), new ParamGroup(p.get(1))),
                ParamGroup.defaults().lr(0.01).momentum(0.5).maximize(true)));
        CONFIGS.put("adam", p -> new Adam(List.of(new ParamGroup(p.get(0)).weightDecay(0.1),
                new ParamGroup(p.get(1)).lr(0.03).betas(0.8, 0.99)), ParamGroup.defaults().lr(0.01)));
        CONFIGS.put("adam_amsgrad", p -> new Adam(List.of(new ParamGroup(p.get(0)), new ParamGroup(p.get(1)).weightDecay(0.01)),
                ParamGroup.defaults().lr(0.02).amsgrad(true).eps(1e-6)));
        CONFIGS.put("adamw", p -> new AdamW(List.of(new ParamGroup(p.get(0)).weightDecay(0.1), new ParamGroup(p.get(1)).lr(0.05)),
                ParamGroup.defaults().lr(0.01)));
        CONFIGS.put("adamw_amsgrad", p -> new AdamW(List.of(new ParamGroup(p.get(0)).lr(0.002), new ParamGroup(p.get(1))),
                ParamGroup.defaults().lr(0.01).amsgrad(true).betas(0.5, 0.9)));
        CONFIGS.put("rmsprop", p -> new RMSprop(List.of(new ParamGroup(p.get(0)), new ParamGroup(p.get(1)).lr(0.003).alpha(0.9)),
                ParamGroup.defaults().lr(0.01)));
        CONFIGS.put("rmsprop_centered_momentum", p -> new RMSprop(List.of(new ParamGroup(p.get(0)).eps(1e-4),
                new ParamGroup(p.get(1)).centered(false)),
                ParamGroup.defaults().lr(0.01).momentum(0.7).centered(true).weightDecay(0.02)));
    }

    @BeforeAll
    static void load() throws Exception {
        golden = dev.graft.safetensors.SafeTensors.read(java.nio.file.Path.of(OptimizerGoldenTest.class.getResource("/golden-optim/optim_golden.safetensors").toURI()), false);
    }

    static Stream<Arguments> configs() {
        return CONFIGS.keySet().stream().flatMap(c -> Stream.of(Arguments.of(c, DType.FLOAT64), Arguments.of(c, DType.FLOAT32)));
    }

    /** The model's parameters, fresh from the fixture's initial values, in the given dtype. */
    static Map<String, Tensor> model(DType dtype) {
        Map<String, Tensor> ps = new LinkedHashMap<>();
        for (String n : NAMES) {
            ps.put(n, golden.get("init." + n).to(dtype).clone().requiresGrad(true));
        }
        return ps;
    }

    static Tensor loss(Map<String, Tensor> ps, DType dtype) {
        Tensor x = golden.get("data.x").to(dtype);
        Tensor y = golden.get("data.y").to(dtype);
        Tensor h = x.matmul(ps.get("w1").t()).add(ps.get("b1")).tanh();
        Tensor out = h.matmul(ps.get("w2").t()).add(ps.get("b2"));
        return out.sub(y).square().mean();
    }

    static List<List<Tensor>> groups(Map<String, Tensor> ps) {
        return List.of(List.of(ps.get("w1"), ps.get("b1")), List.of(ps.get("w2"), ps.get("b2")));
    }

    @Test
    void everyFixtureConfigurationIsTested() {
        TreeSet<String> inFixture = new TreeSet<>();
        for (String k : golden.keySet()) {
            if (k.endsWith(".f64.loss")) {
                inFixture.add(k.substring(0, k.length() - ".f64.loss".length()));
            }
        }
        assertEquals(inFixture, new TreeSet<>(CONFIGS.keySet()));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("configs")
    void trajectoryMatchesTorch(String config, DType dtype) {
        String d = dtype == DType.FLOAT64 ? "f64" : "f32";
        double tol = dtype == DType.FLOAT64 ? 1e-10 : 1e-6;
        Map<String, Tensor> ps = model(dtype);
        Optimizer opt = CONFIGS.get(config).apply(groups(ps));
        Tensor losses = golden.get(config + "." + d + ".loss");
        int steps = losses.size(0);
        for (int s = 0; s < steps; s++) {
            opt.zeroGrad();
            Tensor l = loss(ps, dtype);
            l.backward();
            opt.step();
            assertClose(config + " " + d + " loss before step " + (s + 1), losses.get(s), l.item(), tol);
            for (String n : NAMES) {
                Tensor expected = golden.get(config + "." + d + "." + n).select(0, s);
                assertAllClose(config + " " + d + " " + n + " after step " + (s + 1), expected, ps.get(n), tol);
            }
        }
    }

    static Stream<Arguments> clips() {
        List<Arguments> a = new ArrayList<>();
        for (DType dt : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
            a.add(Arguments.of("l2", 0.05, 2.0, dt));
            a.add(Arguments.of("l1", 0.1, 1.0, dt));
            a.add(Arguments.of("inf", 0.02, Double.POSITIVE_INFINITY, dt));
            a.add(Arguments.of("l3", 0.04, 3.0, dt));
            a.add(Arguments.of("big", 100.0, 2.0, dt));
        }
        return a.stream();
    }

    @ParameterizedTest(name = "clipGradNorm {0} {3}")
    @MethodSource("clips")
    void clipGradNormMatchesTorch(String label, double maxNorm, double normType, DType dtype) {
        String d = dtype == DType.FLOAT64 ? "f64" : "f32";
        double tol = dtype == DType.FLOAT64 ? 1e-12 : 1e-6;
        Map<String, Tensor> ps = model(dtype);
        loss(ps, dtype).backward();
        double total = GradClip.clipGradNorm(ps.values(), maxNorm, normType);
        double expectedTotal = golden.get("clip." + d + "." + label + ".total").get(0);
        assertEquals(expectedTotal, total, tol * Math.max(1, Math.abs(expectedTotal)), "total norm");
        for (String n : NAMES) {
            assertAllClose("clipped grad " + n, golden.get("clip." + d + "." + label + "." + n), ps.get(n).grad(), tol);
            assertEquals(dtype, ps.get(n).grad().dtype());
        }
    }

    @Test
    void clipGradValueMatchesTorch() {
        for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
            String d = dtype == DType.FLOAT64 ? "f64" : "f32";
            Map<String, Tensor> ps = model(dtype);
            loss(ps, dtype).backward();
            GradClip.clipGradValue(ps.values(), 0.03);
            for (String n : NAMES) {
                // the unclipped elements carry autograd's rounding differences from torch's gradients
                assertAllClose("clipGradValue " + d + " " + n, golden.get("clip." + d + ".value." + n), ps.get(n).grad(),
                        dtype == DType.FLOAT64 ? 1e-15 : 1e-6);
            }
        }
    }

    static void assertClose(String what, double expected, double actual, double tol) {
        if (!(Math.abs(expected - actual) <= tol)) {
            fail(what + ": graft " + actual + ", torch " + expected + " (|diff| " + Math.abs(expected - actual) + " > " + tol + ")");
        }
    }

    static void assertAllClose(String what, Tensor expected, Tensor actual, double tol) {
        double[] e = expected.toDoubleArray();
        double[] a = actual.toDoubleArray();
        assertEquals(e.length, a.length, what + ": element count");
        for (int i = 0; i < e.length; i++) {
            if (!(Math.abs(e[i] - a[i]) <= tol)) {
                fail(what + ": element " + i + " is " + a[i] + ", torch " + e[i] + " (|diff| " + Math.abs(e[i] - a[i])
                        + " > " + tol + ")");
            }
        }
    }
}
