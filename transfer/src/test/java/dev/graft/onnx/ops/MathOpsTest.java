package dev.graft.onnx.ops;

import dev.graft.autograd.GradCheck;
import dev.graft.onnx.OnnxModule;
import dev.graft.onnx.OnnxAttribute;
import dev.graft.onnx.OnnxException;
import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.graft.onnx.ops.OpsTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MathOps called directly through the op SPI: gradients against float64 central differences
 * ({@link GradCheck}), ONNX's dtype rules (no promotion, truncating integer division, wrapping
 * uint8), opset-dependent forms, Einsum against explicit products, and load-time refusals.
 */
class MathOpsTest {
    private static final Generator GEN = new Generator(7);

    // ------------------------------------------------------------------ running ops (nodes with two outputs)

    private static Tensor[] runAll(String op, int opset, OnnxAttribute[] attrs, Tensor... inputs) {
        return OpsTestSupport.runAll(op, opset, 2, attrs, inputs);
    }

    private static Tensor run(String op, int opset, OnnxAttribute[] attrs, Tensor... inputs) {
        return runAll(op, opset, attrs, inputs)[0];
    }

    private static Tensor run(String op, Tensor... inputs) {
        return run(op, 17, new OnnxAttribute[0], inputs);
    }

    private static OnnxAttribute[] attrs(OnnxAttribute... a) {
        return a;
    }

    private static Tensor rnd(double lo, double hi, int... shape) {
        return Tensor.uniform(GEN, lo, hi, DType.FLOAT64, shape).requiresGrad(true);
    }

    private static long[] longs(Tensor t) {
        return t.contiguous().toLongArray();
    }

    // ------------------------------------------------------------------ gradients

    @Test
    void unaryFloatOpsAreDifferentiable() {
        String[] anywhere = {"Neg", "Abs", "Exp", "Erf", "Tanh", "Sigmoid", "Sin", "Cos", "Relu", "LeakyRelu", "Elu", "Selu",
                             "Celu", "Gelu", "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Mish", "ThresholdedRelu",
                             "Sinh", "Cosh", "Tan"};
        for (String op : anywhere) {
            Tensor x = rnd(-1.4, 1.4, 2, 3);
            gradCheck(op, in -> run(op, in[0]), x);
        }
        for (String op : new String[] {"Sqrt", "Log", "Reciprocal"}) {
            Tensor x = rnd(0.5, 2, 2, 3);
            gradCheck(op, in -> run(op, in[0]), x);
        }
        Tensor x = rnd(-2, 2, 4);
        gradCheck("Gelu tanh", in -> run("Gelu", 20, attrs(s("approximate", "tanh")), in[0]), x);
        gradCheck("Elu alpha", in -> run("Elu", 17, attrs(f("alpha", 0.7f)), in[0]), x);
        gradCheck("Celu alpha", in -> run("Celu", 17, attrs(f("alpha", 2f)), in[0]), x);
    }

    @Test
    void opsWithoutAGraftPrimitiveStillCarryGradients() {
        for (String op : new String[] {"Asin", "Acos", "Atan", "Asinh", "Atanh"}) {
            gradCheck(op, in -> run(op, in[0]), rnd(-0.8, 0.8, 2, 3));
        }
        gradCheck("Acosh", in -> run("Acosh", in[0]), rnd(1.2, 3, 4));
        gradCheck("Shrink", in -> run("Shrink", 17, attrs(f("lambd", 0.3f), f("bias", 0.1f)), in[0]), rnd(-1, 1, 6));
        gradCheck("Det", in -> run("Det", in[0]), rnd(-1, 1, 2, 3, 3));
        Tensor m = Tensor.fromArray(new double[] {2, 1, 0, 1, 3, 1, 0, 1, 4}, 3, 3);
        assertEquals(18, run("Det", m).item(), 1e-12);
        assertEquals(0, run("Det", Tensor.fromArray(new double[] {1, 2, 2, 4}, 2, 2)).item(), 0);
        double[] asinh = run("Asinh", Tensor.fromArray(new double[] {-1e8, -0.5, 0, 3}, 4)).toDoubleArray();
        double[] ref = {-1e8, -0.5, 0, 3};
        for (int k = 0; k < ref.length; k++) {
            double x = ref[k];
            assertEquals(Math.log(Math.abs(x) + Math.sqrt(x * x + 1)) * Math.signum(x), asinh[k], 1e-12 * Math.max(1, Math.abs(asinh[k])));
        }
    }

    @Test
    void lossesAreDifferentiableWithWeightsAndIgnoredTargets() {
        Tensor target = Tensor.fromArray(new long[] {2, -1, 0, 1, 2, 2}, 2, 3);
        for (String reduction : new String[] {"none", "sum", "mean"}) {
            OnnxAttribute[] a = attrs(s("reduction", reduction), i("ignore_index", -1));
            gradCheck("SCE " + reduction, in -> run("SoftmaxCrossEntropyLoss", 13, a, in[0], target, in[1]),
                    rnd(-2, 2, 2, 3, 3), rnd(0.5, 1.5, 3));
            gradCheck("NLL " + reduction, in -> run("NegativeLogLikelihoodLoss", 13, a, in[0], target), rnd(-2, 0, 2, 3, 3));
        }
        // the weighted mean divides by the weights the (kept) targets pick
        Tensor x = Tensor.fromArray(new double[] {-1, -2, -3, -4}, 2, 2);
        Tensor t = Tensor.fromArray(new long[] {1, 0}, 2);
        Tensor w = Tensor.fromArray(new double[] {3, 1}, 2);
        assertEquals((2 * 1 + 3 * 3) / 4.0, run("NegativeLogLikelihoodLoss", 13, attrs(), x, t, w).item(), 1e-12);
        Tensor[] both = runAll("SoftmaxCrossEntropyLoss", 13, attrs(s("reduction", "none")), x, t);
        assertTrue(both[1].allClose(x.logSoftmax(1), 1e-12, 1e-12));
        String why = REG.find("", "NegativeLogLikelihoodLoss").unsupportedReason(node("NegativeLogLikelihoodLoss", 2, 2,
                s("reduction", "max")), 13);
        assertNotNull(why);
        assertTrue(why.contains("reduction 'max'"), why);
        OnnxException e = assertThrows(OnnxException.class,
                () -> run("NegativeLogLikelihoodLoss", 13, attrs(), x, Tensor.fromArray(new long[] {1, 5}, 2)));
        assertTrue(e.getMessage().contains("target 5"), e.getMessage());
    }

    @Test
    void signalOpsAreDifferentiable() {
        gradCheck("DFT real", in -> run("DFT", 17, attrs(), in[0]), rnd(-1, 1, 2, 5, 1));
        gradCheck("DFT complex inverse", in -> run("DFT", 17, attrs(i("inverse", 1)), in[0]), rnd(-1, 1, 2, 4, 2));
        gradCheck("DFT onesided padded", in -> run("DFT", 17, attrs(i("onesided", 1), i("axis", -2)), in[0],
                Tensor.scalar(6, DType.INT64)), rnd(-1, 1, 3, 4, 1));
        gradCheck("STFT", in -> run("STFT", 17, attrs(), in[0], Tensor.scalar(2, DType.INT64), in[1]),
                rnd(-1, 1, 1, 9, 1), rnd(0, 1, 4));
        // DFT then inverse DFT is the identity
        Tensor x = rnd(-1, 1, 2, 6, 2);
        Tensor back = run("DFT", 17, attrs(i("inverse", 1)), run("DFT", 17, attrs(), x));
        assertTrue(back.allClose(x, 1e-12, 1e-12));
        // a pure tone lands in its bin: cos(2 pi 2 j / 8) has X[2] = X[6] = 4
        double[] tone = new double[8];
        for (int j = 0; j < 8; j++) {
            tone[j] = Math.cos(2 * Math.PI * 2 * j / 8);
        }
        Tensor spec = run("DFT", 17, attrs(), Tensor.fromArray(tone, 1, 8, 1));
        double[] re = spec.select(2, 0).contiguous().toDoubleArray();
        for (int k = 0; k < 8; k++) {
            assertEquals(k == 2 || k == 6 ? 4 : 0, re[k], 1e-12);
        }
        double[] hann = run("HannWindow", 17, attrs(i("periodic", 0)), Tensor.scalar(5, DType.INT64)).toDoubleArray();
        assertArrayEquals(new double[] {0, 0.5, 1, 0.5, 0}, hann, 1e-7);
    }

    @Test
    void optimizerStepsFollowTheTrainingDomainFormulas() {
        Tensor lr = Tensor.scalar(0.1, DType.FLOAT64);
        Tensor t = Tensor.scalar(3, DType.INT64);
        Tensor x = Tensor.fromArray(new double[] {1, -2}, 2);
        Tensor g = Tensor.fromArray(new double[] {0.5, 0.25}, 2);
        Tensor v = Tensor.fromArray(new double[] {0.1, -0.1}, 2);
        Tensor h = Tensor.fromArray(new double[] {0.2, 0.3}, 2);
        Tensor[] adam = training("Adam", attrs(f("alpha", 0.9f), f("beta", 0.99f), f("epsilon", 1e-3f)), lr, t, x, g, v, h);
        double alpha = 0.9f;
        double beta = 0.99f;
        double rate = 0.1 * Math.sqrt(1 - Math.pow(beta, 3)) / (1 - Math.pow(alpha, 3));
        for (int k = 0; k < 2; k++) {
            double gk = g.get(k);
            double vk = alpha * v.get(k) + (1 - alpha) * gk;
            double hk = beta * h.get(k) + (1 - beta) * gk * gk;
            assertEquals(vk, adam[1].get(k), 1e-12);
            assertEquals(hk, adam[2].get(k), 1e-12);
            assertEquals(x.get(k) - rate * vk / (Math.sqrt(hk) + (double) 1e-3f), adam[0].get(k), 1e-12);
        }
        Tensor[] nesterov = training("Momentum", attrs(f("alpha", 0.5f), f("beta", 0.25f), s("mode", "nesterov")), lr, t, x, g, v);
        for (int k = 0; k < 2; k++) {
            double vk = 0.5 * v.get(k) + 0.25 * g.get(k);
            assertEquals(vk, nesterov[1].get(k), 1e-12);
            assertEquals(x.get(k) - 0.1 * (g.get(k) + 0.5 * vk), nesterov[0].get(k), 1e-12);
        }
        Tensor[] adagrad = training("Adagrad", attrs(f("decay_factor", 0.5f)), lr, t, x, g, h);
        for (int k = 0; k < 2; k++) {
            double hk = h.get(k) + g.get(k) * g.get(k);
            assertEquals(hk, adagrad[1].get(k), 1e-12);
            assertEquals(x.get(k) - 0.1 / 2.5 * g.get(k) / (Math.sqrt(hk) + (double) 1e-6f), adagrad[0].get(k), 1e-12);
        }
    }

    private static Tensor[] training(String op, OnnxAttribute[] attrs, Tensor... inputs) {
        OnnxNode n = node(op, inputs.length, 2, attrs);
        OnnxOp impl = REG.find("ai.onnx.preview.training", op);
        assertNotNull(impl, op);
        return impl.apply(new OpContext(n, 1, inputs));
    }

    @Test
    void opsetSixBroadcastAlignsBFromTheAxis() {
        Tensor a = rnd(-1, 1, 2, 3, 4);
        Tensor b = rnd(-1, 1, 3);
        Tensor y = run("Add", 6, attrs(i("broadcast", 1), i("axis", 1)), a, b);
        assertTrue(y.allClose(a.add(b.reshape(1, 3, 1)), 0, 0));
        Tensor tail = rnd(-1, 1, 4);
        assertTrue(run("Mul", 6, attrs(i("broadcast", 1)), a, tail).allClose(a.mul(tail), 0, 0));
        OnnxException e = assertThrows(OnnxException.class, () -> run("Sub", 6, attrs(i("broadcast", 1), i("axis", 2)), a, b));
        assertTrue(e.getMessage().contains("cannot be broadcast") || e.getMessage().contains("does not fit"), e.getMessage());
    }

    @Test
    void eluFamilyValuesMatchTheirDefinitions() {
        Tensor x = Tensor.fromArray(new double[] {-3, -0.5, 0, 0.5, 40}, 5);
        double[] elu = run("Elu", x).toDoubleArray();
        double[] celu = run("Celu", 17, attrs(f("alpha", 2f)), x).toDoubleArray();
        double[] softplus = run("Softplus", x).toDoubleArray();
        double[] hs = run("HardSwish", x).toDoubleArray();
        double[] v = x.toDoubleArray();
        for (int k = 0; k < v.length; k++) {
            assertEquals(v[k] > 0 ? v[k] : Math.exp(v[k]) - 1, elu[k], 1e-12);
            assertEquals(Math.max(0, v[k]) + Math.min(0, 2 * (Math.exp(v[k] / 2) - 1)), celu[k], 1e-12);
            assertEquals(Math.log1p(Math.exp(v[k])), softplus[k], 1e-12);
            assertEquals(v[k] * Math.max(0, Math.min(1, v[k] / 6 + 0.5)), hs[k], 1e-12);
        }
    }

    @Test
    void binaryOpsAreDifferentiableWithBroadcasting() {
        for (String op : new String[] {"Add", "Sub", "Mul", "Div", "PRelu"}) {
            Tensor a = rnd(0.5, 2, 2, 3);
            Tensor b = rnd(0.5, 2, 3);
            gradCheck(op, in -> run(op, in[0], in[1]), a, b);
        }
        Tensor a = rnd(0.5, 2, 2, 3);
        Tensor e = rnd(-1.5, 1.5, 2, 1);
        gradCheck("Pow", in -> run("Pow", in[0], in[1]), a, e);
        Tensor neg = rnd(-2, -0.5, 3);
        gradCheck("Pow whole scalar", in -> run("Pow", in[0], Tensor.scalar(3.0, DType.FLOAT64)), neg);
        gradCheck("PRelu negative", in -> run("PRelu", in[0], in[1]), rnd(-2, 2, 2, 3), rnd(0.1, 0.5, 3));
        for (String op : new String[] {"Sum", "Mean", "Max", "Min"}) {
            gradCheck(op, in -> run(op, in[0], in[1], in[2]), rnd(-1, 1, 2, 3), rnd(-1, 1, 3), rnd(-1, 1, 2, 1));
        }
        Tensor cond = Tensor.fromArray(new boolean[] {true, false, true}, 3);
        gradCheck("Where", in -> run("Where", cond, in[0], in[1]), rnd(-1, 1, 2, 3), rnd(-1, 1, 1));
        gradCheck("Mod fmod", in -> run("Mod", 17, attrs(i("fmod", 1)), in[0], in[1]), rnd(-5, 5, 2, 3), rnd(0.7, 1.3, 3));
        gradCheck("Clip", in -> run("Clip", in[0], in[1], in[2]), rnd(-2, 2, 2, 3),
                Tensor.scalar(-0.5, DType.FLOAT64), Tensor.scalar(0.75, DType.FLOAT64));
        gradCheck("Clip opset 6", in -> run("Clip", 6, attrs(f("min", -0.5f), f("max", 0.5f)), in[0]), rnd(-2, 2, 5));
    }

    @Test
    void softmaxFamilyFollowsTheOpsetSemantics() {
        Tensor x = rnd(-2, 2, 2, 3, 4);
        for (String op : new String[] {"Softmax", "LogSoftmax"}) {
            gradCheck(op + " 11", in -> run(op, 11, attrs(i("axis", 1)), in[0]), x);
            gradCheck(op + " 13", in -> run(op, 13, attrs(i("axis", 1)), in[0]), x);
        }
        // opset < 13 normalises over the flattened trailing block [3, 4]; opset 13 over axis 1 only
        Tensor old = run("Softmax", 11, attrs(i("axis", 1)), x);
        assertTrue(old.sum(new int[] {1, 2}, false).allClose(Tensor.ones(DType.FLOAT64, 2), 1e-12, 1e-12));
        Tensor now = run("Softmax", 13, attrs(i("axis", 1)), x);
        assertTrue(now.sum(new int[] {1}, false).allClose(Tensor.ones(DType.FLOAT64, 2, 4), 1e-12, 1e-12));
        // default axis: 1 before opset 13, -1 from 13
        assertTrue(run("Softmax", 11, attrs(), x).allClose(old, 0, 0));
        assertTrue(run("Softmax", 13, attrs(), x).allClose(x.softmax(-1), 0, 0));
        Tensor h = run("Hardmax", 13, attrs(), Tensor.fromArray(new float[] {1, 3, 3, 0, 5, 2}, 2, 3));
        assertArrayEquals(new float[] {0, 1, 0, 0, 1, 0}, h.toFloatArray());
        assertEquals(DType.FLOAT32, h.dtype());
    }

    @Test
    void matMulAndGemmAreDifferentiable() {
        gradCheck("MatMul batched", in -> run("MatMul", in[0], in[1]), rnd(-1, 1, 2, 3, 4), rnd(-1, 1, 4, 2));
        gradCheck("MatMul 1-D", in -> run("MatMul", in[0], in[1]), rnd(-1, 1, 4), rnd(-1, 1, 2, 4, 3));
        OnnxAttribute[] all = attrs(i("transA", 1), i("transB", 1), f("alpha", 0.5f), f("beta", 2f));
        gradCheck("Gemm", in -> run("Gemm", 13, all, in[0], in[1], in[2]), rnd(-1, 1, 4, 3), rnd(-1, 1, 5, 4), rnd(-1, 1, 5));
        Tensor a = rnd(-1, 1, 3, 4);
        Tensor b = rnd(-1, 1, 4, 2);
        Tensor c = rnd(-1, 1, 1, 2);
        Tensor y = run("Gemm", 13, attrs(f("alpha", 0.5f), f("beta", 2f)), a, b, c);
        assertTrue(y.allClose(a.matmul(b).mul(0.5).add(c.mul(2)), 1e-12, 1e-12));
        assertArrayEquals(new long[] {19, 22, 43, 50},
                longs(run("MatMul", Tensor.fromArray(new int[] {1, 2, 3, 4}, 2, 2), Tensor.fromArray(new int[] {5, 6, 7, 8}, 2, 2))));
    }

    @Test
    void reductionsAreDifferentiableInBothAxesForms() {
        Tensor x = rnd(0.5, 2, 2, 3, 4);
        String[] ops = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                        "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"};
        for (String op : ops) {
            gradCheck(op + " attr", in -> run(op, 13, attrs(ints("axes", 0, -1), i("keepdims", 0)), in[0]), x);
            gradCheck(op + " input", in -> run(op, 18, attrs(), in[0], Tensor.fromArray(new long[] {1}, 1)), x);
            gradCheck(op + " all", in -> run(op, 13, attrs(), in[0]), x);
        }
        assertArrayEquals(new int[] {1, 1, 1}, run("ReduceMean", 13, attrs(), x).shape());
        // an all-zero slice has a finite (zero) L2 gradient
        Tensor z = Tensor.zeros(DType.FLOAT64, 2, 3).requiresGrad(true);
        run("ReduceL2", 13, attrs(ints("axes", 1)), z).sum().backward();
        assertArrayEquals(new double[6], z.grad().toDoubleArray());
        assertArrayEquals(new int[] {2, 4}, run("ReduceSum", 13, attrs(i("keepdims", 0)), x,
                Tensor.fromArray(new long[] {1}, 1)).shape());
        // noop_with_empty_axes passes the input through; without it, empty axes mean all axes
        Tensor empty = Tensor.zeros(DType.INT64, 0);
        assertArrayEquals(x.shape(), run("ReduceSum", 13, attrs(i("noop_with_empty_axes", 1)), x, empty).shape());
        assertArrayEquals(new int[] {1, 1, 1}, run("ReduceSum", 13, attrs(), x, empty).shape());
    }

    @Test
    void cumSumTopKAndEinsumAreDifferentiable() {
        Tensor axis = Tensor.fromArray(new int[] {1}, 1).reshape();
        for (long ex = 0; ex <= 1; ex++) {
            for (long rev = 0; rev <= 1; rev++) {
                OnnxAttribute[] a = attrs(i("exclusive", ex), i("reverse", rev));
                gradCheck("CumSum " + ex + rev, in -> run("CumSum", 14, a, in[0], axis), rnd(-1, 1, 2, 4));
            }
        }
        gradCheck("TopK", in -> run("TopK", 11, attrs(i("axis", 1)), in[0], Tensor.fromArray(new long[] {2}, 1)), rnd(-1, 1, 3, 5));
        String[] eqs = {"bij,bjk->bik", "bhqd,bhkd->bhqk", "ij->ji", "i,i->", "ii->i", "...ij,...jk->...ik", "ij,jk", "ij->"};
        int[][][] shapes = {{{2, 3, 4}, {2, 4, 5}}, {{1, 2, 3, 4}, {1, 2, 5, 4}}, {{3, 4}}, {{5}, {5}}, {{3, 3}},
                            {{2, 3, 4}, {1, 4, 2}}, {{3, 4}, {4, 2}}, {{2, 3}}};
        for (int k = 0; k < eqs.length; k++) {
            String eq = eqs[k];
            Tensor[] in = new Tensor[shapes[k].length];
            for (int j = 0; j < in.length; j++) {
                in[j] = rnd(-1, 1, shapes[k][j]);
            }
            gradCheck("Einsum " + eq, t -> run("Einsum", 12, attrs(s("equation", eq)), t), in);
        }
    }

    @Test
    void cumSumValues() {
        Tensor x = Tensor.fromArray(new int[] {1, 2, 3, 4}, 4);
        Tensor ax = Tensor.fromArray(new long[] {0}, 1);
        assertArrayEquals(new long[] {1, 3, 6, 10}, longs(run("CumSum", 14, attrs(), x, ax)));
        assertArrayEquals(new long[] {0, 1, 3, 6}, longs(run("CumSum", 14, attrs(i("exclusive", 1)), x, ax)));
        assertArrayEquals(new long[] {10, 9, 7, 4}, longs(run("CumSum", 14, attrs(i("reverse", 1)), x, ax)));
        assertArrayEquals(new long[] {9, 7, 4, 0}, longs(run("CumSum", 14, attrs(i("reverse", 1), i("exclusive", 1)), x, ax)));
        assertEquals(DType.INT32, run("CumSum", 14, attrs(), x, ax).dtype());
    }

    @Test
    void einsumMatchesExplicitProducts() {
        Tensor a = rnd(-1, 1, 2, 3, 4);
        Tensor b = rnd(-1, 1, 2, 4, 5);
        assertTrue(run("Einsum", 12, attrs(s("equation", "bij,bjk->bik")), a, b).allClose(a.matmul(b), 1e-12, 1e-12));
        Tensor q = rnd(-1, 1, 2, 2, 3, 4);
        Tensor k = rnd(-1, 1, 2, 2, 5, 4);
        assertTrue(run("Einsum", 12, attrs(s("equation", "bhqd,bhkd->bhqk")), q, k)
                .allClose(q.matmul(k.transpose(-1, -2)), 1e-12, 1e-12));
        Tensor p = rnd(-1, 1, 2, 2, 3, 5);
        assertTrue(run("Einsum", 12, attrs(s("equation", "bhqk,bhkd->bhqd")), p, k)
                .allClose(p.matmul(k), 1e-12, 1e-12));
        Tensor m = Tensor.fromArray(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, 3);
        assertArrayEquals(new double[] {1, 5, 9}, run("Einsum", 12, attrs(s("equation", "ii->i")), m).toDoubleArray());
        assertEquals(15, run("Einsum", 12, attrs(s("equation", "ii")), m).item());
        assertArrayEquals(new double[] {1, 4, 7, 2, 5, 8, 3, 6, 9}, run("Einsum", 12, attrs(s("equation", "ij->ji")), m).toDoubleArray());
        Tensor v = Tensor.fromArray(new double[] {1, 2, 3}, 3);
        assertEquals(14, run("Einsum", 12, attrs(s("equation", "i,i->")), v, v).item());
        // implicit output: labels used once, alphabetically (so "ba" transposes)
        assertArrayEquals(new double[] {1, 4, 7, 2, 5, 8, 3, 6, 9}, run("Einsum", 12, attrs(s("equation", "ba")), m).toDoubleArray());
        // outer product, batch diagonal, broadcast ellipsis
        assertArrayEquals(new int[] {3, 3}, run("Einsum", 12, attrs(s("equation", "i,j->ij")), v, v).shape());
        Tensor bd = rnd(-1, 1, 2, 3, 3);
        assertTrue(run("Einsum", 12, attrs(s("equation", "bii->bi")), bd)
                .allClose(bd.mul(Tensor.eye(3, 3, DType.FLOAT64)).sum(new int[] {2}, false), 1e-12, 1e-12));
        Tensor e1 = rnd(-1, 1, 2, 1, 3, 4);
        Tensor e2 = rnd(-1, 1, 5, 4, 2);
        assertTrue(run("Einsum", 12, attrs(s("equation", "...ij,...jk->...ik")), e1, e2).allClose(e1.matmul(e2), 1e-12, 1e-12));
        Tensor ints = Tensor.fromArray(new long[] {1, 2, 3, 4}, 2, 2);
        Tensor ip = run("Einsum", 12, attrs(s("equation", "ij,jk->ik")), ints, ints);
        assertEquals(DType.INT64, ip.dtype());
        assertArrayEquals(new long[] {7, 10, 15, 22}, longs(ip));
    }

    @Test
    void emptyAndDegenerateShapes() {
        Tensor e = Tensor.zeros(DType.FLOAT32, 0, 3);
        assertArrayEquals(new int[] {0, 3}, run("Add", e, Tensor.ones(DType.FLOAT32, 3)).shape());
        assertArrayEquals(new float[] {0, 0, 0}, run("ReduceSum", 13, attrs(i("keepdims", 0)), e, Tensor.fromArray(new long[] {0}, 1)).toFloatArray());
        assertArrayEquals(new int[] {0, 3}, run("Softmax", 13, attrs(), e).shape());
        assertArrayEquals(new int[] {0, 3}, run("CumSum", 14, attrs(), e, Tensor.fromArray(new long[] {0}, 1)).shape());
        Tensor[] tk = runAll("TopK", 11, attrs(), Tensor.ones(DType.FLOAT32, 2, 3), Tensor.fromArray(new long[] {0}, 1));
        assertArrayEquals(new int[] {2, 0}, tk[0].shape());
        assertArrayEquals(new int[] {2, 0}, tk[1].shape());
        Tensor emptyMax = run("ReduceMax", 18, attrs(i("keepdims", 0)), e, Tensor.fromArray(new long[] {0}, 1));
        assertArrayEquals(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, emptyMax.toFloatArray());
        Tensor emptyMin = run("ReduceMin", 18, attrs(), Tensor.zeros(DType.INT32, 2, 0), Tensor.fromArray(new long[] {1}, 1));
        assertArrayEquals(new int[] {2, 1}, emptyMin.shape());
        assertArrayEquals(new long[] {Integer.MAX_VALUE, Integer.MAX_VALUE}, longs(emptyMin));
        Tensor s0 = Tensor.scalar(2, DType.FLOAT32);
        assertEquals(1, run("Softmax", 13, attrs(), s0).item());
        assertEquals(2, run("ReduceMax", 13, attrs(), s0).item());
        assertEquals(0, run("Range", Tensor.scalar(3, DType.INT64), Tensor.scalar(3, DType.INT64), Tensor.scalar(1, DType.INT64)).numel());
        Tensor a = rnd(-1, 1, 2, 3);
        Tensor b = rnd(-1, 1, 3, 4);
        Tensor c = rnd(-1, 1, 4, 5);
        assertTrue(run("Einsum", 12, attrs(s("equation", "ij,jk,kl->il")), a, b, c).allClose(a.matmul(b).matmul(c), 1e-12, 1e-12));
        assertTrue(run("Einsum", 12, attrs(s("equation", "ij,ij->i")), a, a).allClose(a.mul(a).sum(new int[] {1}, false), 1e-12, 1e-12));
        Tensor v = rnd(-1, 1, 3);
        assertTrue(run("Einsum", 12, attrs(s("equation", "i...,i->...")), b, v).allClose(v.matmul(b), 1e-12, 1e-12));
    }

    // ------------------------------------------------------------------ ONNX dtype rules

    @Test
    void arithmeticKeepsTheInputDtype() {
        Tensor a = Tensor.fromArray(new int[] {-7, 7, 250}, 3);
        Tensor b = Tensor.fromArray(new int[] {2, -2, 3}, 3);
        Tensor add = run("Add", a, b);
        assertEquals(DType.INT32, add.dtype());
        Tensor div = run("Div", a, b);
        assertEquals(DType.INT32, div.dtype());
        assertArrayEquals(new long[] {-3, -3, 83}, longs(div)); // truncation toward zero, like C++
        assertArrayEquals(new long[] {1, -1, 1}, longs(run("Mod", a, b))); // sign of the divisor
        assertArrayEquals(new long[] {-1, 1, 1}, longs(run("Mod", 17, attrs(i("fmod", 1)), a, b))); // sign of the dividend
        assertArrayEquals(new long[] {49, 49, 15625000}, longs(run("Pow", a, b.abs())));
        Tensor pf = run("Pow", a, Tensor.fromArray(new float[] {0.5f}, 1));
        assertEquals(DType.INT32, pf.dtype());
        Tensor u = Tensor.fromArray(new int[] {250, 3}, 2).to(DType.UINT8);
        Tensor w = Tensor.fromArray(new int[] {10, 5}, 2).to(DType.UINT8);
        Tensor sum = run("Add", u, w);
        assertEquals(DType.UINT8, sum.dtype());
        assertArrayEquals(new long[] {4, 8}, longs(sum)); // wraps modulo 256
        assertArrayEquals(new long[] {240, 254}, longs(run("Sub", u, w)));
        assertArrayEquals(new long[] {25, 0}, longs(run("Div", u, w)));
        Tensor big = Tensor.fromArray(new long[] {(1L << 62) + 1}, 1);
        assertArrayEquals(new long[] {(1L << 62) + 1}, longs(run("Div", big, Tensor.fromArray(new long[] {1}, 1))));
        assertEquals(DType.FLOAT64, run("Mul", rnd(0, 1, 2), Tensor.scalar(2, DType.FLOAT64)).dtype());
        assertEquals(DType.INT32, run("Mean", a, b).dtype());
        assertArrayEquals(new long[] {-2, 2, 126}, longs(run("Mean", a, b)));
        OnnxException e = assertThrows(OnnxException.class, () -> run("Div", a, Tensor.fromArray(new int[] {0}, 1)));
        assertTrue(e.getMessage().contains("Div node 'n'") && e.getMessage().contains("division by zero"), e.getMessage());
    }

    @Test
    void comparisonsLogicAndIndicesHaveOnnxTypes() {
        Tensor a = Tensor.fromArray(new int[] {1, 5, 3}, 3);
        Tensor b = Tensor.fromArray(new int[] {2, 5, 1}, 3);
        for (String op : new String[] {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"}) {
            assertEquals(DType.BOOL, run(op, a, b).dtype(), op);
        }
        assertArrayEquals(new long[] {1, 1, 0}, longs(run("LessOrEqual", a, b)));
        Tensor t = Tensor.fromArray(new boolean[] {true, true, false, false}, 4);
        Tensor u = Tensor.fromArray(new boolean[] {true, false, true, false}, 4);
        assertArrayEquals(new long[] {1, 0, 0, 0}, longs(run("And", t, u)));
        assertArrayEquals(new long[] {1, 1, 1, 0}, longs(run("Or", t, u)));
        assertArrayEquals(new long[] {0, 1, 1, 0}, longs(run("Xor", t, u)));
        assertArrayEquals(new long[] {0, 0, 1, 1}, longs(run("Not", t)));
        Tensor x = Tensor.fromArray(new float[] {1, 3, 3, 0}, 4);
        Tensor am = run("ArgMax", 13, attrs(i("keepdims", 0)), x);
        assertEquals(DType.INT64, am.dtype());
        assertArrayEquals(new long[] {1}, longs(am.reshape(1)));
        assertArrayEquals(new long[] {2}, longs(run("ArgMax", 13, attrs(i("select_last_index", 1)), x)));
        Tensor[] tk = runAll("TopK", 11, attrs(), Tensor.fromArray(new float[] {2, 5, 5, 1, 5}, 5), Tensor.fromArray(new long[] {3}, 1));
        assertArrayEquals(new float[] {5, 5, 5}, tk[0].toFloatArray());
        assertArrayEquals(new long[] {1, 2, 4}, longs(tk[1])); // ties: lower index first
        Tensor[] small = runAll("TopK", 1, attrs(i("k", 2), i("largest", 0)), Tensor.fromArray(new float[] {2, 5, 1, 1}, 4));
        assertArrayEquals(new long[] {2, 3}, longs(small[1]));
        Tensor ri = run("Range", Tensor.scalar(10, DType.INT32), Tensor.scalar(1, DType.INT32), Tensor.scalar(-3, DType.INT32));
        assertEquals(DType.INT32, ri.dtype());
        assertArrayEquals(new long[] {10, 7, 4}, longs(ri));
        Tensor rf = run("Range", Tensor.scalar(1, DType.FLOAT64), Tensor.scalar(2, DType.FLOAT64), Tensor.scalar(0.25, DType.FLOAT64));
        assertArrayEquals(new double[] {1, 1.25, 1.5, 1.75}, rf.toDoubleArray());
        Tensor rs = run("ReduceSum", 13, attrs(i("keepdims", 0)), Tensor.fromArray(new int[] {1, 2, 3}, 3));
        assertEquals(DType.INT32, rs.dtype());
        assertEquals(6, rs.item());
        Tensor clipped = run("Clip", Tensor.fromArray(new long[] {-5, 0, 9}, 3), Tensor.scalar(-1, DType.INT64), Tensor.scalar(4, DType.INT64));
        assertEquals(DType.INT64, clipped.dtype());
        assertArrayEquals(new long[] {-1, 0, 4}, longs(clipped));
        assertArrayEquals(new long[] {1, 0, 1}, longs(run("IsNaN", Tensor.fromArray(new float[] {Float.NaN, 1, Float.NaN}, 3))));
    }

    // ------------------------------------------------------------------ refusals and errors

    @Test
    void unsupportedVariantsAreRefusedAtLoadTime() {
        OnnxNode gelu = node("Gelu", 1, 2, s("approximate", "sigmoid"));
        String why = REG.find("", "Gelu").unsupportedReason(gelu, 20);
        assertNotNull(why);
        assertTrue(why.contains("approximate 'sigmoid'"), why);
        assertNull(REG.find("", "Gelu").unsupportedReason(node("Gelu", 1, 2), 20));
        String einsum = REG.find("", "Einsum").unsupportedReason(node("Einsum", 2, 2), 12);
        assertNotNull(einsum);
        assertTrue(einsum.contains("equation"), einsum);
        String bad = REG.find("", "Einsum").unsupportedReason(node("Einsum", 2, 2, s("equation", "ij,j2->i")), 12);
        assertNotNull(bad);
        assertTrue(bad.contains("letters"), bad);
        String count = REG.find("", "Einsum").unsupportedReason(node("Einsum", 1, 2, s("equation", "ij,jk->ik")), 12);
        assertNotNull(count);
        assertTrue(count.contains("2 operand terms but the node has 1 inputs"), count);
        String dir = REG.find("", "BitShift").unsupportedReason(node("BitShift", 2, 2, s("direction", "UP")), 11);
        assertNotNull(dir);
        assertTrue(dir.contains("LEFT or RIGHT"), dir);
    }

    @Test
    void badInputsGiveNamedErrors() {
        Tensor m = rnd(-1, 1, 2, 3);
        OnnxException e = assertThrows(OnnxException.class, () -> run("Einsum", 12, attrs(s("equation", "ijk->i")), m));
        assertTrue(e.getMessage().contains("Einsum node 'n'") && e.getMessage().contains("rank 2"), e.getMessage());
        e = assertThrows(OnnxException.class, () -> run("MatMul", m, m));
        assertTrue(e.getMessage().contains("inner dimensions"), e.getMessage());
        e = assertThrows(OnnxException.class, () -> run("Add", m, rnd(0, 1, 4)));
        assertTrue(e.getMessage().contains("cannot be broadcast"), e.getMessage());
        e = assertThrows(OnnxException.class, () -> run("TopK", 11, attrs(), m, Tensor.fromArray(new long[] {4}, 1)));
        assertTrue(e.getMessage().contains("k = 4"), e.getMessage());
        e = assertThrows(OnnxException.class, () -> run("Range", Tensor.scalar(0, DType.INT64), Tensor.scalar(Long.MAX_VALUE, DType.INT64),
                Tensor.scalar(1, DType.INT64)));
        assertTrue(e.getMessage().contains("limit"), e.getMessage());
        e = assertThrows(OnnxException.class, () -> run("ReduceSum", 13, attrs(ints("axes", 2)), m));
        assertTrue(e.getMessage().contains("axis 2"), e.getMessage());
    }
    // ------------------------------------------------------------------ ONNX Runtime as the oracle

    /**
     * Single-node models run by ONNX Runtime (a test dependency) and by an {@link OnnxModule}: the
     * opset variants, integer semantics and attribute forms that the 1.12 node suite does not
     * exercise. Outputs must agree in ONNX type, shape and value (1e-5 absolute + 1e-4 relative).
     */
    @Nested
    class AgainstOnnxRuntime {
        private final Random random = new Random(42);

        private In in(String name, int type, double lo, double hi, int... shape) {
            double[] v = new double[Math.max(1, java.util.Arrays.stream(shape).reduce(1, (x, y) -> x * y))];
            for (int k = 0; k < v.length; k++) {
                double x = lo + (hi - lo) * random.nextDouble();
                v[k] = type == FLOAT || type == DOUBLE ? x : Math.floor(x);
            }
            return new In(name, type, shape, v);
        }

        private In values(String name, int type, int[] shape, double... v) {
            return new In(name, type, shape, v);
        }

        private Attr[] a(Attr... p) {
            return p;
        }

        @Test
        void softmaxFamilyInOldAndNewOpsets() {
            In x = in("x", FLOAT, -3, 3, 2, 3, 4);
            for (String op : new String[] {"Softmax", "LogSoftmax", "Hardmax"}) {
                check(op, 11, a(ai("axis", 1)), ins(x), FLOAT);
                check(op, 11, none(), ins(x), FLOAT);
                check(op, 11, a(ai("axis", 0)), ins(x), FLOAT);
                check(op, 13, a(ai("axis", 1)), ins(x), FLOAT);
                check(op, 13, none(), ins(x), FLOAT);
            }
        }

        @Test
        void reductionsInEveryAxesForm() {
            In x = in("x", FLOAT, 0.2, 3, 2, 3, 4);
            In xi = in("x", INT32, -9, 9, 2, 3, 4);
            In axes = values("axes", INT64, new int[] {2}, 0, -1);
            String[] ops = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                            "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"};
            for (String op : ops) {
                check(op, 11, a(ais("axes", 1), ai("keepdims", 0)), ins(x), FLOAT);
                check(op, 18, none(), ins(x, axes), FLOAT);
                check(op, 18, a(ai("keepdims", 0)), ins(x), FLOAT);
            }
            for (String op : new String[] {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceSumSquare"}) {
                check(op, 18, a(ai("keepdims", 0)), ins(xi, axes), INT32);
            }
            check("ReduceSum", 13, none(), ins(x, axes), FLOAT);
            for (String op : new String[] {"ArgMax", "ArgMin"}) {
                In ties = in("x", INT32, 0, 3, 3, 5);
                check(op, 13, a(ai("axis", 1), ai("select_last_index", 1)), ins(ties), INT64);
                check(op, 13, a(ai("axis", 0), ai("keepdims", 0)), ins(ties), INT64);
            }
        }

        @Test
        void integerArithmeticFollowsOnnxRuntime() {
            In a = in("a", INT32, -50, 50, 3, 4);
            In b = values("b", INT32, new int[] {4}, -7, 3, 5, -2);
            check("Div", 14, none(), ins(a, b), INT32);
            check("Mod", 13, none(), ins(a, b), INT32);
            check("Mod", 13, a(ai("fmod", 1)), ins(a, b), INT32);
            check("Pow", 15, none(), ins(a, values("b", INT32, new int[] {4}, 0, 1, 2, 3)), INT32);
            check("Pow", 15, none(), ins(in("a", INT64, 1, 9, 3, 4), values("b", FLOAT, new int[] {1}, 0.5)), INT64);
            check("Pow", 15, none(), ins(in("a", FLOAT, 0.1, 3, 3, 4), values("b", INT64, new int[] {4}, -2, 0, 1, 3)), FLOAT);
            In u = in("u", UINT8, 0, 255, 2, 5);
            In v = in("v", UINT8, 1, 255, 5);
            for (String op : new String[] {"Add", "Sub", "Mul", "Div"}) {
                check(op, 14, none(), ins(u, v), UINT8);
            }
            check("BitShift", 11, a(as("direction", "LEFT")), ins(u, values("v", UINT8, new int[] {1}, 3)), UINT8);
            check("CumSum", 14, a(ai("exclusive", 1), ai("reverse", 1)), ins(a, values("axis", INT64, new int[0], 1)), INT32);
            check("Clip", 13, none(), ins(a, values("lo", INT32, new int[0], -5), values("hi", INT32, new int[0], 20)), INT32);
            check("Clip", 13, none(), ins(a, null, values("hi", INT32, new int[0], 20)), INT32);
            check("Clip", 10, a(af("min", -0.5f), af("max", 0.25f)), ins(in("x", FLOAT, -1, 1, 7)), FLOAT);
            check("Range", 11, none(), ins(values("s", INT32, new int[0], 10), values("l", INT32, new int[0], -3),
                    values("d", INT32, new int[0], -4)), INT32);
            check("Range", 11, none(), ins(values("s", FLOAT, new int[0], 0.5), values("l", FLOAT, new int[0], 3.1),
                    values("d", FLOAT, new int[0], 0.3)), FLOAT);
            check("MatMul", 13, none(), ins(in("a", INT64, -9, 9, 2, 3), in("b", INT64, -9, 9, 3, 2)), INT64);
            check("Where", 16, none(), ins(in("c", BOOL, 0, 2, 3, 1), a, b), INT32);
            for (String op : new String[] {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"}) {
                check(op, 16, none(), ins(a, b), BOOL);
            }
        }

        @Test
        void selectionAndLinearAlgebra() {
            In ties = in("x", FLOAT, 0, 3, 3, 6);
            for (int k = 0; k < 18; k++) {
                ties.values()[k] = Math.floor(ties.values()[k]);
            }
            check("TopK", 9, a(ai("k", 3)), ins(ties), FLOAT, INT64);
            check("TopK", 11, a(ai("largest", 0), ai("axis", 0)), ins(ties, values("k", INT64, new int[] {1}, 2)), FLOAT, INT64);
            check("Gemm", 13, a(ai("transA", 1), ai("transB", 1), af("alpha", 0.5f), af("beta", -2f)),
                    ins(in("a", FLOAT, -1, 1, 4, 3), in("b", FLOAT, -1, 1, 5, 4), in("c", FLOAT, -1, 1, 5)), FLOAT);
            check("Gemm", 7, none(), ins(in("a", FLOAT, -1, 1, 3, 4), in("b", FLOAT, -1, 1, 4, 5), in("c", FLOAT, -1, 1, 1, 5)), FLOAT);
            check("MatMul", 13, none(), ins(in("a", FLOAT, -1, 1, 4), in("b", FLOAT, -1, 1, 2, 4, 3)), FLOAT);
            check("MatMul", 13, none(), ins(in("a", FLOAT, -1, 1, 2, 1, 3, 4), in("b", FLOAT, -1, 1, 3, 4, 2)), FLOAT);
            String[][] eqs = {{"bhqd,bhkd->bhqk"}, {"bhqk,bhkd->bhqd"}, {"...ij,...jk->...ik"}, {"ij,jk"}, {"ii->i"}, {"ij->"},
                              {"bij,bjk->bik"}, {"i,j->ij"}};
            int[][][] shapes = {{{2, 2, 3, 4}, {2, 2, 5, 4}}, {{2, 2, 3, 5}, {2, 2, 5, 4}}, {{2, 3, 4}, {1, 4, 2}}, {{3, 4}, {4, 2}},
                                {{3, 3}}, {{2, 3}}, {{2, 3, 4}, {2, 4, 5}}, {{3}, {4}}};
            for (int k = 0; k < eqs.length; k++) {
                In[] xs = new In[shapes[k].length];
                for (int j = 0; j < xs.length; j++) {
                    xs[j] = in("x" + j, FLOAT, -1, 1, shapes[k][j]);
                }
                check("Einsum", 12, a(as("equation", eqs[k][0])), xs, FLOAT);
            }
            check("Det", 11, none(), ins(in("x", FLOAT, -1, 1, 2, 3, 3)), FLOAT);
        }

        @Test
        void logicComparisonsAndVariadics() {
            In p = in("p", BOOL, 0, 2, 2, 3);
            In q = in("q", BOOL, 0, 2, 3);
            for (String op : new String[] {"And", "Or", "Xor", "Equal"}) {
                check(op, 16, none(), ins(p, q), BOOL);
            }
            check("Not", 1, none(), ins(p), BOOL);
            In f = values("f", FLOAT, new int[] {5}, 1, Double.POSITIVE_INFINITY, Double.NaN, Double.NEGATIVE_INFINITY, -2);
            check("IsNaN", 13, none(), ins(f), BOOL);
            check("IsInf", 10, none(), ins(f), BOOL);
            check("IsInf", 10, a(ai("detect_negative", 0)), ins(f), BOOL);
            In x = in("x", FLOAT, -1, 1, 2, 3);
            In y = in("y", FLOAT, -1, 1, 3);
            In z = in("z", FLOAT, -1, 1, 2, 1);
            for (String op : new String[] {"Sum", "Mean", "Max", "Min"}) {
                check(op, 13, none(), ins(x, y, z), FLOAT);
                check(op, 13, none(), ins(x), FLOAT);
            }
            for (String op : new String[] {"Less", "Greater", "Equal", "LessOrEqual", "GreaterOrEqual"}) {
                check(op, 16, none(), ins(x, y), BOOL);
            }
            check("Max", 13, none(), ins(in("i", INT64, -9, 9, 2, 3), in("j", INT64, -9, 9, 3)), INT64);
        }

        @Test
        void losses() {
            In scores = in("x", FLOAT, -3, 3, 3, 4, 2);
            In labels = values("t", INT64, new int[] {3, 2}, 0, 3, 1, -1, 2, 2);
            In weights = in("w", FLOAT, 0.5, 2, 4);
            for (String red : new String[] {"none", "sum", "mean"}) {
                check("SoftmaxCrossEntropyLoss", 13, a(as("reduction", red), ai("ignore_index", -1)), ins(scores, labels, weights),
                        FLOAT, FLOAT);
                check("NegativeLogLikelihoodLoss", 13, a(as("reduction", red), ai("ignore_index", -1)), ins(scores, labels), FLOAT);
            }
            check("SoftmaxCrossEntropyLoss", 13, none(), ins(in("x", FLOAT, -3, 3, 5, 3), values("t", INT32, new int[] {5}, 0, 2, 1, 1, 0)),
                    FLOAT);
        }

        @Test
        void signal() {
            check("DFT", 17, none(), ins(in("x", FLOAT, -1, 1, 2, 6, 1)), FLOAT);
            check("DFT", 17, a(ai("onesided", 1)), ins(in("x", FLOAT, -1, 1, 2, 7, 1)), FLOAT);
            check("DFT", 17, a(ai("inverse", 1), ai("axis", 2)), ins(in("x", FLOAT, -1, 1, 2, 3, 5, 2)), FLOAT);
            check("DFT", 17, none(), ins(in("x", FLOAT, -1, 1, 2, 6, 2), values("n", INT64, new int[0], 8)), FLOAT);
            check("STFT", 17, none(), ins(in("x", FLOAT, -1, 1, 2, 20, 1), values("step", INT64, new int[0], 3),
                    in("w", FLOAT, 0, 1, 6)), FLOAT);
            check("STFT", 17, a(ai("onesided", 0)), ins(in("x", FLOAT, -1, 1, 1, 12, 1), values("step", INT64, new int[0], 4), null,
                    values("len", INT64, new int[0], 5)), FLOAT);
            for (String op : new String[] {"HannWindow", "HammingWindow", "BlackmanWindow"}) {
                check(op, 17, none(), ins(values("n", INT64, new int[0], 10)), FLOAT);
                check(op, 17, a(ai("periodic", 0), ai("output_datatype", DOUBLE)), ins(values("n", INT32, new int[0], 7)), DOUBLE);
            }
            check("MelWeightMatrix", 17, none(), ins(values("m", INT64, new int[0], 6), values("d", INT64, new int[0], 64),
                    values("r", INT64, new int[0], 16000), values("lo", FLOAT, new int[0], 20), values("hi", FLOAT, new int[0], 7000)), FLOAT);
        }

        @Test
        void activations() {
            In x = in("x", FLOAT, -4, 4, 3, 5);
            for (String op : new String[] {"Relu", "Elu", "Selu", "Celu", "Softplus", "Softsign", "HardSwish", "HardSigmoid",
                                           "Sigmoid", "Tanh", "Erf", "Exp", "Abs", "Neg", "Sign", "Floor", "Ceil", "Round",
                                           "Sin", "Cos", "Atan", "Asinh", "Mish", "ThresholdedRelu", "Shrink", "LeakyRelu"}) {
                check(op, 18, none(), ins(x), FLOAT);
            }
            check("LeakyRelu", 16, a(af("alpha", 0.3f)), ins(x), FLOAT);
            check("Elu", 6, a(af("alpha", 0.5f)), ins(x), FLOAT);
            check("HardSigmoid", 6, a(af("alpha", 0.3f), af("beta", 0.4f)), ins(x), FLOAT);
            check("Gelu", 20, none(), ins(x), FLOAT);
            check("Gelu", 20, a(as("approximate", "tanh")), ins(x), FLOAT);
            check("PRelu", 16, none(), ins(x, in("s", FLOAT, 0, 1, 5)), FLOAT);
            check("Mod", 13, a(ai("fmod", 1)), ins(x, in("d", FLOAT, 0.5, 2, 5)), FLOAT);
            check("Pow", 15, none(), ins(in("p", FLOAT, 0.1, 3, 3, 5), x), FLOAT);
            check("Mean", 13, none(), ins(x, in("z", FLOAT, -1, 1, 5), in("w", FLOAT, -1, 1, 3, 1)), FLOAT);
            check("Sqrt", 13, none(), ins(in("p", DOUBLE, 0.1, 3, 4)), DOUBLE);
        }
    }
}
