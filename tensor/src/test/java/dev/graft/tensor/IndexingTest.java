package dev.graft.tensor;

import dev.graft.tensor.TestSupport.Layout;
import dev.graft.tensor.TestSupport.Pair;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static dev.graft.tensor.TestSupport.assertClose;
import static dev.graft.tensor.TestSupport.assertExact;
import static dev.graft.tensor.TestSupport.assertThrowsWith;
import static dev.graft.tensor.TestSupport.sample;
import static dev.graft.tensor.TestSupport.sampleWhole;
import static dev.graft.tensor.TestSupport.str;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * gather, scatterAdd, indexSelect, oneHot, sort/argsort, topk and cumsum against loops over
 * multi-indices. Index ops only move values: exact comparisons, except scatterAdd with repeated
 * indices (float32 accumulation of at most a few terms: rtol 1e-6, atol 1e-6) and cumsum
 * (prefix sums: 1e-6 + n u sum|x|, u = 2^-24, as for sums).
 */
class IndexingTest {

    static int norm(double i, int size) {
        return (int) (i < 0 ? i + size : i);
    }

    static int[] with(int[] idx, int dim, int v) {
        int[] r = idx.clone();
        r[dim] = v;
        return r;
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void gatherWithNonContiguousIndices(Backend backend) {
        Random rnd = new Random(61);
        int[] xs = {4, 5, 6};
        Backends.with(backend, () -> {
            for (Layout lx : Layout.values()) {
                Pair x = sample(rnd, xs, lx, -5, 5);
                for (int dim = -3; dim < 3; dim++) {
                    int d = dim < 0 ? dim + 3 : dim;
                    for (Layout li : Layout.values()) {
                        for (DType it : new DType[] {DType.INT64, DType.INT32}) {
                            int[] is = {3, 5, 2};
                            is[d] = 7; // the gathered dimension may be longer than the input's
                            Pair idx = sampleWhole(rnd, is, li, it, 0, xs[d]);
                            Nd want = Nd.zeros(is);
                            Nd.forEachIndex(is, (i, flat) -> want.data[flat] = x.ref().get(with(i, d, norm(idx.ref().data[flat], xs[d]))));
                            Tensor out = x.t().gather(dim, idx.t());
                            assertExact(want, out, "gather dim " + dim + " x " + lx + " index " + li + " " + it);
                        }
                    }
                }
            }
            Tensor ints = Tensor.fromArray(new long[] {10, 20, 30, 40}, 2, 2);
            assertArrayEquals(new long[] {20, 10, 30, 40}, ints.gather(1, Tensor.fromArray(new long[] {1, 0, 0, 1}, 2, 2)).toLongArray());
            assertArrayEquals(new int[] {2, 0}, ints.gather(1, Tensor.zeros(DType.INT64, 2, 0)).shape());
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void scatterAddAccumulatesRepeatedIndices(Backend backend) {
        Random rnd = new Random(62);
        int[] xs = {4, 5, 6};
        Backends.with(backend, () -> {
            for (Layout lx : Layout.values()) {
                Pair x = sample(rnd, xs, lx, -5, 5);
                for (int dim = -3; dim < 3; dim++) {
                    int d = dim < 0 ? dim + 3 : dim;
                    for (Layout li : Layout.values()) {
                        int[] is = {3, 4, 5};
                        is[d] = 8; // more entries than positions: repeats are certain
                        int[] ss = {4, 5, 6};
                        ss[d] = 9; // src may be larger than the index; only the covered part counts
                        Pair idx = sampleWhole(rnd, is, li, DType.INT64, 0, xs[d]);
                        Pair src = sample(rnd, ss, Layout.values()[(li.ordinal() + 1) % 5], -5, 5);
                        Nd w = new Nd(xs, x.ref().data.clone());
                        Nd.forEachIndex(is, (i, flat) -> {
                            int[] to = with(i, d, norm(idx.ref().data[flat], xs[d]));
                            w.set(w.get(to) + src.ref().get(i), to);
                        });
                        Nd before = TestSupport.read(x.t());
                        Tensor out = x.t().scatterAdd(dim, idx.t(), src.t());
                        assertClose(w, out, 1e-6, 1e-6, "scatterAdd dim " + dim + " x " + lx + " index " + li);
                        assertExact(before, x.t(), "scatterAdd is out of place");
                    }
                }
            }
            Tensor z = Tensor.zeros(DType.INT64, 3);
            Tensor r = z.scatterAdd(0, Tensor.fromArray(new long[] {0, 2, 0, 2}), Tensor.fromArray(new long[] {1, 2, 3, 4}));
            assertEquals(DType.INT64, r.dtype());
            assertArrayEquals(new long[] {4, 0, 6}, r.toLongArray());
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void indexSelectWithNonContiguousIndices(Backend backend) {
        Random rnd = new Random(63);
        int[] xs = {4, 5, 17};
        Backends.with(backend, () -> {
            for (Layout lx : Layout.values()) {
                Pair x = sample(rnd, xs, lx, -5, 5);
                for (int dim = -3; dim < 3; dim++) {
                    int d = dim < 0 ? dim + 3 : dim;
                    for (int len : new int[] {0, 1, 7}) {
                        Pair idx = sampleWhole(rnd, new int[] {len}, Layout.STEPPED, DType.INT64, 0, xs[d]);
                        int[] os = xs.clone();
                        os[d] = len;
                        Nd want = Nd.zeros(os);
                        Nd.forEachIndex(os, (i, flat) -> want.data[flat] = x.ref().get(with(i, d, norm(idx.ref().data[i[d]], xs[d]))));
                        assertExact(want, x.t().indexSelect(dim, idx.t()), "indexSelect dim " + dim + " " + lx + " len " + len);
                    }
                }
            }
            Tensor v = Tensor.fromArray(new float[] {1, 2, 3});
            // a 0-d index selects one entry and keeps the dimension, like torch.index_select
            assertExact(new Nd(new int[] {1}, new double[] {3}), v.indexSelect(0, Tensor.scalar(2, DType.INT64)), "0-d index");
            assertExact(new Nd(new int[] {2}, new double[] {5, 5}), Tensor.scalar(5).indexSelect(0, Tensor.zeros(DType.INT64, 2)),
                    "indexSelect of a 0-d tensor");
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void oneHot(Backend backend) {
        Backends.with(backend, () -> {
            Tensor idx = Tensor.fromArray(new long[] {0, 3, 1, 3, 2, 0}, 2, 3).transpose(0, 1); // [[0, 3], [3, 2], [1, 0]]
            Tensor oh = idx.oneHot(-1);
            assertEquals(DType.INT64, oh.dtype());
            assertArrayEquals(new int[] {3, 2, 4}, oh.shape());
            long[][] rows = {{0, 3}, {3, 2}, {1, 0}};
            Nd want = Nd.zeros(3, 2, 4);
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 2; j++) {
                    want.set(1, i, j, (int) rows[i][j]);
                }
            }
            assertExact(want, oh, "oneHot(-1)");
            assertArrayEquals(new int[] {3, 2, 6}, idx.oneHot(6).shape());
            assertEquals(6, idx.oneHot(6).sum().item());
            assertArrayEquals(new int[] {0, 5}, Tensor.zeros(DType.INT64, 0).oneHot(5).shape());
            assertArrayEquals(new long[] {0, 1, 0}, Tensor.scalar(1, DType.INT32).oneHot(3).toLongArray());
            assertThrowsWith(TensorShapeException.class, () -> idx.oneHot(3), "oneHot", "3", "out of range");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.fromArray(new long[] {-1}).oneHot(3), "oneHot", "-1", "negative");
            // negative indices are errors, as in torch (a -1 sentinel must not silently pick the last row)
            Tensor m = Tensor.ones(3, 2);
            assertThrowsWith(TensorShapeException.class, () -> m.indexSelect(0, Tensor.fromArray(new long[] {0, -1})), "indexSelect", "-1");
            assertThrowsWith(TensorShapeException.class, () -> m.gather(0, Tensor.fromArray(new long[] {-1, 0}, 1, 2)), "gather", "-1");
            assertThrowsWith(TensorShapeException.class, () -> m.scatterAdd(0, Tensor.fromArray(new long[] {-3, 0}, 1, 2), Tensor.ones(1, 2)),
                    "scatterAdd", "-3");
            assertThrowsWith(TensorTypeException.class, () -> Tensor.zeros(3).oneHot(3), "oneHot", "float32");
        });
    }

    /** Stable argsort of v with NaN as the largest value, written with a list sort. */
    static int[] argsortRef(double[] v, boolean descending) {
        Comparator<Integer> asc = (p, q) -> {
            double a = v[p];
            double b = v[q];
            if (Double.isNaN(a) || Double.isNaN(b)) {
                return Double.isNaN(a) && Double.isNaN(b) ? 0 : (Double.isNaN(a) ? 1 : -1);
            }
            return a < b ? -1 : (a > b ? 1 : 0);
        };
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < v.length; i++) {
            order.add(i);
        }
        order.sort(descending ? (p, q) -> asc.compare(q, p) : asc); // List.sort is stable
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Sorts along dim through argsortRef; returns [values, indices]. */
    static Nd[] sortRef(Nd x, int dim, boolean descending) {
        Nd values = Nd.zeros(x.shape);
        Nd indices = Nd.zeros(x.shape);
        int[] outer = x.shape.clone();
        outer[dim] = 1;
        int n = x.shape[dim];
        Nd.forEachIndex(outer, (o, f) -> {
            double[] row = new double[n];
            for (int j = 0; j < n; j++) {
                row[j] = x.get(with(o, dim, j));
            }
            int[] ord = argsortRef(row, descending);
            for (int j = 0; j < n; j++) {
                values.set(row[ord[j]], with(o, dim, j));
                indices.set(ord[j], with(o, dim, j));
            }
        });
        return new Nd[] {values, indices};
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void sortIsStableWithNaNLast(Backend backend) {
        Random rnd = new Random(64);
        Backends.with(backend, () -> {
            for (int[] shape : new int[][] {{17}, {3, 33}, {2, 5, 7}, {4, 0}, {1}}) {
                for (Layout layout : Layout.values()) {
                    Pair p = sampleWhole(rnd, shape, layout, DType.FLOAT32, 0, 3); // many ties
                    for (int dim = -shape.length; dim < shape.length; dim++) {
                        int d = dim < 0 ? dim + shape.length : dim;
                        for (boolean desc : new boolean[] {false, true}) {
                            Nd[] want = sortRef(p.ref(), d, desc);
                            ValuesIndices got = p.t().sort(dim, desc);
                            String what = str(shape) + " " + layout + " dim " + dim + (desc ? " descending" : "");
                            assertExact(want[0], got.values(), "sort values " + what);
                            assertExact(want[1], got.indices(), "sort indices (stable) " + what);
                            assertEquals(DType.INT64, got.indices().dtype());
                            assertExact(want[1], p.t().argsort(dim, desc), "argsort " + what);
                        }
                    }
                }
            }
            double nan = Double.NaN;
            double inf = Double.POSITIVE_INFINITY;
            double[] v = {3, nan, -inf, 1, nan, inf, 1, -2, 0, 5, 1, 7, 2, 2, nan, -1, 4};
            Nd r = new Nd(new int[] {17}, v);
            for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                Tensor t = TestSupport.tensorOf(r, dt);
                Nd[] asc = sortRef(r, 0, false);
                Nd[] desc = sortRef(r, 0, true);
                assertExact(asc[0], t.sort(0, false).values(), "NaN sorts last " + dt);
                assertExact(asc[1], t.sort(0, false).indices(), "NaN sort indices " + dt);
                assertExact(desc[0], t.sort(-1, true).values(), "NaN sorts first when descending " + dt);
                assertExact(desc[1], t.sort(-1, true).indices(), "descending indices " + dt);
                assertTrue(Double.isNaN(t.sort(0, false).values().get(16)));
                assertTrue(Double.isNaN(t.sort(0, true).values().get(0)));
            }
            Tensor ints = Tensor.fromArray(new long[] {3, -1, 3, 0, -1});
            assertArrayEquals(new long[] {1, 4, 3, 0, 2}, ints.argsort(0, false).toLongArray());
            assertArrayEquals(new long[] {0, 2, 3, 1, 4}, ints.argsort(0, true).toLongArray());
            ValuesIndices s0 = Tensor.scalar(4).sort(0, false);
            assertEquals(4, s0.values().item());
            assertEquals(0, s0.indices().item());
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void topkMatchesSortedPrefix(Backend backend) {
        Random rnd = new Random(65);
        Backends.with(backend, () -> {
            for (int[] shape : new int[][] {{17}, {3, 33}, {2, 5, 7}}) {
                for (Layout layout : Layout.values()) {
                    Pair p = sample(rnd, shape, layout, -3, 3); // continuous values: no ties, so indices are unique
                    for (int dim = 0; dim < shape.length; dim++) {
                        for (int k : new int[] {0, 1, Math.min(3, shape[dim]), shape[dim]}) {
                            for (boolean largest : new boolean[] {true, false}) {
                                Nd[] sorted = sortRef(p.ref(), dim, largest);
                                Nd wv = sorted[0].slice(dim, 0, k, 1);
                                Nd wi = sorted[1].slice(dim, 0, k, 1);
                                ValuesIndices got = p.t().topk(k, dim, largest);
                                String what = str(shape) + " " + layout + " dim " + dim + " k " + k + " largest " + largest;
                                assertExact(wv, got.values(), "topk values " + what);
                                assertExact(wi, got.indices(), "topk indices " + what);
                            }
                        }
                    }
                }
            }
            assertThrowsWith(TensorShapeException.class, () -> Tensor.zeros(2, 5).topk(6, 1, true), "topk", "k = 6", "size 5", "[2, 5]");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.zeros(5).topk(-1, 0, true), "topk", "k = -1");
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void cumsumAlongEveryDim(Backend backend) {
        Random rnd = new Random(66);
        Backends.with(backend, () -> {
            for (int[] shape : new int[][] {{17}, {3, 33}, {2, 5, 7}, {4, 0}, {65, 2}}) {
                for (Layout layout : Layout.values()) {
                    Pair p = sample(rnd, shape, layout, -5, 5);
                    for (int dim = -shape.length; dim < shape.length; dim++) {
                        int d = dim < 0 ? dim + shape.length : dim;
                        Nd want = Nd.zeros(shape);
                        Nd tol = Nd.zeros(shape);
                        Nd.forEachIndex(shape, (i, flat) -> {
                            double s = 0;
                            double a = 0;
                            for (int j = 0; j <= i[d]; j++) {
                                double v = p.ref().get(with(i, d, j));
                                s += v;
                                a += Math.abs(v);
                            }
                            want.data[flat] = s;
                            tol.data[flat] = 1e-6 + (i[d] + 1) * 0x1.0p-24 * a;
                        });
                        Tensor out = p.t().cumsum(dim);
                        assertEquals(DType.FLOAT32, out.dtype());
                        TestSupport.assertWithin(want, out, tol, "cumsum " + str(shape) + " " + layout + " dim " + dim);
                    }
                }
            }
            Tensor i = Tensor.fromArray(new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE, 1});
            Tensor c = i.cumsum(0);
            assertEquals(DType.INT64, c.dtype(), "integers accumulate in int64");
            assertArrayEquals(new long[] {Integer.MAX_VALUE, 2L * Integer.MAX_VALUE, 2L * Integer.MAX_VALUE + 1}, c.toLongArray());
            assertEquals(DType.INT64, Tensor.fromArray(new boolean[] {true, true}).cumsum(0).dtype());
            assertArrayEquals(new long[] {1, 2}, Tensor.fromArray(new boolean[] {true, true}).cumsum(0).toLongArray());
            assertEquals(3.5, Tensor.scalar(3.5).cumsum(0).item());
            Tensor d = Tensor.fromArray(new double[] {0.1, 0.2, 0.3}).cumsum(0);
            assertEquals(DType.FLOAT64, d.dtype());
            assertEquals(0.1 + 0.2 + 0.3, d.get(2), 1e-16);
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void indexErrorsAreShapeExceptionsNotArrayIndexErrors(Backend backend) {
        Backends.with(backend, () -> {
            Tensor x = Tensor.zeros(2, 3);
            assertThrowsWith(TensorShapeException.class, () -> x.gather(1, Tensor.fromArray(new long[] {0, 3}, 2, 1)),
                    "gather", "index 3", "out of range", "dimension 1", "[2, 3]", "size 3");
            assertThrowsWith(TensorShapeException.class, () -> x.gather(1, Tensor.fromArray(new long[] {-4}, 1, 1)),
                    "gather", "index -4");
            assertThrowsWith(TensorShapeException.class, () -> x.gather(0, Tensor.fromArray(new long[] {0, 0, 0, 0}, 1, 4)),
                    "gather", "[1, 4]", "[2, 3]");
            assertThrowsWith(TensorShapeException.class, () -> x.gather(0, Tensor.zeros(DType.INT64, 2)), "gather", "rank");
            assertThrowsWith(TensorTypeException.class, () -> x.gather(0, Tensor.zeros(2, 3)), "gather", "index", "float32");
            assertThrowsWith(TensorShapeException.class,
                    () -> x.scatterAdd(0, Tensor.fromArray(new long[] {2}, 1, 1), Tensor.ones(1, 1)),
                    "scatterAdd", "index 2", "out of range", "size 2");
            assertThrowsWith(TensorShapeException.class,
                    () -> x.scatterAdd(0, Tensor.zeros(DType.INT64, 2, 2), Tensor.ones(1, 2)), "scatterAdd", "[2, 2]", "[1, 2]");
            assertThrowsWith(TensorShapeException.class, () -> x.indexSelect(1, Tensor.fromArray(new long[] {0, 5})),
                    "indexSelect", "index 5", "out of range", "size 3");
            assertThrowsWith(TensorShapeException.class, () -> x.indexSelect(0, Tensor.zeros(DType.INT64, 1, 1)),
                    "indexSelect", "0-d or 1-D", "[1, 1]");
            assertThrowsWith(TensorShapeException.class, () -> x.indexSelect(2, Tensor.zeros(DType.INT64, 1)), "indexSelect",
                    "dimension 2");
            assertThrowsWith(TensorShapeException.class, () -> x.sort(2, false), "sort", "dimension 2");
            assertThrowsWith(TensorShapeException.class, () -> x.cumsum(-3), "cumsum", "dimension -3");
            assertThrowsWith(TensorShapeException.class, () -> x.get(0, 3), "get", "index 3", "size 3", "[2, 3]");
            assertThrowsWith(TensorShapeException.class, () -> x.get(0), "get", "1 indices", "rank 2");
            assertThrowsWith(TensorShapeException.class, () -> x.set(1, 2, 0), "set", "index 2");
            assertThrowsWith(TensorShapeException.class, x::item, "item", "[2, 3]", "6 elements");
            assertNotEquals(0, x.numel());
        });
    }
}
