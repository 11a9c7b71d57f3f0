package dev.graft.tensor;

import dev.graft.tensor.TestSupport.Layout;
import dev.graft.tensor.TestSupport.Pair;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import java.util.function.BinaryOperator;

import static dev.graft.tensor.TestSupport.assertClose;
import static dev.graft.tensor.TestSupport.assertExact;
import static dev.graft.tensor.TestSupport.assertValues;
import static dev.graft.tensor.TestSupport.f32;
import static dev.graft.tensor.TestSupport.sample;
import static dev.graft.tensor.TestSupport.sampleWhole;
import static dev.graft.tensor.TestSupport.str;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * Elementwise unary and binary ops, where and the in-place ops, against float64 references written
 * here with java.lang.Math, on every backend, every layout and the edge shapes of {@link TestSupport#SHAPES}.
 *
 * <p>Tolerances (float32 results): rtol 1e-5, atol 1e-6 for transcendental functions (a few ulps of
 * the Vector API's intrinsics, plus the float32 erf approximation's 1.5e-7 absolute error);
 * rtol 1e-6 for the arithmetic ops, whose float32 result is the exact result rounded once (0.5 ulp =
 * 6e-8 relative); exact for comparisons and integers. Float64 results: rtol 1e-12 (1e-9 where the
 * test's own erf series is the reference).
 */
class ElementwiseTest {
    static final double SQRT2 = Math.sqrt(2);

    /**
     * erf: its Maclaurin series below |x| = 0.5 (no cancellation there), 1 - erfc above. The test's own
     * code, independent of the engine's {@code Erf}; accurate to about 1e-13 absolute.
     */
    static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        if (x < 0) {
            return -erf(-x);
        }
        if (x < 0.5) {
            double term = x;
            double sum = x;
            for (int n = 1; n < 40; n++) {
                term *= -x * x / n;
                sum += term / (2 * n + 1);
            }
            return 2 / Math.sqrt(Math.PI) * sum;
        }
        return 1 - erfc(x);
    }

    /**
     * erfc(z) for z >= 0 as 2/sqrt(pi) * exp(-z^2) * integral_0^L exp(-2zu - u^2) du by composite Simpson
     * (4000 intervals; L = min(7, 20/z), past which the integrand is below 1e-17): relative error about 1e-10.
     * Needed so that GELU's 1 + erf(x/sqrt2) does not cancel for negative x.
     */
    static double erfc(double z) {
        if (z < 0) {
            return 2 - erfc(-z);
        }
        int n = 4000;
        double len = Math.min(7.0, 20.0 / Math.max(z, 1e-9));
        double h = len / n;
        double s = 1 + Math.exp(-2 * z * len - len * len);
        for (int i = 1; i < n; i++) {
            double u = i * h;
            s += (i % 2 == 1 ? 4 : 2) * Math.exp(-2 * z * u - u * u);
        }
        return Math.exp(-z * z) * s * h / 3 * 2 / Math.sqrt(Math.PI);
    }

    /** 0.5 x (1 + erf(x / sqrt2)), written with erfc for negative x to avoid cancellation. */
    static double gelu(double x) {
        return x >= 0 ? 0.5 * x * (1 + erf(x / SQRT2)) : 0.5 * x * erfc(-x / SQRT2);
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    record Unary(String name, UnaryOperator<Tensor> op, DoubleUnaryOperator ref, double lo, double hi, double rtol, double atol) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final double K = Math.sqrt(2 / Math.PI);

    static List<Unary> unaryOps() {
        List<Unary> u = new ArrayList<>();
        // exact or correctly rounded ops
        u.add(new Unary("neg", Tensor::neg, x -> -x, -5, 5, 0, 0));
        u.add(new Unary("abs", Tensor::abs, Math::abs, -5, 5, 0, 0));
        u.add(new Unary("sign", Tensor::sign, Math::signum, -5, 5, 0, 0));
        u.add(new Unary("relu", Tensor::relu, x -> x > 0 ? x : 0, -5, 5, 0, 0));
        u.add(new Unary("square", Tensor::square, x -> x * x, -5, 5, 1e-6, 0));
        u.add(new Unary("floor", Tensor::floor, Math::floor, -5, 5, 0, 0));
        u.add(new Unary("ceil", Tensor::ceil, Math::ceil, -5, 5, 0, 0));
        u.add(new Unary("round", Tensor::round, Math::rint, -5, 5, 0, 0));
        u.add(new Unary("leakyRelu(0.1)", t -> t.leakyRelu(0.1), x -> x > 0 ? x : 0.1 * x, -5, 5, 1e-6, 0));
        u.add(new Unary("clamp(-0.5, 0.7)", t -> t.clamp(-0.5, 0.7), x -> Math.min(0.7, Math.max(-0.5, x)), -2, 2, 1e-6, 0));
        u.add(new Unary("clamp(none, 0.3)", t -> t.clamp(Double.NaN, 0.3), x -> Math.min(0.3, x), -2, 2, 1e-6, 0));
        u.add(new Unary("reciprocal", Tensor::reciprocal, x -> 1 / x, 0.1, 10, 1e-6, 0));
        u.add(new Unary("sqrt", Tensor::sqrt, Math::sqrt, 0, 100, 1e-6, 0));
        // transcendental: a few ulps
        u.add(new Unary("rsqrt", Tensor::rsqrt, x -> 1 / Math.sqrt(x), 0.01, 100, 1e-5, 1e-6));
        u.add(new Unary("exp", Tensor::exp, Math::exp, -10, 10, 1e-5, 1e-6));
        u.add(new Unary("log", Tensor::log, Math::log, 0.01, 100, 1e-5, 1e-6));
        u.add(new Unary("log1p", Tensor::log1p, Math::log1p, -0.9, 10, 1e-5, 1e-6));
        u.add(new Unary("sin", Tensor::sin, Math::sin, -10, 10, 1e-5, 1e-6));
        u.add(new Unary("cos", Tensor::cos, Math::cos, -10, 10, 1e-5, 1e-6));
        u.add(new Unary("tanh", Tensor::tanh, Math::tanh, -10, 10, 1e-5, 1e-6));
        u.add(new Unary("sigmoid", Tensor::sigmoid, ElementwiseTest::sigmoid, -20, 20, 1e-5, 1e-6));
        u.add(new Unary("silu", Tensor::silu, x -> x * sigmoid(x), -20, 20, 1e-5, 1e-6));
        u.add(new Unary("erf", Tensor::erf, ElementwiseTest::erf, -4, 4, 1e-5, 1e-6));
        u.add(new Unary("gelu", Tensor::gelu, ElementwiseTest::gelu, -6, 6, 1e-5, 1e-6));
        u.add(new Unary("geluTanh", Tensor::geluTanh, x -> 0.5 * x * (1 + Math.tanh(K * (x + 0.044715 * x * x * x))), -6, 6, 1e-5, 1e-6));
        u.add(new Unary("pow(2)", t -> t.pow(2.0), x -> x * x, -3, 3, 1e-6, 0));
        u.add(new Unary("pow(3)", t -> t.pow(3.0), x -> x * x * x, -3, 3, 1e-5, 1e-6));
        u.add(new Unary("pow(0.5)", t -> t.pow(0.5), Math::sqrt, 0, 10, 1e-5, 1e-6));
        u.add(new Unary("pow(-1.5)", t -> t.pow(-1.5), x -> 1 / (x * Math.sqrt(x)), 0.1, 5, 1e-5, 1e-6));
        return u;
    }

    @Test
    void testErfMatchesKnownValues() {
        // the reference itself: erf values from Abramowitz & Stegun table 7.1 / high-precision sources
        double[][] known = {
            {0, 0}, {0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1, 0.8427007929497149},
            {1.5, 0.9661051464753108}, {2, 0.9953222650189527}, {3, 0.9999779095030014}, {-1, -0.8427007929497149},
            {4, 0.9999999845827421}, {5, 0.9999999999984626},
        };
        for (double[] k : known) {
            assertEquals(k[1], erf(k[0]), 1e-12, "test erf(" + k[0] + ")");
        }
        // erfc relative accuracy 1e-9 (the Simpson rule's ~5e-11, with margin)
        assertEquals(2.209049699858544e-05, erfc(3), 2.2e-5 * 1e-9, "test erfc(3)");
        assertEquals(1.5374597944280351e-12, erfc(5), 1.5e-12 * 1e-9, "test erfc(5)");
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void erfAndGeluAtKnownPoints(Backend backend) {
        Backends.with(backend, () -> {
            double[] xs = {0, 0.1, 0.5, 1, 1.5, 2, 3, -1, 4, 5};
            double[] erfs = {0, 0.1124629160182849, 0.5204998778130465, 0.8427007929497149, 0.9661051464753108,
                0.9953222650189527, 0.9999779095030014, -0.8427007929497149, 0.9999999845827421, 0.9999999999984626};
            float[] f = new float[xs.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) xs[i];
            }
            // tolerance 1e-6 absolute: float32 rounding plus the vector erf approximation
            assertValues(erfs, Tensor.fromArray(f).erf(), 1e-6, "erf");
            assertValues(erfs, Tensor.fromArray(xs).erf(), 1e-13, "erf float64");
            // GELU(1) = 0.5 * (1 + erf(1/sqrt2)) = Phi(1) = 0.8413447460685429
            assertValues(new double[] {0.8413447460685429, -0.15865525393145707},
                    Tensor.fromArray(new float[] {1, -1}).gelu(), 1e-6, "gelu");
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void unaryOpsMatchReferenceOnEveryShapeAndLayout(Backend backend) {
        Random rnd = new Random(11);
        Backends.with(backend, () -> {
            for (Unary u : unaryOps()) {
                for (int[] shape : TestSupport.SHAPES) {
                    for (Layout layout : Layout.values()) {
                        Pair p = sample(rnd, shape, layout, u.lo, u.hi);
                        Tensor out = u.op.apply(p.t());
                        assertEquals(DType.FLOAT32, out.dtype(), u.name);
                        assertClose(p.ref().map(u.ref), out, u.rtol, u.atol, u.name + " " + str(shape) + " " + layout);
                    }
                }
            }
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void unaryOpsInFloat64(Backend backend) {
        Random rnd = new Random(12);
        Backends.with(backend, () -> {
            for (Unary u : unaryOps()) {
                boolean series = u.name.startsWith("erf") || u.name.startsWith("gelu");
                for (int[] shape : new int[][] {{}, {17}, {3, 33}}) {
                    for (Layout layout : new Layout[] {Layout.CONTIGUOUS, Layout.TRANSPOSED, Layout.STEPPED}) {
                        Pair p = sample(rnd, shape, layout, DType.FLOAT64, u.lo, u.hi);
                        Tensor out = u.op.apply(p.t());
                        assertEquals(DType.FLOAT64, out.dtype(), u.name);
                        assertClose(p.ref().map(u.ref), out, series ? 1e-9 : 1e-12, series ? 1e-12 : 1e-15,
                                u.name + " float64 " + str(shape) + " " + layout);
                    }
                }
            }
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void unarySpecialValuesInVectorBodyAndTail(Backend backend) {
        double nan = Double.NaN;
        double inf = Double.POSITIVE_INFINITY;
        double[] specials = {nan, inf, -inf, 0.0, -0.0, 1e30, -1e30, 100, -100, 2.5, -2.5, 0.5, -0.5, 1, -1, 3};
        // 33 elements: two full 16-lane vectors and a one-element tail, the specials in both
        double[] d = new double[33];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) specials[i % specials.length];
        }
        Nd ref = new Nd(new int[] {33}, d);
        Backends.with(backend, () -> {
            Tensor x = f32(ref);
            assertClose(ref.map(v -> Double.isNaN(v) ? v : (v > 0 ? v : 0)), x.relu(), 0, 0, "relu");
            assertClose(ref.map(Math::abs), x.abs(), 0, 0, "abs");
            assertClose(ref.map(v -> -v), x.neg(), 0, 0, "neg");
            assertClose(ref.map(Math::signum), x.sign(), 0, 0, "sign");
            assertClose(ref.map(Math::floor), x.floor(), 0, 0, "floor");
            assertClose(ref.map(Math::rint), x.round(), 0, 0, "round");
            assertClose(ref.map(v -> (double) (float) (v * v)), x.square(), 1e-6, 0, "square");
            assertClose(ref.map(v -> (double) (float) Math.exp(v)), x.exp(), 1e-5, 0, "exp");
            assertClose(ref.map(Math::log), x.log(), 1e-5, 0, "log");
            assertClose(ref.map(Math::sqrt), x.sqrt(), 1e-6, 0, "sqrt");
            assertClose(ref.map(Math::tanh), x.tanh(), 1e-5, 1e-6, "tanh");
            assertClose(ref.map(ElementwiseTest::sigmoid), x.sigmoid(), 1e-5, 1e-6, "sigmoid");
            assertClose(ref.map(v -> Double.isNaN(v) ? v : Math.min(1, Math.max(-1, v))), x.clamp(-1, 1), 0, 0, "clamp");
            assertClose(ref.map(v -> v > 0 ? v : 0.25 * v), x.leakyRelu(0.25), 1e-6, 0, "leakyRelu");
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void roundIsHalfToEven(Backend backend) {
        Backends.with(backend, () -> {
            float[] x = new float[17];
            double[] want = new double[17];
            double[] halves = {0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, 0.49999997, -3.5};
            for (int i = 0; i < 17; i++) {
                x[i] = (float) halves[i % halves.length];
                want[i] = Math.rint(x[i]);
            }
            assertValues(want, Tensor.fromArray(x).round(), 0, "round");
            assertValues(new double[] {0, 2, 2, -0.0, -2, -2, 4, 0, -4}, Tensor.fromArray(halves).round(), 0, "round f64");
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void integerUnaryOpsStayIntegral(Backend backend) {
        Backends.with(backend, () -> {
            Tensor x = Tensor.fromArray(new long[] {-3, 0, 5, -7});
            assertEquals(DType.INT64, x.abs().dtype());
            assertArrayEquals(new long[] {3, 0, 5, 7}, x.abs().toLongArray());
            assertArrayEquals(new long[] {3, 0, -5, 7}, x.neg().toLongArray());
            assertArrayEquals(new long[] {0, 0, 5, 0}, x.relu().toLongArray());
            assertArrayEquals(new long[] {-1, 0, 1, -1}, x.sign().toLongArray());
            assertArrayEquals(new long[] {9, 0, 25, 49}, x.square().toLongArray());
            assertArrayEquals(new long[] {-2, 0, 2, -2}, x.clamp(-2, 2).toLongArray());
            // non-closed ops promote integers to float32, like torch.exp(int_tensor)
            Tensor e = x.exp();
            assertEquals(DType.FLOAT32, e.dtype());
            assertValues(new double[] {Math.exp(-3), 1, Math.exp(5), Math.exp(-7)}, e, 1e-5 * Math.exp(5), "exp(int)");
            Tensor s = Tensor.fromArray(new int[] {4, 9}).sqrt();
            assertEquals(DType.FLOAT32, s.dtype());
            assertValues(new double[] {2, 3}, s, 0, "sqrt(int32)");
        });
    }

    // ---------------------------------------------------------------- binary

    record Binary(String name, BinaryOperator<Tensor> op, DoubleBinaryOperator ref, double aLo, double aHi, double bLo,
                  double bHi, boolean predicate, double rtol) {
        @Override
        public String toString() {
            return name;
        }
    }

    static double b(boolean v) {
        return v ? 1 : 0;
    }

    static List<Binary> binaryOps() {
        List<Binary> o = new ArrayList<>();
        o.add(new Binary("add", Tensor::add, Double::sum, -3, 3, -3, 3, false, 1e-6));
        o.add(new Binary("sub", Tensor::sub, (x, y) -> x - y, -3, 3, -3, 3, false, 1e-6));
        o.add(new Binary("mul", Tensor::mul, (x, y) -> x * y, -3, 3, -3, 3, false, 1e-6));
        o.add(new Binary("div", Tensor::div, (x, y) -> x / y, -3, 3, 0.5, 3, false, 1e-6));
        o.add(new Binary("pow", Tensor::pow, Math::pow, 0.1, 3, -2, 2, false, 1e-5));
        o.add(new Binary("maximum", Tensor::maximum, Math::max, -3, 3, -3, 3, false, 0));
        o.add(new Binary("minimum", Tensor::minimum, Math::min, -3, 3, -3, 3, false, 0));
        o.add(new Binary("eq", Tensor::eq, (x, y) -> b(x == y), -2, 3, -2, 3, true, 0));
        o.add(new Binary("ne", Tensor::ne, (x, y) -> b(x != y), -2, 3, -2, 3, true, 0));
        o.add(new Binary("lt", Tensor::lt, (x, y) -> b(x < y), -2, 3, -2, 3, true, 0));
        o.add(new Binary("le", Tensor::le, (x, y) -> b(x <= y), -2, 3, -2, 3, true, 0));
        o.add(new Binary("gt", Tensor::gt, (x, y) -> b(x > y), -2, 3, -2, 3, true, 0));
        o.add(new Binary("ge", Tensor::ge, (x, y) -> b(x >= y), -2, 3, -2, 3, true, 0));
        o.add(new Binary("logicalAnd", Tensor::logicalAnd, (x, y) -> b(x != 0 && y != 0), -1, 2, -1, 2, true, 0));
        o.add(new Binary("logicalOr", Tensor::logicalOr, (x, y) -> b(x != 0 || y != 0), -1, 2, -1, 2, true, 0));
        return o;
    }

    static final int[][][] BROADCAST_PAIRS = {
        {{}, {}}, {{}, {7}}, {{33}, {}}, {{17}, {17}}, {{33}, {1}}, {{1}, {65}}, {{4, 17}, {17}}, {{4, 1}, {1, 17}},
        {{2, 3, 33}, {3, 1}}, {{0}, {1}}, {{3, 0}, {3, 1}}, {{2, 1, 7}, {5, 1}}, {{5, 65}, {5, 65}}, {{1, 1}, {2, 3, 1}},
        {{1, 16}, {16, 1}}, {{2, 0, 3}, {1, 3}},
    };

    /** A random broadcast-compatible pair: an output shape, each operand a suffix of it with some dims set to 1. */
    static int[][] randomBroadcastPair(Generator g) {
        int[] sizes = {1, 2, 3, 5, 7, 16, 17};
        int rank = (int) g.nextLong(5);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            out[i] = sizes[(int) g.nextLong(sizes.length)];
        }
        int[][] pair = new int[2][];
        for (int k = 0; k < 2; k++) {
            int r = (int) g.nextLong(rank + 1);
            int[] s = java.util.Arrays.copyOfRange(out, rank - r, rank);
            for (int i = 0; i < r; i++) {
                if (g.nextDouble() < 0.3) {
                    s[i] = 1;
                }
            }
            pair[k] = s;
        }
        return pair;
    }

    static List<int[][]> broadcastPairs() {
        List<int[][]> pairs = new ArrayList<>(List.of(BROADCAST_PAIRS));
        Generator g = new Generator(2024);
        for (int i = 0; i < 50; i++) {
            pairs.add(randomBroadcastPair(g));
        }
        return pairs;
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void binaryOpsBroadcastAndMatchReference(Backend backend) {
        Random rnd = new Random(21);
        Layout[] layouts = Layout.values();
        List<int[][]> pairs = broadcastPairs();
        Backends.with(backend, () -> {
            for (Binary op : binaryOps()) {
                for (int[][] pair : pairs) {
                    for (int li = 0; li < layouts.length; li++) {
                        Layout la = layouts[li];
                        Layout lb = layouts[(li + 2) % layouts.length];
                        Pair a = op.predicate ? sampleWhole(rnd, pair[0], la, DType.FLOAT32, op.aLo, op.aHi)
                                : sample(rnd, pair[0], la, op.aLo, op.aHi);
                        Pair b = op.predicate ? sampleWhole(rnd, pair[1], lb, DType.FLOAT32, op.bLo, op.bHi)
                                : sample(rnd, pair[1], lb, op.bLo, op.bHi);
                        Tensor out = op.op.apply(a.t(), b.t());
                        String what = op.name + " " + str(pair[0]) + " " + la + " with " + str(pair[1]) + " " + lb;
                        assertEquals(op.predicate ? DType.BOOL : DType.FLOAT32, out.dtype(), what);
                        assertClose(Nd.zip(a.ref(), b.ref(), op.ref), out, op.rtol, 0, what);
                    }
                }
            }
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void binaryOpsOnFloat64AndIntegers(Backend backend) {
        Random rnd = new Random(22);
        Backends.with(backend, () -> {
            for (Binary op : binaryOps()) {
                for (int[][] pair : BROADCAST_PAIRS) {
                    Pair a = sample(rnd, pair[0], Layout.TRANSPOSED, DType.FLOAT64, op.aLo, op.aHi);
                    Pair b = sample(rnd, pair[1], Layout.STEPPED, DType.FLOAT64, op.bLo, op.bHi);
                    Tensor out = op.op.apply(a.t(), b.t());
                    assertEquals(op.predicate ? DType.BOOL : DType.FLOAT64, out.dtype(), op.name);
                    assertClose(Nd.zip(a.ref(), b.ref(), op.ref), out, op.rtol == 0 ? 0 : 1e-14, 0, op.name + " float64");
                    if (op.name.equals("pow") || op.name.equals("div")) {
                        continue;
                    }
                    // int64: exact
                    Pair ia = sampleWhole(rnd, pair[0], Layout.STEPPED, DType.INT64, -20, 20);
                    Pair ib = sampleWhole(rnd, pair[1], Layout.EXPANDED, DType.INT64, -20, 20);
                    Tensor io = op.op.apply(ia.t(), ib.t());
                    assertEquals(op.predicate ? DType.BOOL : DType.INT64, io.dtype(), op.name + " int64");
                    assertExact(Nd.zip(ia.ref(), ib.ref(), op.ref), io, op.name + " int64");
                }
            }
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void maximumAndMinimumPropagateNaN(Backend backend) {
        Backends.with(backend, () -> {
            double nan = Double.NaN;
            double[] a = new double[33];
            double[] bb = new double[33];
            for (int i = 0; i < 33; i++) {
                a[i] = i % 3 == 0 ? nan : i;
                bb[i] = i % 5 == 0 ? nan : 10 - i;
            }
            Nd ra = new Nd(new int[] {33}, a);
            Nd rb = new Nd(new int[] {33}, bb);
            DoubleBinaryOperator max = (x, y) -> Double.isNaN(x) || Double.isNaN(y) ? nan : Math.max(x, y);
            DoubleBinaryOperator min = (x, y) -> Double.isNaN(x) || Double.isNaN(y) ? nan : Math.min(x, y);
            assertClose(Nd.zip(ra, rb, max), f32(ra).maximum(f32(rb)), 0, 0, "maximum");
            assertClose(Nd.zip(ra, rb, min), f32(ra).minimum(f32(rb)), 0, 0, "minimum");
            assertClose(ra.map(x -> max.applyAsDouble(x, 4)), f32(ra).maximum(4), 0, 0, "maximum scalar");
            // comparisons with NaN are false (ne true)
            assertClose(Nd.zip(ra, rb, (x, y) -> b(x < y)), f32(ra).lt(f32(rb)), 0, 0, "lt with NaN");
            assertClose(Nd.zip(ra, rb, (x, y) -> b(x != y)), f32(ra).ne(f32(rb)), 0, 0, "ne with NaN");
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void scalarOperands(Backend backend) {
        Random rnd = new Random(23);
        Backends.with(backend, () -> {
            for (int[] shape : TestSupport.SHAPES) {
                Pair p = sample(rnd, shape, Layout.STEPPED, -3, 3);
                Nd r = p.ref();
                Tensor x = p.t();
                assertClose(r.map(v -> v + 2.5), x.add(2.5), 1e-6, 0, "add scalar");
                assertClose(r.map(v -> v - 1.25), x.sub(1.25), 1e-6, 0, "sub scalar");
                assertClose(r.map(v -> v * -3), x.mul(-3), 1e-6, 0, "mul scalar");
                assertClose(r.map(v -> v / 7), x.div(7), 1e-6, 0, "div scalar");
                assertClose(r.map(v -> Math.max(v, 0.5)), x.maximum(0.5), 0, 0, "maximum scalar");
                assertClose(r.map(v -> Math.min(v, 0.5)), x.minimum(0.5), 0, 0, "minimum scalar");
                assertClose(r.map(v -> b(v > 0)), x.gt(0), 0, 0, "gt scalar");
                assertClose(r.map(v -> b(v <= 1)), x.le(1), 0, 0, "le scalar");
                // scalar on the left: the broadcast operand comes first
                assertClose(r.map(v -> 2 - v), Tensor.scalar(2).sub(x), 1e-6, 0, "scalar - tensor");
                assertClose(r.map(v -> 3 / v), Tensor.scalar(3).div(x), 1e-6, 0, "scalar / tensor");
                assertClose(r.map(v -> v == 0 ? 1 : 0), x.logicalNot(), 0, 0, "logicalNot");
            }
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void whereBroadcastsAllThreeOperands(Backend backend) {
        Random rnd = new Random(24);
        int[][][] triples = {
            {{}, {}, {}}, {{33}, {33}, {33}}, {{4, 1}, {1, 17}, {}}, {{17}, {3, 17}, {3, 1}}, {{2, 1, 7}, {7}, {5, 1}},
            {{0}, {1}, {}}, {{1, 65}, {2, 1}, {65}}, {{}, {3, 5}, {5}},
        };
        Layout[] layouts = Layout.values();
        Backends.with(backend, () -> {
            int k = 0;
            for (int[][] tr : triples) {
                for (Layout l : layouts) {
                    Pair c = sample(rnd, tr[0], l, DType.BOOL, 0, 1);
                    Pair a = sample(rnd, tr[1], layouts[(k + 1) % layouts.length], -3, 3);
                    Pair bb = sample(rnd, tr[2], layouts[(k + 2) % layouts.length], -3, 3);
                    k++;
                    Tensor out = Tensor.where(c.t(), a.t(), bb.t());
                    assertEquals(DType.FLOAT32, out.dtype());
                    assertExact(Nd.where(c.ref(), a.ref(), bb.ref()), out, "where " + str(tr[0]) + str(tr[1]) + str(tr[2]) + " " + l);
                    // a non-bool condition means "non-zero"
                    Pair cf = sampleWhole(rnd, tr[0], l, DType.FLOAT32, -1, 2);
                    assertExact(Nd.where(cf.ref(), a.ref(), bb.ref()), Tensor.where(cf.t(), a.t(), bb.t()), "where float cond");
                    // int64 and float64 branches, promoted like arithmetic
                    Pair ia = sampleWhole(rnd, tr[1], l, DType.INT64, -9, 9);
                    Tensor mixed = Tensor.where(c.t(), ia.t(), bb.t());
                    assertEquals(DType.FLOAT32, mixed.dtype());
                    assertExact(Nd.where(c.ref(), ia.ref(), bb.ref()), mixed, "where int64/float32");
                    Pair ib = sampleWhole(rnd, tr[2], l, DType.INT64, -9, 9);
                    Tensor ints = Tensor.where(c.t(), ia.t(), ib.t());
                    assertEquals(DType.INT64, ints.dtype());
                    assertExact(Nd.where(c.ref(), ia.ref(), ib.ref()), ints, "where int64");
                }
            }
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void maskedFillKeepsDtypeAndBroadcastsMask(Backend backend) {
        Random rnd = new Random(25);
        Backends.with(backend, () -> {
            Pair x = sample(rnd, new int[] {3, 17}, Layout.TRANSPOSED, -3, 3);
            Pair m = sample(rnd, new int[] {17}, Layout.STEPPED, DType.BOOL, 0, 1);
            Tensor out = x.t().maskedFill(m.t(), -1e9);
            assertEquals(DType.FLOAT32, out.dtype());
            assertExact(Nd.where(m.ref(), Nd.filled((float) -1e9), x.ref()), out, "maskedFill");
            Tensor ints = Tensor.fromArray(new long[] {1, 2, 3}).maskedFill(Tensor.fromArray(new boolean[] {true, false, true}), 7);
            assertEquals(DType.INT64, ints.dtype());
            assertArrayEquals(new long[] {7, 2, 7}, ints.toLongArray());
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void longRunsSplitAcrossThreadsStayCorrect(Backend backend) {
        Random rnd = new Random(26);
        Backends.with(backend, () -> {
            // long single runs are cut into pieces for the pool; odd lengths put the cuts mid-vector
            for (int n : new int[] {40_000, 70_001}) {
                Pair a = sample(rnd, new int[] {n}, Layout.CONTIGUOUS, -5, 5);
                Pair b = sample(rnd, new int[] {n}, Layout.CONTIGUOUS, -5, 5);
                assertClose(a.ref().map(Math::exp), a.t().exp(), 1e-5, 1e-6, "exp " + n);
                assertClose(Nd.zip(a.ref(), b.ref(), (x, y) -> x * y), a.t().mul(b.t()), 1e-6, 0, "mul " + n);
                assertClose(a.ref().map(x -> x + 1), a.t().add(1), 1e-6, 0, "add scalar " + n);
                assertClose(Nd.zip(a.ref(), b.ref(), (x, y) -> b(x < y)), a.t().lt(b.t()), 0, 0, "lt " + n);
                Pair st = sample(rnd, new int[] {n}, Layout.STEPPED, -5, 5);
                assertClose(st.ref().map(x -> -x), st.t().neg(), 0, 0, "neg stepped " + n);
            }
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void inPlaceOpsWriteThroughViews(Backend backend) {
        Backends.with(backend, () -> {
            Tensor base = Tensor.arange(0, 24, 1, DType.FLOAT32).reshape(4, 6);
            Tensor view = base.slice(1, 1, 6, 2); // columns 1, 3, 5
            assertSame(view, view.fill(-1));
            Nd want = new Nd(new int[] {4, 6}, new double[24]);
            for (int i = 0; i < 24; i++) {
                want.data[i] = i % 6 % 2 == 1 ? -1 : i;
            }
            assertExact(want, base, "fill through a stepped view");
            base.transpose(0, 1).select(0, 0).copyFrom(Tensor.scalar(9)); // column 0 of base, broadcast scalar
            for (int r = 0; r < 4; r++) {
                want.data[r * 6] = 9;
            }
            assertExact(want, base, "copyFrom broadcast into a transposed view");
            Tensor row = base.select(0, 2);
            row.addInPlace(Tensor.fromArray(new float[] {1, 2, 3, 4, 5, 6}), 0.5);
            for (int j = 0; j < 6; j++) {
                want.data[12 + j] += 0.5 * (j + 1);
            }
            assertExact(want, base, "addInPlace on a row view");
            base.slice(0, 0, 4, 3).mulInPlace(2); // rows 0 and 3
            for (int j = 0; j < 6; j++) {
                want.data[j] *= 2;
                want.data[18 + j] *= 2;
            }
            assertExact(want, base, "mulInPlace on a stepped view");
            // copyFrom converts dtype
            Tensor ints = Tensor.zeros(DType.INT64, 3);
            ints.copyFrom(Tensor.fromArray(new float[] {1.9f, -1.9f, 7f}));
            assertArrayEquals(new long[] {1, -1, 7}, ints.toLongArray());
        });
    }
}
