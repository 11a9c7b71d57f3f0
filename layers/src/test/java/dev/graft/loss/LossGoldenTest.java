package dev.graft.loss;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Loss values and input gradients against PyTorch 1.13 ({@code F.cross_entropy}, {@code nll_loss},
 * {@code binary_cross_entropy_with_logits}, {@code mse_loss}, {@code l1_loss}, {@code smooth_l1_loss},
 * {@code huber_loss}, {@code kl_div}, {@code cosine_embedding_loss}); fixtures from
 * golden-optim/make_optim_golden.py. The gradient is that of {@code sum(out * r)} for the fixture's r.
 *
 * <p>Tolerances: float64 cases |graft - torch| &lt;= 1e-12 + 1e-10 |torch| (both sides compute the
 * same formulas in float64; only summation order and libm rounding differ). float32 cases
 * 1e-6 + 1e-5 |torch| (a few float32 roundings through log-softmax and a mean).
 */
class LossGoldenTest {
    private static Map<String, Tensor> golden;
    private static final Map<String, LossFn> CASES = new LinkedHashMap<>();

    @FunctionalInterface
    interface LossFn {
        /** x: the inputs (1 or 2) that get gradients; t: the target; g: the fixture, for weights. */
        Tensor apply(Tensor[] x, Tensor t, String name);
    }

    private static Tensor extra(String caseName, String what) {
        Tensor t = golden.get(caseName + "." + what);
        if (t == null) {
            throw new IllegalStateException("fixture has no " + caseName + "." + what);
        }
        return t;
    }

    static {
        Map<String, Reduction> reds = new LinkedHashMap<>();
        reds.put("mean", Reduction.MEAN);
        reds.put("sum", Reduction.SUM);
        reds.put("none", Reduction.NONE);
        int dflt = Losses.DEFAULT_IGNORE_INDEX;
        for (Map.Entry<String, Reduction> e : reds.entrySet()) {
            String s = e.getKey();
            Reduction r = e.getValue();
            CASES.put("ce_" + s, (x, t, n) -> Losses.crossEntropy(x[0], t, null, dflt, r, 0));
            CASES.put("ce_weight_ignore_" + s, (x, t, n) -> Losses.crossEntropy(x[0], t, extra(n, "weight"), 1, r, 0));
            CASES.put("ce_smooth_" + s, (x, t, n) -> Losses.crossEntropy(x[0], t, null, dflt, r, 0.2));
            CASES.put("ce_smooth_weight_ignore_" + s, (x, t, n) -> Losses.crossEntropy(x[0], t, extra(n, "weight"), dflt, r, 0.1));
            CASES.put("ce_probs_" + s, (x, t, n) -> Losses.crossEntropy(x[0], t, null, dflt, r, 0));
            CASES.put("ce_probs_weight_smooth_" + s, (x, t, n) -> Losses.crossEntropy(x[0], t, extra(n, "weight"), dflt, r, 0.3));
            CASES.put("bce_" + s, (x, t, n) -> Losses.bceWithLogits(x[0], t, null, null, r));
            CASES.put("bce_weight_posweight_" + s,
                    (x, t, n) -> Losses.bceWithLogits(x[0], t, extra(n, "weight"), extra(n, "pos_weight"), r));
            CASES.put("mse_" + s, (x, t, n) -> Losses.mse(x[0], t, r));
            CASES.put("l1_" + s, (x, t, n) -> Losses.l1(x[0], t, r));
            CASES.put("smooth_l1_" + s, (x, t, n) -> Losses.smoothL1(x[0], t, r, 0.7));
            CASES.put("huber_" + s, (x, t, n) -> Losses.huber(x[0], t, r, 1.3));
            CASES.put("cosine_" + s, (x, t, n) -> Losses.cosineEmbedding(x[0], x[1], t, 0.2, r));
        }
        reds.put("batchmean", Reduction.BATCHMEAN);
        for (Map.Entry<String, Reduction> e : reds.entrySet()) {
            Reduction r = e.getValue();
            CASES.put("kl_" + e.getKey(), (x, t, n) -> Losses.klDiv(x[0], t, r, false));
            CASES.put("kl_logtarget_" + e.getKey(), (x, t, n) -> Losses.klDiv(x[0], t, r, true));
        }
        CASES.put("ce_nd_mean", (x, t, n) -> Losses.crossEntropy(x[0], t, extra(n, "weight"), dflt, Reduction.MEAN, 0.15));
        CASES.put("ce_nd_none", (x, t, n) -> Losses.crossEntropy(x[0], t, Reduction.NONE));
        CASES.put("ce_unbatched", (x, t, n) -> Losses.crossEntropy(x[0], t, null, dflt, Reduction.MEAN, 0.05));
        CASES.put("ce_float32", (x, t, n) -> Losses.crossEntropy(x[0], t, null, dflt, Reduction.MEAN, 0.1));
        CASES.put("ce_large_logits", (x, t, n) -> Losses.crossEntropy(x[0], t));
        CASES.put("nll_mean", (x, t, n) -> Losses.nll(x[0], t));
        CASES.put("nll_weight_ignore_mean", (x, t, n) -> Losses.nll(x[0], t, extra(n, "weight"), dflt, Reduction.MEAN));
        CASES.put("nll_weight_sum", (x, t, n) -> Losses.nll(x[0], t, extra(n, "weight"), dflt, Reduction.SUM));
        CASES.put("nll_nd_none", (x, t, n) -> Losses.nll(x[0], t, Reduction.NONE));
        CASES.put("bce_float32", (x, t, n) -> Losses.bceWithLogits(x[0], t));
        CASES.put("smooth_l1_beta0", (x, t, n) -> Losses.smoothL1(x[0], t, Reduction.MEAN, 0));
        CASES.put("smooth_l1_default", (x, t, n) -> Losses.smoothL1(x[0], t));
        CASES.put("huber_default", (x, t, n) -> Losses.huber(x[0], t));
        CASES.put("mse_float32", (x, t, n) -> Losses.mse(x[0], t));
        CASES.put("cosine_unbatched", (x, t, n) -> Losses.cosineEmbedding(x[0], x[1], t));
    }

    @BeforeAll
    static void load() throws Exception {
        golden = dev.graft.safetensors.SafeTensors.read(java.nio.file.Path.of(LossGoldenTest.class.getResource("/golden-optim/loss_golden.safetensors").toURI()), false);
    }

    static Stream<String> cases() {
        return CASES.keySet().stream();
    }

    @Test
    void everyFixtureCaseHasAJavaDefinition() {
        TreeSet<String> inFixture = new TreeSet<>();
        for (String k : golden.keySet()) {
            if (k.endsWith(".out")) {
                inFixture.add(k.substring(0, k.length() - 4));
            }
        }
        assertEquals(inFixture, new TreeSet<>(CASES.keySet()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTorch(String name) {
        boolean two = golden.containsKey(name + ".input2");
        Tensor[] x = two
                ? new Tensor[] {extra(name, "input").clone().requiresGrad(true), extra(name, "input2").clone().requiresGrad(true)}
                : new Tensor[] {extra(name, "input").clone().requiresGrad(true)};
        Tensor out = CASES.get(name).apply(x, extra(name, "target"), name);
        Tensor expected = extra(name, "out");
        assertArrayEquals(expected.shape(), out.shape(), name + ": output shape");
        assertEquals(expected.dtype(), out.dtype(), name + ": output dtype");
        boolean f32 = expected.dtype() == DType.FLOAT32;
        double atol = f32 ? 1e-6 : 1e-12;
        double rtol = f32 ? 1e-5 : 1e-10;
        compare(name + " value", out, expected, atol, rtol);
        out.mul(extra(name, "r")).sum().backward();
        compare(name + " grad", x[0].grad(), extra(name, "grad"), atol, rtol);
        if (two) {
            compare(name + " grad2", x[1].grad(), extra(name, "grad2"), atol, rtol);
        }
    }

    static void compare(String what, Tensor actual, Tensor expected, double atol, double rtol) {
        double[] a = actual.toDoubleArray();
        double[] e = expected.toDoubleArray();
        assertEquals(e.length, a.length, what + ": element count");
        for (int i = 0; i < a.length; i++) {
            double err = Math.abs(a[i] - e[i]);
            if (!(err <= atol + rtol * Math.abs(e[i])) && !(Double.isNaN(a[i]) && Double.isNaN(e[i]))) {
                fail(what + ": element " + i + " is " + a[i] + ", torch " + e[i] + " (|diff| " + err + ")\n graft "
                        + Arrays.toString(a) + "\n torch " + Arrays.toString(e));
            }
        }
    }
}
