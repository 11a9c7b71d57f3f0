package dev.graft.autograd;

import dev.graft.tensor.DType;
import dev.graft.tensor.PadMode;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Forward values and gradients against PyTorch 1.13 (fixtures from
 * src/test/resources/golden/make_golden.py, committed so CI needs no PyTorch). Each expression is
 * written again here with Graft ops; both sides compute in float32.
 *
 * <p>Tolerance: |graft - torch| &lt;= 2e-5 + 2e-4 * |torch| per element. Float32 carries about 7
 * digits; the expressions chain up to ~10 ops with sums over up to 108 terms (the convolutions),
 * where differently ordered float32 sums differ by a few units in the 6th digit.
 */
class GoldenTorchTest {
    private static Map<String, Tensor> golden;
    private static final Map<String, Function<Tensor[], Tensor>> CASES = new LinkedHashMap<>();

    static {
        CASES.put("linear_gelu", x -> x[0].matmul(x[1].t()).add(x[2]).gelu());
        CASES.put("linear_gelu_tanh", x -> x[0].matmul(x[1].t()).geluTanh());
        CASES.put("log_softmax_nll", x -> x[0].logSoftmax(1).gather(1, x[1].unsqueeze(1)).neg());
        CASES.put("softmax_dim0", x -> x[0].mul(3).softmax(0));
        CASES.put("conv_relu_pool", x -> x[0].conv2d(x[1], x[2], 1, 1).relu().maxPool2d(2));
        CASES.put("conv_groups_dilation", x -> x[0].conv2d(x[1], null, new int[] {2, 2}, new int[] {2, 2}, new int[] {2, 2}, 2).tanh());
        CASES.put("conv_depthwise_stride", x -> x[0].conv2d(x[1], x[2], new int[] {2, 1}, new int[] {1, 0}, new int[] {1, 1}, 3));
        CASES.put("conv1d", x -> x[0].conv1d(x[1], x[2], 2, 1, 1, 1));
        CASES.put("layer_norm_manual", x -> {
            Tensor mu = x[0].mean(new int[] {1}, true);
            Tensor var = x[0].var(new int[] {1}, 0, true);
            return x[0].sub(mu).div(var.add(1e-5).sqrt()).mul(x[1]).add(x[2]);
        });
        CASES.put("broadcast_mix", x -> x[0].mul(x[1]).add(x[0].exp().div(x[1].abs().add(1))).sigmoid());
        CASES.put("reductions", x -> x[0].logsumexp(new int[] {1, 2}, false)
                .add(x[0].amax(new int[] {1}, false).sum(1))
                .add(x[0].std(new int[] {2}, 1, false).mean(1))
                .add(x[0].sum(new int[] {0, 2}, false).prod().reshape(1).mul(0.01)));
        CASES.put("max_dim_indices", x -> x[0].max(1, false).values().mul(2).add(x[0].min(0, true).values().sum()));
        CASES.put("batched_matmul_broadcast", x -> x[0].matmul(x[1]).silu());
        CASES.put("matmul_vectors", x -> x[0].matmul(x[1]).mul(x[1].matmul(x[2]).sum()).add(x[0].matmul(x[0])));
        CASES.put("indexing", x -> {
            Tensor g = x[0].gather(1, x[2]);
            return Tensor.concat(0, x[0].indexSelect(0, x[1]).mul(2), Tensor.concat(1, g, g), x[0].cumsum(0));
        });
        CASES.put("pad_avgpool", x -> x[0].pad(new int[] {1, 2, 2, 1}, PadMode.REFLECT, 0)
                .avgPool2d(new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, false));
        CASES.put("pad_constant_replicate", x -> x[0].pad(new int[] {2, -1}, PadMode.CONSTANT, 0.5).mul(2)
                .add(x[0].pad(new int[] {1, 1}, PadMode.REPLICATE, 0).sum(new int[] {2}, true)));
        CASES.put("where_clamp_pow", x -> Tensor.where(x[0].gt(0), x[0].pow(3), x[0].clamp(-0.5, 0.5)).add(x[0].leakyRelu(0.1)));
        CASES.put("unary_zoo", x -> x[0].erf().add(x[1].log1p()).add(x[1].rsqrt()).add(x[0].sin().mul(x[0].cos()))
                .add(x[1].sqrt()).add(x[1].log()).add(x[1].reciprocal()).add(x[0].abs()).add(x[0].tanh()).add(x[1].pow(x[0])));
        CASES.put("views", x -> {
            Tensor v = x[0].permute(2, 0, 1).slice(0, 1, 4, 1).slice(2, 0, 3, 2).reshape(3, -1).t().unsqueeze(0).expand(2, 4, 3);
            Tensor s = Tensor.stack(0, x[0].select(0, 0).select(0, 0).slice(0, 0, 3), x[0].select(0, 1).select(0, 2).slice(0, 1, 4));
            return v.mul(s.unsqueeze(1));
        });
        CASES.put("topk_sort", x -> x[0].topk(3, 1, true).values().add(x[0].sort(1, true).values().slice(1, 1, 4)));
        CASES.put("max_min_pair", x -> x[0].maximum(x[1]).mul(2).add(x[0].minimum(x[1])));
    }

    @BeforeAll
    static void load() throws IOException {
        golden = GoldenFile.read("/golden/torch_golden.safetensors");
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Backend b : Backends.available()) {
            for (String name : CASES.keySet()) {
                out.add(Arguments.of(b.name(), name));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void matchesPyTorch(String backendName, String name) {
        Backend backend = Backends.available().stream().filter(b -> b.name().equals(backendName)).findFirst().orElseThrow();
        Backends.with(backend, () -> {
            List<Tensor> inputs = new ArrayList<>();
            for (int i = 0; golden.containsKey(name + ".x" + i); i++) {
                Tensor x = golden.get(name + ".x" + i).clone();
                if (x.dtype() == DType.FLOAT32) {
                    x.requiresGrad(true);
                }
                inputs.add(x);
            }
            if (inputs.isEmpty()) {
                fail("fixture has no inputs for case " + name + "; regenerate with make_golden.py");
            }
            Tensor[] in = inputs.toArray(new Tensor[0]);
            Tensor out = CASES.get(name).apply(in);
            compare(name + " forward", out, golden.get(name + ".out"));
            out.mul(golden.get(name + ".r")).sum().backward();
            for (int i = 0; i < in.length; i++) {
                Tensor expected = golden.get(name + ".grad" + i);
                if (expected != null) {
                    if (in[i].grad() == null) {
                        fail(name + ": input " + i + " received no gradient");
                    }
                    compare(name + " grad of input " + i, in[i].grad(), expected);
                }
            }
        });
    }

    @org.junit.jupiter.api.Test
    void everyFixtureCaseHasAnExpression() {
        for (String key : golden.keySet()) {
            String name = key.substring(0, key.indexOf('.'));
            if (!CASES.containsKey(name)) {
                fail("fixture case " + name + " has no Graft expression in this test");
            }
        }
        assertEquals(CASES.size(), golden.keySet().stream().map(k -> k.substring(0, k.indexOf('.'))).distinct().count());
    }

    private static void compare(String what, Tensor actual, Tensor expected) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] a = actual.toDoubleArray();
        double[] e = expected.toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            double tol = 2e-5 + 2e-4 * Math.abs(e[i]);
            if (!(Math.abs(a[i] - e[i]) <= tol)) {
                fail(what + ": element " + i + " of shape " + Arrays.toString(expected.shape()) + " is " + a[i]
                        + ", PyTorch gives " + e[i] + " (tolerance " + tol + ")");
            }
        }
    }
}
