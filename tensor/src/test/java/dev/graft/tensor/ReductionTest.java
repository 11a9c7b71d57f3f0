package dev.graft.tensor;

import dev.graft.tensor.TestSupport.Layout;
import dev.graft.tensor.TestSupport.Pair;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.Random;
import java.util.function.DoubleBinaryOperator;

import static dev.graft.tensor.TestSupport.assertClose;
import static dev.graft.tensor.TestSupport.assertExact;
import static dev.graft.tensor.TestSupport.assertThrowsWith;
import static dev.graft.tensor.TestSupport.assertValues;
import static dev.graft.tensor.TestSupport.assertWithin;
import static dev.graft.tensor.TestSupport.sample;
import static dev.graft.tensor.TestSupport.sampleWhole;
import static dev.graft.tensor.TestSupport.str;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reductions over every subset of axes, with and without keepdim, on every layout, against loops
 * over the input's multi-indices; softmax and logSoftmax stability.
 *
 * <p>Tolerances, float32 (u = 2^-24 = 6e-8): a sum of n terms is within 1e-6 + n u sum|x| of the
 * exact sum (the worst-case bound of recursive summation, which every blocked or vectorised order
 * also meets); mean is that divided by n; var/std rtol 1e-4 (two passes, each a float32 sum) with
 * atol 1e-6 for var and 1e-5 for std (the square root of var's absolute error floor);
 * prod rtol 1e-5 for the n &lt;= 60 factors used; max/min/argmax exact; logsumexp and softmax
 * rtol 1e-5 with atol 1e-6 (1e-5 for log-probabilities).
 */
class ReductionTest {
    static final double U = 0x1.0p-24;

    static final int[][] SHAPES = {{3, 4, 5}, {2, 1, 7, 3}, {17}, {33, 2}, {4, 0, 3}, {65, 3}};

    static boolean[] mask(int[] axes, int rank) {
        boolean[] m = new boolean[rank];
        if (axes.length == 0) {
            Arrays.fill(m, true);
        }
        for (int a : axes) {
            m[a < 0 ? a + rank : a] = true;
        }
        return m;
    }

    static int[] outShape(int[] shape, boolean[] m, boolean keepdim) {
        return Arrays.stream(range(shape.length)).filter(i -> !m[i] || keepdim).map(i -> m[i] ? 1 : shape[i]).toArray();
    }

    static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    /** out[j] = f(... f(f(init, x[i1]), x[i2]) ...) over the inputs i that map to output j. */
    static Nd reduce(Nd x, int[] axes, boolean keepdim, double init, DoubleBinaryOperator f) {
        boolean[] m = mask(axes, x.rank());
        Nd out = Nd.filled(init, outShape(x.shape, m, keepdim));
        int[] oi = new int[out.rank()];
        Nd.forEachIndex(x.shape, (idx, flat) -> {
            for (int i = 0, k = 0; i < idx.length; i++) {
                if (!m[i]) {
                    oi[k++] = idx[i];
                } else if (keepdim) {
                    oi[k++] = 0;
                }
            }
            int o = out.flat(oi);
            out.data[o] = f.applyAsDouble(out.data[o], x.data[flat]);
        });
        return out;
    }

    static int count(int[] shape, int[] axes) {
        boolean[] m = mask(axes, shape.length);
        int n = 1;
        for (int i = 0; i < shape.length; i++) {
            n *= m[i] ? shape[i] : 1;
        }
        return n;
    }

    static double nanMax(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
    }

    static double nanMin(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b);
    }

    static Nd sumTolerance(Nd x, int[] axes, boolean keepdim, double scale) {
        int n = count(x.shape, axes);
        return reduce(x, axes, keepdim, 0, (a, v) -> a + Math.abs(v)).map(s -> (1e-6 + n * U * s) * scale);
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void sumMeanProdMaxMinOverEveryAxisSubset(Backend backend) {
        Random rnd = new Random(41);
        Backends.with(backend, () -> {
            for (int[] shape : SHAPES) {
                for (Layout layout : Layout.values()) {
                    Pair p = sample(rnd, shape, layout, -5, 5);
                    Pair pp = sample(rnd, shape, layout, 0.5, 1.5);
                    Nd r = p.ref();
                    java.util.List<int[]> subsets = TestSupport.allAxisSubsets(shape.length);
                    subsets.add(new int[0]); // "every axis"
                    if (shape.length > 1) {
                        subsets.add(new int[] {-1, 0}); // negative, unordered
                    }
                    for (int[] axes : subsets) {
                        for (boolean keep : new boolean[] {false, true}) {
                            String what = str(shape) + " " + layout + " axes " + str(axes) + " keepdim " + keep;
                            int n = count(shape, axes);
                            Nd sum = reduce(r, axes, keep, 0, Double::sum);
                            assertWithin(sum, p.t().sum(axes, keep), sumTolerance(r, axes, keep, 1), "sum " + what);
                            Nd mean = sum.map(v -> v / n);
                            assertWithin(mean, p.t().mean(axes, keep), sumTolerance(r, axes, keep, 1.0 / n), "mean " + what);
                            Nd prod = reduce(pp.ref(), axes, keep, 1, (a, v) -> a * v);
                            assertClose(prod, pp.t().prod(axes, keep), 1e-5, 0, "prod " + what);
                            if (n > 0) {
                                assertExact(reduce(r, axes, keep, Double.NEGATIVE_INFINITY, ReductionTest::nanMax),
                                        p.t().amax(axes, keep), "amax " + what);
                                assertExact(reduce(r, axes, keep, Double.POSITIVE_INFINITY, ReductionTest::nanMin),
                                        p.t().amin(axes, keep), "amin " + what);
                            }
                        }
                    }
                    assertArrayEquals(new int[] {}, p.t().sum().shape());
                    assertWithin(reduce(r, new int[0], false, 0, Double::sum), p.t().sum(),
                            sumTolerance(r, new int[0], false, 1), "sum() " + str(shape));
                    if (r.numel() > 0) {
                        assertExact(reduce(r, new int[0], false, Double.NEGATIVE_INFINITY, ReductionTest::nanMax), p.t().max(), "max()");
                        assertExact(reduce(r, new int[0], false, Double.POSITIVE_INFINITY, ReductionTest::nanMin), p.t().min(), "min()");
                    }
                }
            }
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void varianceAndStdWithCorrection(Backend backend) {
        Random rnd = new Random(42);
        Backends.with(backend, () -> {
            for (int[] shape : new int[][] {{3, 4, 5}, {2, 1, 7, 3}, {33}, {65, 3}}) {
                for (Layout layout : Layout.values()) {
                    Pair p = sample(rnd, shape, layout, -5, 5);
                    for (int[] axes : TestSupport.allAxisSubsets(shape.length)) {
                        int n = count(shape, axes);
                        for (int correction : new int[] {0, 1}) {
                            for (boolean keep : new boolean[] {false, true}) {
                                Nd mean = reduce(p.ref(), axes, true, 0, Double::sum).map(v -> v / n);
                                Nd dev = Nd.zip(p.ref(), mean, (x, m) -> (x - m) * (x - m));
                                Nd var = reduce(dev, axes, keep, 0, Double::sum).map(v -> v / Math.max(0, n - correction));
                                String what = "correction " + correction + " " + str(shape) + " " + layout + " axes " + str(axes);
                                assertClose(var, p.t().var(axes, correction, keep), 1e-4, 1e-6, "var " + what);
                                // std near 0 magnifies var's absolute error floor (~1e-10 for |x| <= 5): atol sqrt(1e-10)
                                assertClose(var.map(Math::sqrt), p.t().std(axes, correction, keep), 1e-4, 1e-5, "std " + what);
                            }
                        }
                    }
                }
            }
            // a single sample: population variance 0, the unbiased one 0/0 = NaN (as in torch)
            Tensor one = Tensor.fromArray(new float[] {3}, 1);
            assertEquals(0, one.var(new int[] {0}, 0, false).item());
            assertTrue(Double.isNaN(one.var(new int[] {0}, 1, false).item()));
            // constant data has zero variance, not a rounding residue that std would magnify
            assertEquals(0, Tensor.full(0.1, 1000).var(new int[0], 1, false).item(), 1e-12);
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void maxMinWithFirstOccurrenceIndices(Backend backend) {
        Random rnd = new Random(43);
        Backends.with(backend, () -> {
            for (int[] shape : new int[][] {{3, 4, 5}, {2, 1, 7, 3}, {17}, {33, 2}, {65, 3}, {1}}) {
                for (Layout layout : Layout.values()) {
                    // whole numbers in [-3, 3): ties everywhere, so "first occurrence" is really tested
                    Pair p = sampleWhole(rnd, shape, layout, DType.FLOAT32, -3, 3);
                    for (int axis = -shape.length; axis < shape.length; axis++) {
                        for (boolean keep : new boolean[] {false, true}) {
                            String what = str(shape) + " " + layout + " axis " + axis + " keepdim " + keep;
                            checkExtreme(p, axis, keep, true, what);
                            checkExtreme(p, axis, keep, false, what);
                        }
                    }
                    // flattened argmax: the first maximum in row-major order
                    double best = Double.NEGATIVE_INFINITY;
                    int at = -1;
                    for (int i = 0; i < p.ref().numel(); i++) {
                        if (p.ref().data[i] > best) {
                            best = p.ref().data[i];
                            at = i;
                        }
                    }
                    assertEquals(at, p.t().argmax().item(), "argmax() " + str(shape) + " " + layout);
                    assertEquals(DType.INT64, p.t().argmax().dtype());
                }
            }
            // integer inputs keep their dtype
            Tensor ints = Tensor.fromArray(new long[] {3, 9, 9, -1}, 2, 2);
            assertArrayEquals(new long[] {9, 9}, ints.max(1, false).values().toLongArray());
            assertArrayEquals(new long[] {1, 0}, ints.max(1, false).indices().toLongArray());
            assertArrayEquals(new long[] {0, 1}, ints.argmin(0, false).toLongArray());
            // 0-d
            Tensor s = Tensor.scalar(2);
            assertEquals(2, s.max(0, false).values().item());
            assertEquals(0, s.argmax(0, true).item());
        });
    }

    private static void checkExtreme(Pair p, int axis, boolean keep, boolean isMax, String what) {
        Nd r = p.ref();
        int a = axis < 0 ? axis + r.rank() : axis;
        Nd values = reduce(r, new int[] {a}, keep, isMax ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY,
                isMax ? ReductionTest::nanMax : ReductionTest::nanMin);
        Nd index = Nd.filled(-1, values.shape);
        int[] oi = new int[values.rank()];
        Nd.forEachIndex(r.shape, (idx, flat) -> {
            for (int i = 0, k = 0; i < idx.length; i++) {
                if (i != a) {
                    oi[k++] = idx[i];
                } else if (keep) {
                    oi[k++] = 0;
                }
            }
            int o = values.flat(oi);
            if (index.data[o] < 0 && r.data[flat] == values.data[o]) {
                index.data[o] = idx[a];
            }
        });
        ValuesIndices vi = isMax ? p.t().max(axis, keep) : p.t().min(axis, keep);
        assertExact(values, vi.values(), (isMax ? "max " : "min ") + what);
        assertEquals(DType.INT64, vi.indices().dtype());
        assertExact(index, vi.indices(), (isMax ? "argmax " : "argmin ") + what);
        assertExact(index, isMax ? p.t().argmax(axis, keep) : p.t().argmin(axis, keep), "arg " + what);
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void nanPropagatesThroughMaxAndMin(Backend backend) {
        Backends.with(backend, () -> {
            double nan = Double.NaN;
            // rows of 33: NaN in the vector body, in the tail, twice, never
            float[] d = new float[4 * 33];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) Math.sin(i);
            }
            d[5] = Float.NaN;
            d[33 + 32] = Float.NaN;
            d[66 + 3] = Float.NaN;
            d[66 + 20] = Float.NaN;
            Tensor x = Tensor.fromArray(d, 4, 33);
            for (Tensor t : new Tensor[] {x, x.t().contiguous().t()}) {
                ValuesIndices mx = t.max(1, false);
                assertTrue(Double.isNaN(mx.values().get(0)) && Double.isNaN(mx.values().get(1)) && Double.isNaN(mx.values().get(2)));
                assertArrayEquals(new long[] {5, 32, 3}, Arrays.copyOf(mx.indices().toLongArray(), 3), "index of the first NaN");
                assertTrue(Double.isFinite(mx.values().get(3)));
                ValuesIndices mn = t.min(1, false);
                assertArrayEquals(new long[] {5, 32, 3}, Arrays.copyOf(mn.indices().toLongArray(), 3));
                assertTrue(Double.isNaN(t.max().item()), "max() of a tensor holding NaN");
                assertTrue(Double.isNaN(t.amin(new int[] {0, 1}, false).item()));
                assertTrue(Double.isNaN(t.amax(new int[] {0}, false).get(5)), "amax over dim 0, column 5");
                assertTrue(Double.isFinite(t.amax(new int[] {0}, false).get(6)));
                // along the slow axis (each output is one column): values and first-NaN indices
                ValuesIndices m0 = t.max(0, false);
                ValuesIndices n0 = t.min(0, true);
                for (int[] colRow : new int[][] {{5, 0}, {32, 1}, {3, 2}, {20, 2}}) {
                    assertTrue(Double.isNaN(m0.values().get(colRow[0])) && Double.isNaN(n0.values().get(0, colRow[0])));
                    assertEquals(colRow[1], m0.indices().get(colRow[0]), "max over dim 0, column " + colRow[0]);
                    assertEquals(colRow[1], n0.indices().get(0, colRow[0]), "min over dim 0, column " + colRow[0]);
                }
                assertTrue(Double.isNaN(t.amin(new int[] {0}, true).get(0, 20)));
                assertTrue(Double.isFinite(t.amin(new int[] {0}, true).get(0, 21)));
                assertTrue(Double.isNaN(t.sum().item()));
            }
            Tensor nanFirst = Tensor.fromArray(new double[] {nan, 1, 2});
            assertEquals(0, nanFirst.argmax().item());
            assertTrue(Double.isNaN(nanFirst.max().item()));
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void emptyAndScalarReductions(Backend backend) {
        Backends.with(backend, () -> {
            Tensor e = Tensor.ones(4, 0, 3);
            assertExact(Nd.zeros(4, 3), e.sum(new int[] {1}, false), "sum over an empty dim");
            assertExact(Nd.filled(1, 4, 1, 3), e.prod(new int[] {1}, true), "prod over an empty dim");
            assertExact(Nd.zeros(0, 3), e.sum(new int[] {0}, false), "sum leaving an empty dim");
            assertTrue(Double.isNaN(e.mean(new int[] {1}, false).get(0, 0)), "mean over nothing is NaN");
            assertEquals(0, Tensor.zeros(0).sum().item());
            assertArrayEquals(new int[] {0, 3}, e.amax(new int[] {0}, false).shape());
            assertThrowsWith(TensorShapeException.class, () -> e.max(1, false), "max", "empty", "[4, 0, 3]");
            assertThrowsWith(TensorShapeException.class, () -> e.amin(new int[] {1}, false), "amin", "empty");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.zeros(0).max(), "max", "empty");

            Tensor s = Tensor.scalar(2.5);
            assertEquals(2.5, s.sum().item());
            assertEquals(2.5, s.sum(new int[] {0}, false).item());
            assertEquals(2.5, s.mean().item());
            assertEquals(2.5, s.prod().item());
            assertEquals(2.5, s.max().item());
            assertEquals(0, s.var(new int[0], 0, false).item());
            assertEquals(0, s.argmax().item());
            assertArrayEquals(new int[] {}, s.sum(new int[] {0}, true).shape());
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void integerSumsAccumulateInInt64(Backend backend) {
        Backends.with(backend, () -> {
            int[] big = new int[1000];
            Arrays.fill(big, Integer.MAX_VALUE);
            Tensor s = Tensor.fromArray(big).sum();
            assertEquals(DType.INT64, s.dtype());
            assertEquals(1000L * Integer.MAX_VALUE, s.toLongArray()[0], "int32 sum does not overflow");
            Tensor u8 = Tensor.fromStorage(Storage.wrap(DType.UINT8, new byte[] {(byte) 200, (byte) 200, 1}), new int[] {3}, "t");
            assertEquals(401, u8.sum().item(), "uint8 sum");
            Tensor p = Tensor.fromArray(new int[] {1 << 20, 1 << 20}).prod();
            assertEquals(DType.INT64, p.dtype());
            assertEquals(1L << 40, p.toLongArray()[0]);
            assertArrayEquals(new long[] {3, 7}, Tensor.fromArray(new int[] {1, 2, 3, 4}, 2, 2).sum(new int[] {1}, false).toLongArray());
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void longSumsStayAccurate(Backend backend) {
        Random rnd = new Random(44);
        Backends.with(backend, () -> {
            int n = 100_000;
            Pair p = sample(rnd, new int[] {n}, Layout.CONTIGUOUS, 0, 1);
            double exact = 0;
            for (double v : p.ref().data) {
                exact += v;
            }
            // about 50 000; relative 1e-5 (0.5) is far inside the worst-case bound n u sum|x| and catches a lost block
            assertEquals(exact, p.t().sum().item(), 1e-5 * exact, "sum of 100k");
            assertEquals(exact / n, p.t().mean().item(), 1e-5 * exact / n, "mean of 100k");
            // the same data as columns: reduction across rows (the bias-gradient shape)
            Tensor cols = p.t().reshape(1000, 100);
            Nd want = reduce(p.ref().reshape(1000, 100), new int[] {0}, false, 0, Double::sum);
            assertWithin(want, cols.sum(new int[] {0}, false), sumTolerance(p.ref().reshape(1000, 100), new int[] {0}, false, 1),
                    "column sums");
            assertWithin(reduce(p.ref().reshape(1000, 100), new int[] {1}, false, 0, Double::sum), cols.sum(1),
                    sumTolerance(p.ref().reshape(1000, 100), new int[] {1}, false, 1), "row sums");
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void logsumexpIsStable(Backend backend) {
        Random rnd = new Random(45);
        Backends.with(backend, () -> {
            for (int[] shape : new int[][] {{3, 4, 5}, {33, 2}, {17}}) {
                for (Layout layout : Layout.values()) {
                    Pair p = sample(rnd, shape, layout, -5, 5);
                    for (int[] axes : TestSupport.allAxisSubsets(shape.length)) {
                        for (boolean keep : new boolean[] {false, true}) {
                            Nd m = reduce(p.ref(), axes, true, Double.NEGATIVE_INFINITY, Math::max);
                            Nd se = reduce(Nd.zip(p.ref(), m, (x, mx) -> Math.exp(x - mx)), axes, keep, 0, Double::sum);
                            Nd want = Nd.zip(se.map(Math::log), reduce(p.ref(), axes, keep, Double.NEGATIVE_INFINITY, Math::max), Double::sum);
                            assertClose(want, p.t().logsumexp(axes, keep), 1e-5, 1e-6,
                                    "logsumexp " + str(shape) + " " + layout + " axes " + str(axes));
                        }
                    }
                }
            }
            double inf = Double.POSITIVE_INFINITY;
            Tensor x = Tensor.fromArray(new float[] {
                1000, 1001, 1002, 1000,
                -1000, -1000, -999, -1000,
                (float) -inf, (float) -inf, (float) -inf, (float) -inf,
                (float) -inf, 0, (float) -inf, 1,
                1000, -1000, 0, 5,
            }, 5, 4);
            double[] want = {
                1002 + Math.log(2 * Math.exp(-2) + Math.exp(-1) + 1),
                -999 + Math.log(3 * Math.exp(-1) + 1),
                -inf,
                1 + Math.log(Math.exp(-1) + 1),
                1000,
            };
            assertValues(want, x.logsumexp(new int[] {1}, false), 1e-3, "logsumexp special rows");
            assertArrayEquals(new int[] {5, 1}, x.logsumexp(new int[] {1}, true).shape());
            assertEquals(Double.POSITIVE_INFINITY, Tensor.fromArray(new float[] {(float) inf, 0}).logsumexp(new int[] {0}, false).item());
            Tensor d = Tensor.fromArray(new double[] {1e4, 1e4});
            assertEquals(1e4 + Math.log(2), d.logsumexp(new int[] {0}, false).item(), 1e-9, "float64 logsumexp");
        });
    }

    static Nd softmaxRef(Nd x, int axis, boolean log) {
        Nd m = reduce(x, new int[] {axis}, true, Double.NEGATIVE_INFINITY, Math::max);
        Nd z = Nd.zip(x, m, (v, mx) -> v - mx);
        Nd s = reduce(z.map(Math::exp), new int[] {axis}, true, 0, Double::sum);
        return log ? Nd.zip(z, s, (v, sum) -> v - Math.log(sum)) : Nd.zip(z, s, (v, sum) -> Math.exp(v) / sum);
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void softmaxAndLogSoftmaxMatchReferenceAndStayStable(Backend backend) {
        Random rnd = new Random(46);
        Backends.with(backend, () -> {
            for (int[] shape : new int[][] {{3, 17}, {2, 3, 33}, {65}, {1, 1}, {4, 1}}) {
                for (Layout layout : Layout.values()) {
                    for (double scale : new double[] {5, 1000}) {
                        Pair p = sample(rnd, shape, layout, -scale, scale);
                        for (int axis = -shape.length; axis < shape.length; axis++) {
                            int a = axis < 0 ? axis + shape.length : axis;
                            String what = str(shape) + " " + layout + " scale " + scale + " axis " + axis;
                            assertClose(softmaxRef(p.ref(), a, false), p.t().softmax(axis), 1e-5, 1e-6, "softmax " + what);
                            assertClose(softmaxRef(p.ref(), a, true), p.t().logSoftmax(axis), 1e-5, 1e-5, "logSoftmax " + what);
                            // rows sum to one
                            Nd ones = Nd.filled(1, outShape(shape, mask(new int[] {a}, shape.length), false));
                            assertClose(ones, p.t().softmax(axis).sum(a), 1e-5, 1e-5, "softmax sums to 1 " + what);
                        }
                    }
                }
            }
            double inf = Double.POSITIVE_INFINITY;
            Tensor big = Tensor.fromArray(new float[] {1000, 1001, 1002, -1000, -1000, -999, 1000, -1000, 0, (float) -inf, 0, 1}, 4, 3);
            Nd ref = new Nd(new int[] {4, 3}, new double[] {1000, 1001, 1002, -1000, -1000, -999, 1000, -1000, 0, -inf, 0, 1});
            Tensor sm = big.softmax(1);
            Tensor lsm = big.logSoftmax(1);
            for (int i = 0; i < 12; i++) {
                assertTrue(!Double.isNaN(sm.get(i / 3, i % 3)), "softmax of large inputs has no NaN");
            }
            assertClose(softmaxRef(ref, 1, false), sm, 1e-5, 1e-6, "softmax of +-1000");
            assertClose(softmaxRef(ref, 1, true), lsm, 1e-5, 1e-5, "logSoftmax of +-1000 (-2000 stays finite)");
            assertEquals(-2000, lsm.get(2, 1), 1e-3);
            assertEquals(Double.NEGATIVE_INFINITY, lsm.get(3, 0), "log-probability of a -inf logit");
            assertEquals(0, sm.get(3, 0));
            // float64 and 0-d
            Tensor d = Tensor.fromArray(new double[] {1e4, 1e4 + 1});
            assertValues(new double[] {1 / (1 + Math.E), Math.E / (1 + Math.E)}, d.softmax(0), 1e-15, "float64 softmax");
            assertEquals(1, Tensor.scalar(3).softmax(0).item());
            assertEquals(0, Tensor.scalar(3).logSoftmax(-1).item());
            assertThrowsWith(TensorTypeException.class, () -> Tensor.arange(3).softmax(0), "softmax", "int64");
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void softmaxOfEmptyTensorsIsEmpty(Backend backend) {
        Backends.with(backend, () -> {
            // torch.softmax(torch.empty(3, 0), 1) and (…, 0) are empty tensors, not errors
            for (int axis : new int[] {0, 1}) {
                assertArrayEquals(new int[] {3, 0}, Tensor.zeros(3, 0).softmax(axis).shape());
                assertArrayEquals(new int[] {0, 3}, Tensor.zeros(0, 3).logSoftmax(axis).shape());
            }
            // torch.logsumexp over an empty dimension is -inf (the log of an empty sum)
            assertExact(Nd.filled(Double.NEGATIVE_INFINITY, 3), Tensor.zeros(3, 0).logsumexp(new int[] {1}, false), "logsumexp empty");
            assertArrayEquals(new int[] {0}, Tensor.zeros(3, 0).logsumexp(new int[] {0}, false).shape());
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void axisErrorsNameOpAndShape(Backend backend) {
        Backends.with(backend, () -> {
            Tensor x = Tensor.zeros(2, 3, 4);
            assertThrowsWith(TensorShapeException.class, () -> x.sum(new int[] {3}, false), "sum", "dimension 3", "rank 3",
                    "-3 to 2");
            assertThrowsWith(TensorShapeException.class, () -> x.sum(new int[] {1, -2}, false), "sum", "more than once");
            assertThrowsWith(TensorShapeException.class, () -> x.max(-4, false), "max", "dimension -4");
            assertThrowsWith(TensorShapeException.class, () -> x.softmax(3), "softmax", "dimension 3");
            assertThrowsWith(TensorShapeException.class, () -> x.var(new int[] {5}, 1, false), "var", "dimension 5");
            assertThrowsWith(TensorShapeException.class, () -> x.logsumexp(new int[] {7}, false), "logsumexp", "dimension 7");
        });
    }
}
