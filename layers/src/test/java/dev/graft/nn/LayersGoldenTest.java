package dev.graft.nn;

import dev.graft.safetensors.SafeTensors;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Layers against PyTorch 1.13 (fixtures from src/test/resources/golden-nn/make_nn_golden.py, a
 * safetensors file written by that script). Each case builds the Graft layer, loads PyTorch's
 * state_dict with strict=true — so every parameter and buffer name must be PyTorch's — then
 * compares the output, the input gradient and every parameter gradient, and for BatchNorm in
 * training the updated running statistics. Tolerance per element: 3e-5 + 3e-4 * |torch| (float32
 * on both sides; sums of up to ~100 products in different orders).
 */
class LayersGoldenTest {
    private static Map<String, Tensor> g;

    private record Case(Supplier<Module> make, Function<Module, Function<Tensor, Tensor>> call, boolean train) {
    }

    private static final Map<String, Case> CASES = new LinkedHashMap<>();

    private static void add(String name, Supplier<Module> make) {
        CASES.put(name, new Case(make, m -> m::forward, false));
    }

    static {
        WeightSource ws = WeightSource.fresh(1);
        add("linear", () -> new Linear(5, 3, true, ws));
        add("linear_nobias_3d", () -> new Linear(4, 6, false, ws));
        add("conv2d_stride_pad", () -> new Conv2d(3, 4, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, 1, true, ws));
        add("conv2d_same_even", () -> new Conv2d(2, 3, new int[] {4, 4}, new int[] {1, 1}, null, new int[] {2, 2}, 1, true, ws));
        add("conv2d_depthwise", () -> new Conv2d(4, 4, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 4, false, ws));
        add("conv1d_same", () -> new Conv1d(3, 2, 5, 1, -1, 1, 1, true, ws));
        add("convtranspose2d", () -> new ConvTranspose2d(4, 2, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1},
                new int[] {1, 1}, 1, true, ws));
        add("convtranspose2d_groups", () -> new ConvTranspose2d(4, 6, new int[] {2, 3}, new int[] {1, 2}, new int[] {0, 0},
                new int[] {0, 0}, new int[] {1, 1}, 2, false, ws));
        CASES.put("batchnorm2d_train", new Case(() -> new BatchNorm2d(3), m -> m::forward, true));
        add("batchnorm2d_eval", () -> new BatchNorm2d(3));
        CASES.put("batchnorm1d_train", new Case(() -> new BatchNorm1d(5, 1e-5, 0.3, true, true, ws), m -> m::forward, true));
        add("layernorm", () -> new LayerNorm(new int[] {3, 4}, 1e-5, true, true, ws));
        add("groupnorm", () -> new GroupNorm(2, 6));
        add("embedding_padding", () -> new Embedding(7, 3, 2, ws));
        add("hardswish_hardsigmoid", () -> new Sequential(new Linear(4, 4, true, ws), new Activation.Hardswish(),
                new Linear(4, 4, true, ws), new Activation.Hardsigmoid()));
        add("adaptive_avgpool", () -> new Pooling.AdaptiveAvgPool2d(3, 2));
        add("cnn_sequential", () -> new Sequential(new Conv2d(1, 4, 3, 1, 1), new Activation.ReLU(), new Pooling.MaxPool2d(2),
                new Conv2d(4, 8, 3, 1, 1), new Activation.GELU(), new Pooling.AvgPool2d(2), new Pooling.Flatten(), new Linear(32, 5)));
        CASES.put("mha_key_padding", new Case(() -> new MultiheadAttention(8, 2, 0.0, true, true, ws),
                m -> x -> ((MultiheadAttention) m).forward(x, x, x, g.get("mha_key_padding.mask"), null).output(), false));
        CASES.put("encoder_post_norm", new Case(() -> new TransformerEncoderLayer(8, 2, 16, 0.0, "relu", 1e-5, true, false, ws),
                m -> x -> ((TransformerEncoderLayer) m).forward(x, null,
                        Tensor.fromArray(new boolean[] {false, false, true, true, false, false, false, false}, 2, 4)), false));
        add("encoder_pre_norm_gelu", () -> new TransformerEncoderLayer(8, 2, 16, 0.0, "gelu", 1e-5, true, true, ws));
    }

    @BeforeAll
    static void load() throws Exception {
        g = SafeTensors.read(Path.of(LayersGoldenTest.class.getResource("/golden-nn/nn_golden.safetensors").toURI()), false);
    }

    static Iterable<String> names() {
        return CASES.keySet();
    }

    @Test
    void everyFixtureCaseIsCovered() {
        long cases = g.keySet().stream().filter(k -> k.endsWith(".out")).count();
        assertEquals(CASES.size(), cases, "fixture and test disagree on the number of cases");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void matchesPyTorch(String name) {
        Case c = CASES.get(name);
        Module m = c.make().get();
        Map<String, Tensor> state = new LinkedHashMap<>();
        String prefix = name + ".state.";
        g.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                state.put(k.substring(prefix.length()), v);
            }
        });
        m.loadStateDict(state, true);
        m.train(c.train());
        Tensor x = g.get(name + ".x").clone();
        if (x.dtype().isFloating()) {
            x.requiresGrad(true);
        }
        Tensor out = c.call().apply(m).apply(x);
        compare(name + " output", out, g.get(name + ".out"));
        out.mul(g.get(name + ".r")).sum().backward();
        if (g.containsKey(name + ".grad.x")) {
            assertNotNull(x.grad(), name + ": input got no gradient");
            compare(name + " input gradient", x.grad(), g.get(name + ".grad.x"));
        }
        for (var e : m.namedParameters().entrySet()) {
            Tensor expected = g.get(name + ".grad." + e.getKey());
            assertNotNull(expected, name + ": PyTorch has no gradient for parameter " + e.getKey());
            assertNotNull(e.getValue().grad(), name + ": parameter " + e.getKey() + " got no gradient");
            compare(name + " gradient of " + e.getKey(), e.getValue().grad(), expected);
        }
        for (var e : m.namedBuffers().entrySet()) {
            Tensor after = g.get(name + ".after." + e.getKey());
            if (after != null) {
                compare(name + " buffer " + e.getKey() + " after forward", e.getValue(), after);
            }
        }
    }

    private static void compare(String what, Tensor actual, Tensor expected) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] a = actual.to(DType.FLOAT64).toDoubleArray();
        double[] e = expected.toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            double tol = 3e-5 + 3e-4 * Math.abs(e[i]);
            if (!(Math.abs(a[i] - e[i]) <= tol)) {
                fail(what + ": element " + i + " of " + Arrays.toString(expected.shape()) + " is " + a[i] + ", PyTorch " + e[i]);
            }
        }
    }
}
