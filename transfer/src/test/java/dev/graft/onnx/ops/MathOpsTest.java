package dev.graft.onnx.ops;

import dev.graft.autograd.GradCheck;
import dev.graft.onnx.OnnxAttribute;
import dev.graft.onnx.OnnxException;
import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

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
    private static final OpRegistry REG = OpRegistry.standard();
    private static final Generator GEN = new Generator(7);

    // ------------------------------------------------------------------ node building

    private static OnnxNode node(String op, int inputs, OnnxAttribute... attrs) {
        List<String> in = new ArrayList<>();
        for (int i = 0; i < inputs; i++) {
            in.add("in" + i);
        }
        Map<String, OnnxAttribute> a = new LinkedHashMap<>();
        for (OnnxAttribute x : attrs) {
            a.put(x.name(), x);
        }
        return new OnnxNode("n", op, "", in, List.of("out0", "out1"), a);
    }

    private static OnnxAttribute i(String name, long v) {
        return new OnnxAttribute(name, OnnxAttribute.Type.INT, 0, v, null, null, null, null, null, null, null);
    }

    private static OnnxAttribute f(String name, float v) {
        return new OnnxAttribute(name, OnnxAttribute.Type.FLOAT, v, 0, null, null, null, null, null, null, null);
    }

    private static OnnxAttribute s(String name, String v) {
        return new OnnxAttribute(name, OnnxAttribute.Type.STRING, 0, 0, v, null, null, null, null, null, null);
    }

    private static OnnxAttribute ints(String name, long... v) {
        return new OnnxAttribute(name, OnnxAttribute.Type.INTS, 0, 0, null, null, null, null, v, null, null);
    }

    private static Tensor[] runAll(String op, int opset, OnnxAttribute[] attrs, Tensor... inputs) {
        OnnxNode n = node(op, inputs.length, attrs);
        OnnxOp impl = REG.find("", op);
        assertNotNull(impl, op + " is not registered");
        assertNull(impl.unsupportedReason(n, opset));
        return impl.apply(new OpContext(n, opset, inputs));
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

    private static void gradCheck(String name, Function<Tensor[], Tensor> fn, Tensor... inputs) {
        GradCheck.Result r = GradCheck.check(name, fn, inputs);
        assertTrue(r.passed(), r.toString());
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
                            {{2, 3, 4}, {4, 2}}, {{3, 4}, {4, 2}}, {{2, 3}}};
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
        OnnxNode gelu = node("Gelu", 1, s("approximate", "sigmoid"));
        String why = REG.find("", "Gelu").unsupportedReason(gelu, 20);
        assertNotNull(why);
        assertTrue(why.contains("approximate 'sigmoid'"), why);
        assertNull(REG.find("", "Gelu").unsupportedReason(node("Gelu", 1), 20));
        String einsum = REG.find("", "Einsum").unsupportedReason(node("Einsum", 2), 12);
        assertNotNull(einsum);
        assertTrue(einsum.contains("equation"), einsum);
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
}
