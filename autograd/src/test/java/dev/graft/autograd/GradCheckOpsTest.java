package dev.graft.autograd;

import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.PadMode;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every differentiable op against central finite differences in float64 (GradCheck: eps 1e-6,
 * pass when |analytic - numeric| &lt;= 1e-5 + 1e-4 |numeric|), on broadcasting shapes and on
 * non-contiguous leaves (transposed views), on every backend.
 */
class GradCheckOpsTest {
    /** How to make one input: shape, value domain, and whether the leaf is a transposed (non-contiguous) view. */
    record In(int[] shape, Domain domain, boolean nonContiguous) {
        static In of(int... shape) {
            return new In(shape, Domain.ANY, false);
        }

        In positive() {
            return new In(shape, Domain.POSITIVE, nonContiguous);
        }

        In awayFromKinks() {
            return new In(shape, Domain.AWAY_FROM_KINKS, nonContiguous);
        }

        In transposed() {
            return new In(shape, domain, true);
        }
    }

    enum Domain { ANY, POSITIVE, AWAY_FROM_KINKS }

    record Case(String name, Function<Tensor[], Tensor> fn, In... inputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final List<Case> CASES = new ArrayList<>();

    private static void add(String name, Function<Tensor[], Tensor> fn, In... inputs) {
        CASES.add(new Case(name, fn, inputs));
    }

    static {
        // unary, including a transposed leaf
        add("neg", x -> x[0].neg(), In.of(3, 4).transposed());
        add("abs", x -> x[0].abs(), In.of(3, 5).awayFromKinks());
        add("relu", x -> x[0].relu(), In.of(2, 7).awayFromKinks().transposed());
        add("square", x -> x[0].square(), In.of(5));
        add("exp", x -> x[0].exp(), In.of(2, 3));
        add("log", x -> x[0].log(), In.of(2, 3).positive());
        add("log1p", x -> x[0].log1p(), In.of(4).positive());
        add("sqrt", x -> x[0].sqrt(), In.of(3, 2).positive().transposed());
        add("rsqrt", x -> x[0].rsqrt(), In.of(3).positive());
        add("reciprocal", x -> x[0].reciprocal(), In.of(4).positive());
        add("sin", x -> x[0].sin(), In.of(5));
        add("cos", x -> x[0].cos(), In.of(5));
        add("tanh", x -> x[0].tanh(), In.of(2, 3));
        add("sigmoid", x -> x[0].sigmoid(), In.of(2, 3));
        add("silu", x -> x[0].silu(), In.of(6));
        add("erf", x -> x[0].erf(), In.of(6));
        add("gelu", x -> x[0].gelu(), In.of(3, 3).transposed());
        add("geluTanh", x -> x[0].geluTanh(), In.of(6));
        add("leakyRelu", x -> x[0].leakyRelu(0.2), In.of(6).awayFromKinks());
        add("pow scalar", x -> x[0].pow(2.5), In.of(4).positive());
        add("pow int", x -> x[0].pow(3), In.of(4));
        add("clamp", x -> x[0].clamp(-0.5, 0.5), In.of(8).awayFromKinks());
        add("floor is flat", x -> x[0].floor().add(x[0]), In.of(5).awayFromKinks());
        // binary with broadcasting
        add("add broadcast", x -> x[0].add(x[1]), In.of(3, 1, 4), In.of(2, 4));
        add("sub broadcast", x -> x[0].sub(x[1]), In.of(2, 4), In.of(3, 2, 4).transposed());
        add("mul broadcast", x -> x[0].mul(x[1]), In.of(4, 1), In.of(1, 3));
        add("div broadcast", x -> x[0].div(x[1]), In.of(2, 3), In.of(3).positive());
        add("pow tensor", x -> x[0].pow(x[1]), In.of(2, 3).positive(), In.of(3));
        add("maximum", x -> x[0].maximum(x[1]), In.of(3, 4), In.of(4));
        add("minimum", x -> x[0].minimum(x[1]), In.of(3, 4), In.of(3, 1));
        add("scalar ops", x -> x[0].add(2).mul(-3).div(4).sub(1), In.of(5));
        add("where", x -> Tensor.where(x[0].gt(0), x[0], x[1].mul(2)), In.of(3, 4), In.of(4));
        add("maskedFill", x -> x[0].maskedFill(x[0].lt(0), 0.25).mul(x[0]), In.of(3, 4).awayFromKinks());
        // reductions
        add("sum all", x -> x[0].sum(), In.of(2, 3, 4));
        add("sum axes keepdim", x -> x[0].sum(new int[] {0, 2}, true), In.of(2, 3, 4));
        add("sum negative axis", x -> x[0].sum(new int[] {-1}, false), In.of(3, 4).transposed());
        add("mean", x -> x[0].mean(new int[] {1}, false), In.of(3, 5));
        add("var", x -> x[0].var(new int[] {1}, 1, false), In.of(3, 5));
        add("std population", x -> x[0].std(new int[] {0, 1}, 0, true), In.of(3, 4));
        add("prod", x -> x[0].prod(new int[] {1}, false), In.of(3, 4).positive());
        add("amax", x -> x[0].amax(new int[] {0}, false), In.of(4, 3));
        add("amin keepdim", x -> x[0].amin(new int[] {1}, true), In.of(4, 3));
        add("max all", x -> x[0].max(), In.of(3, 3));
        add("max dim", x -> x[0].max(1, false).values(), In.of(3, 5).transposed());
        add("min dim keepdim", x -> x[0].min(0, true).values(), In.of(4, 2));
        add("logsumexp", x -> x[0].logsumexp(new int[] {1}, false), In.of(3, 4));
        add("softmax", x -> x[0].softmax(-1), In.of(2, 5));
        add("logSoftmax", x -> x[0].logSoftmax(0), In.of(4, 3).transposed());
        add("cumsum", x -> x[0].cumsum(1), In.of(3, 4));
        add("sort values", x -> x[0].sort(1, false).values(), In.of(3, 5));
        add("topk", x -> x[0].topk(2, 0, true).values(), In.of(5, 3));
        // matmul in every form
        add("matmul 2d", x -> x[0].matmul(x[1]), In.of(3, 4), In.of(4, 5));
        add("matmul transposed leaves", x -> x[0].matmul(x[1]), In.of(3, 4).transposed(), In.of(4, 5).transposed());
        add("matmul vec-mat", x -> x[0].matmul(x[1]), In.of(4), In.of(4, 3));
        add("matmul mat-vec", x -> x[0].matmul(x[1]), In.of(3, 4), In.of(4));
        add("matmul dot", x -> x[0].matmul(x[1]), In.of(5), In.of(5));
        add("matmul batched broadcast", x -> x[0].matmul(x[1]), In.of(2, 1, 3, 4), In.of(3, 4, 2));
        add("matmul batch @ matrix", x -> x[0].matmul(x[1]), In.of(2, 3, 4), In.of(4, 2));
        // views and joins
        add("reshape", x -> x[0].reshape(4, -1).mul(x[0].reshape(4, 3)), In.of(2, 6).transposed());
        add("permute", x -> x[0].permute(2, 0, 1), In.of(2, 3, 4));
        add("slice with step", x -> x[0].slice(1, 1, 6, 2), In.of(3, 7));
        add("narrow select", x -> x[0].narrow(0, 1, 2).select(1, -1), In.of(4, 3));
        add("expand", x -> x[0].expand(3, 2, 4), In.of(2, 1));
        add("squeeze unsqueeze flatten", x -> x[0].unsqueeze(1).squeeze().flatten(), In.of(3, 1, 2));
        add("concat", x -> Tensor.concat(1, x[0], x[1].mul(2)), In.of(2, 3), In.of(2, 2));
        add("stack", x -> Tensor.stack(0, x[0], x[1]), In.of(3), In.of(3));
        add("split chunk", x -> x[0].split(2, 1).get(1).mul(x[0].chunk(3, 1).get(0)), In.of(2, 6));
        // indexing
        add("gather", x -> x[0].gather(1, Tensor.fromArray(new long[] {2, 0, 0, 1, 1, 1}, 2, 3)), In.of(2, 4));
        add("scatterAdd", x -> x[0].scatterAdd(0, Tensor.fromArray(new long[] {1, 0, 1, 2, 0, 2}, 2, 3), x[1]), In.of(3, 3), In.of(2, 3));
        add("indexSelect", x -> x[0].indexSelect(1, Tensor.fromArray(new long[] {3, 0, 3, 1})), In.of(2, 4));
        // convolution and pooling
        add("conv2d", x -> x[0].conv2d(x[1], x[2], 1, 1), In.of(2, 2, 4, 4), In.of(3, 2, 3, 3), In.of(3));
        add("conv2d stride dilation groups", x -> x[0].conv2d(x[1], null, new int[] {2, 1}, new int[] {1, 2},
                new int[] {1, 2}, 2), In.of(1, 4, 5, 6), In.of(2, 2, 2, 3));
        add("conv2d unbatched", x -> x[0].conv2d(x[1], x[2], 2, 0), In.of(2, 5, 5), In.of(2, 2, 3, 3), In.of(2));
        add("conv2d batch over several weight chunks", x -> x[0].conv2d(x[1], x[2], new int[] {2, 1}, new int[] {1, 2},
                new int[] {2, 1}, 1), In.of(10, 2, 5, 4).transposed(), In.of(3, 2, 2, 3), In.of(3));
        add("conv2d depthwise", x -> x[0].conv2d(x[1], x[2], new int[] {1, 1}, new int[] {1, 2}, new int[] {1, 1}, 3),
                In.of(2, 3, 5, 7), In.of(3, 1, 3, 3), In.of(3));
        add("conv2d depthwise stride dilation multiplier", x -> x[0].conv2d(x[1], null, new int[] {2, 2}, new int[] {2, 1},
                new int[] {2, 1}, 2), In.of(1, 2, 7, 6).transposed(), In.of(4, 1, 2, 3));
        add("conv2d depthwise unbatched", x -> x[0].conv2d(x[1], x[2], new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, 2),
                In.of(2, 5, 5), In.of(2, 1, 3, 3).transposed(),
                In.of(2));
        add("conv2d 1x1", x -> x[0].conv2d(x[1], x[2], 1, 0), In.of(3, 3, 2, 5), In.of(4, 3, 1, 1), In.of(4));
        add("conv2d 1x1 unbatched strided input", x -> x[0].conv2d(x[1], null, 1, 0), In.of(3, 4, 5).transposed(),
                In.of(2, 3, 1, 1));
        add("conv1d", x -> x[0].conv1d(x[1], x[2], 2, 1, 2, 1), In.of(2, 3, 8), In.of(2, 3, 3), In.of(2));
        add("maxPool2d", x -> x[0].maxPool2d(new int[] {2, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}), In.of(1, 2, 5, 6));
        add("avgPool2d include pad", x -> x[0].avgPool2d(new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, true), In.of(1, 2, 5, 5));
        add("avgPool2d exclude pad", x -> x[0].avgPool2d(new int[] {3, 2}, new int[] {1, 2}, new int[] {1, 1}, false), In.of(2, 1, 4, 5));
        add("maxPool1d", x -> x[0].maxPool1d(3, 2, 1, 1), In.of(2, 2, 7));
        add("pad constant crop", x -> x[0].pad(new int[] {1, -1, 2, 0}, PadMode.CONSTANT, 3), In.of(2, 3, 4));
        add("pad reflect", x -> x[0].pad(new int[] {2, 1, 1, 1}, PadMode.REFLECT, 0), In.of(1, 3, 4));
        add("pad replicate", x -> x[0].pad(new int[] {1, 2}, PadMode.REPLICATE, 0), In.of(2, 3));
        add("unfold fold", x -> x[0].unfold2d(new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 0}, new int[] {1, 1})
                .mul(2).fold2d(new int[] {3, 4}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 0}, new int[] {1, 1}), In.of(1, 2, 3, 4));
        add("dtype round trip", x -> x[0].to(DType.FLOAT32).to(DType.FLOAT64).mul(0).add(x[0].clone()), In.of(3));
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Backend b : Backends.available()) {
            for (Case c : CASES) {
                out.add(Arguments.of(b.name(), c));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{1} on {0}")
    @MethodSource("cases")
    void gradientsMatchFiniteDifferences(String backendName, Case c) {
        Backend backend = Backends.available().stream().filter(b -> b.name().equals(backendName)).findFirst().orElseThrow();
        Backends.with(backend, () -> {
            Generator g = new Generator(c.name().hashCode());
            Tensor[] inputs = new Tensor[c.inputs().length];
            for (int i = 0; i < inputs.length; i++) {
                inputs[i] = make(g, c.inputs()[i]);
            }
            GradCheck.Result r = GradCheck.check(c.name(), c.fn(), inputs);
            assertTrue(r.passed(), r.toString());
        });
    }

    static Tensor make(Generator g, In spec) {
        int[] shape = spec.shape().clone();
        if (spec.nonContiguous() && shape.length >= 2) {
            int t = shape[shape.length - 1];
            shape[shape.length - 1] = shape[shape.length - 2];
            shape[shape.length - 2] = t;
        }
        Tensor base = Tensor.uniform(g, -1.5, 1.5, DType.FLOAT64, shape);
        double[] v = base.toDoubleArray();
        for (int i = 0; i < v.length; i++) {
            switch (spec.domain()) {
                case POSITIVE -> v[i] = Math.abs(v[i]) + 0.3;
                // keep clear of kinks at 0, ±0.5 and the integers, where a ±1e-6 step would cross them
                case AWAY_FROM_KINKS -> {
                    double frac = v[i] - Math.floor(v[i]);
                    if (frac < 0.1 || frac > 0.9 || Math.abs(frac - 0.5) < 0.1) {
                        v[i] += 0.2;
                    }
                }
                default -> { }
            }
        }
        Tensor t = Tensor.fromArray(v, shape);
        if (spec.nonContiguous() && shape.length >= 2) {
            t = t.transpose(-1, -2);
            if (t.isContiguous()) {
                throw new IllegalStateException("expected a non-contiguous leaf for " + java.util.Arrays.toString(spec.shape()));
            }
        }
        return t.requiresGrad(true);
    }
}
