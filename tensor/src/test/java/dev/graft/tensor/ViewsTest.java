package dev.graft.tensor;

import dev.graft.tensor.TestSupport.Layout;
import dev.graft.tensor.TestSupport.Pair;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Random;

import static dev.graft.tensor.TestSupport.assertExact;
import static dev.graft.tensor.TestSupport.assertThrowsWith;
import static dev.graft.tensor.TestSupport.sample;
import static dev.graft.tensor.TestSupport.str;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * View operations: values checked against the reference's own index arithmetic, and storage sharing
 * checked where Tensor's javadoc promises it (reshape when possible, view, permute, slice, narrow,
 * select, expand, squeeze, unsqueeze, split, chunk). Exact comparisons throughout: views move values,
 * they never compute them.
 */
class ViewsTest {

    /** 0, 1, 2, ... as float32 in the given shape, and its reference. */
    static Pair iota(int... shape) {
        Nd r = Nd.zeros(shape);
        for (int i = 0; i < r.data.length; i++) {
            r.data[i] = i;
        }
        return new Pair(TestSupport.f32(r), r);
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void reshapeSharesStorageWhenContiguousAndCopiesOtherwise(Backend backend) {
        Backends.with(backend, () -> {
            Pair p = iota(2, 3, 4);
            Tensor r = p.t().reshape(4, -1);
            assertArrayEquals(new int[] {4, 6}, r.shape());
            assertSame(p.t().storage(), r.storage(), "reshape of a contiguous tensor is a view");
            assertExact(p.ref().reshape(4, 6), r, "reshape");
            assertExact(p.ref().reshape(24), p.t().reshape(-1), "reshape(-1)");
            assertExact(p.ref().reshape(2, 1, 12), p.t().view(2, 1, -1), "view with -1");
            assertSame(p.t().storage(), p.t().view(24).storage());
            assertExact(iota(1).ref().reshape(1, 1), iota(1).t().reshape(1, 1), "reshape of one element");
            assertExact(iota(1).ref().reshape(), iota(1).t().reshape(), "reshape to 0-d");
            assertArrayEquals(new int[] {0, 5}, Tensor.zeros(5, 0).reshape(0, 5).shape());
            assertArrayEquals(new int[] {3, 0}, Tensor.zeros(0, 3).reshape(3, -1).shape());

            // a transposed tensor cannot be flattened without a copy: reshape copies, view refuses
            Tensor tr = p.t().transpose(1, 2); // [2, 4, 3]
            Nd trRef = p.ref().permute(0, 2, 1);
            Tensor flat = tr.reshape(2, 12);
            assertNotSame(p.t().storage(), flat.storage(), "reshape of a transposed tensor copies");
            assertExact(trRef.reshape(2, 12), flat, "reshape of transposed");
            assertThrowsWith(TensorShapeException.class, () -> tr.view(2, 12), "view", "[2, 4, 3]", "[2, 12]", "reshape");
            assertThrowsWith(TensorShapeException.class, () -> tr.view(-1), "view", "without a copy");
            // ... but the dimensions it has not permuted can still be split and merged as a view
            Tensor v = tr.view(2, 2, 2, 3);
            assertSame(p.t().storage(), v.storage());
            assertExact(trRef.reshape(2, 2, 2, 3), v, "view splitting a permuted dimension");
            // a row-stepped slice keeps whole rows contiguous: splitting the rows is a view
            Tensor rows = iota(6, 8).t().slice(0, 0, 6, 2); // rows 0, 2, 4
            Tensor rv = rows.view(3, 2, 4);
            assertSame(rows.storage(), rv.storage());
            assertExact(iota(6, 8).ref().slice(0, 0, 6, 2).reshape(3, 2, 4), rv, "view of a stepped slice");
            assertThrowsWith(TensorShapeException.class, () -> rows.view(24), "view");
            // expanded dims cannot be merged without a copy either
            Tensor ex = iota(1, 4).t().expand(3, 4);
            assertThrowsWith(TensorShapeException.class, () -> ex.view(12), "view");
            assertExact(iota(1, 4).ref().expand(3, 4).reshape(12), ex.reshape(12), "reshape of expanded");
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void randomReshapesOfRandomViewsKeepRowMajorOrder(Backend backend) {
        Random rnd = new Random(31);
        Generator g = new Generator(31);
        Backends.with(backend, () -> {
            for (int trial = 0; trial < 50; trial++) {
                int rank = 1 + (int) g.nextLong(4);
                int[] shape = new int[rank];
                for (int i = 0; i < rank; i++) {
                    shape[i] = 1 + (int) g.nextLong(4);
                }
                Layout layout = Layout.values()[(int) g.nextLong(Layout.values().length)];
                Pair p = sample(rnd, shape, layout, -5, 5);
                // a random factorisation of numel as the new shape
                int n = p.ref().numel();
                java.util.List<Integer> dims = new java.util.ArrayList<>();
                int rest = n;
                for (int f = 2; f <= rest; f++) {
                    while (rest % f == 0 && g.nextDouble() < 0.7) {
                        dims.add(f);
                        rest /= f;
                    }
                }
                dims.add(rest);
                if (g.nextDouble() < 0.3) {
                    dims.add((int) g.nextLong(dims.size() + 1), 1);
                }
                int[] ns = dims.stream().mapToInt(Integer::intValue).toArray();
                String what = str(shape) + " " + layout + " -> " + str(ns);
                Tensor r = p.t().reshape(ns);
                assertExact(p.ref().reshape(ns), r, "reshape " + what);
                try {
                    Tensor v = p.t().view(ns);
                    assertSame(p.t().storage(), v.storage(), "view shares storage " + what);
                    assertExact(p.ref().reshape(ns), v, "view " + what);
                } catch (TensorShapeException e) {
                    assertTrue(e.getMessage().startsWith("view:"), e.getMessage());
                    assertFalse(p.t().isContiguous(), "a contiguous tensor can always be viewed: " + what);
                }
            }
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void permuteAndTransposeAreViews(Backend backend) {
        Backends.with(backend, () -> {
            Pair p = iota(2, 3, 4, 5);
            Tensor x = p.t();
            Tensor pm = x.permute(2, 0, 3, 1);
            assertSame(x.storage(), pm.storage());
            assertFalse(pm.isContiguous());
            assertExact(p.ref().permute(2, 0, 3, 1), pm, "permute");
            assertExact(p.ref().permute(0, 1, 3, 2), x.transpose(-1, -2), "transpose negative dims");
            assertExact(p.ref().permute(3, 1, 2, 0), x.transpose(0, 3), "transpose");
            assertExact(p.ref().permute(0, 3, 1, 2), x.permute(0, -1, 1, 2), "permute with a negative dim");
            // writes through a view reach the base
            pm.set(-7, 1, 1, 2, 0); // pm[1][1][2][0] is x[1][0][1][2]
            assertEquals(-7, x.get(1, 0, 1, 2));
            Pair m = iota(3, 5);
            assertExact(m.ref().permute(1, 0), m.t().t(), "t()");
            Tensor v4 = iota(4).t();
            assertSame(v4, v4.t(), "t() of a vector is itself");
            assertExact(iota(4).ref(), iota(4).t().t(), "t() of a vector is itself");
            // contiguous(): itself when contiguous, a copy otherwise
            assertSame(x, x.contiguous());
            Tensor c = pm.contiguous();
            assertTrue(c.isContiguous());
            assertNotSame(x.storage(), c.storage());
            assertExact(read(pm), c, "contiguous copy");
            Tensor cl = x.clone();
            cl.set(100, 0, 0, 0, 0);
            assertEquals(0, x.get(0, 0, 0, 0), "clone does not share storage");
        });
    }

    private static Nd read(Tensor t) {
        return TestSupport.read(t);
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void sliceWithStepsAndNegativeBounds(Backend backend) {
        Backends.with(backend, () -> {
            Pair p = iota(7, 10);
            Tensor x = p.t();
            Nd r = p.ref();
            // (start, end, step) -> the normalised bounds Python would use on a dimension of 10
            int[][] cases = {
                {0, 10, 1, 0, 10}, {2, 8, 3, 2, 8}, {-3, 10, 1, 7, 10}, {-8, -2, 2, 2, 8}, {1, 100, 4, 1, 10},
                {-100, 3, 1, 0, 3}, {5, 5, 1, 5, 5}, {8, 2, 1, 8, 8}, {9, 10, 7, 9, 10}, {0, -1, 5, 0, 9},
            };
            for (int[] c : cases) {
                Tensor s = x.slice(1, c[0], c[1], c[2]);
                assertSame(x.storage(), s.storage());
                assertExact(r.slice(1, c[3], c[4], c[2]), s, "slice(1, " + c[0] + ", " + c[1] + ", " + c[2] + ")");
            }
            assertExact(r.slice(0, 1, 7, 2), x.slice(-2, 1, 7, 2), "slice on dim -2");
            // slices of slices, then arithmetic on them
            Tensor ss = x.slice(0, 1, 7, 2).slice(1, -9, -1, 3).slice(1, 1, 3, 1);
            Nd sr = r.slice(0, 1, 7, 2).slice(1, 1, 9, 3).slice(1, 1, 3, 1);
            assertExact(sr, ss, "slice of slice");
            assertExact(sr.map(v -> v * 2), ss.mul(2), "arithmetic on a slice");
            assertThrowsWith(TensorShapeException.class, () -> x.slice(1, 0, 5, 0), "slice", "step", "0");
            assertThrowsWith(TensorShapeException.class, () -> x.slice(2, 0, 5, 1), "slice", "dimension 2", "rank 2");
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void narrowSelectExpandSqueezeUnsqueezeFlatten(Backend backend) {
        Backends.with(backend, () -> {
            Pair p = iota(3, 1, 4);
            Tensor x = p.t();
            Nd r = p.ref();
            Tensor n = x.narrow(2, 1, 2);
            assertSame(x.storage(), n.storage());
            assertExact(r.slice(2, 1, 3, 1), n, "narrow");
            assertExact(r.slice(2, 2, 4, 1), x.narrow(-1, -2, 2), "narrow with negative start");
            assertExact(r.slice(0, 0, 0, 1), x.narrow(0, 3, 0), "narrow to empty");
            assertThrowsWith(TensorShapeException.class, () -> x.narrow(2, 3, 2), "narrow", "out of range", "size 4", "[3, 1, 4]");

            Tensor s = x.select(0, -1);
            assertSame(x.storage(), s.storage());
            assertExact(r.select(0, 2), s, "select(0, -1)");
            assertExact(r.select(2, 3), x.select(2, 3), "select(2, 3)");
            assertExact(r.select(0, 1).select(0, 0).select(0, 2), x.select(0, 1).select(0, 0).select(0, 2), "select to 0-d");
            assertEquals(0, x.select(0, 1).select(0, 0).select(0, 2).dim());
            assertThrowsWith(TensorShapeException.class, () -> x.select(2, 4), "select", "index 4", "size 4");

            Tensor e = x.expand(2, 3, 5, 4);
            assertSame(x.storage(), e.storage());
            assertArrayEquals(new int[] {0, 4, 0, 1}, e.strides(), "expanded dimensions have stride 0");
            assertExact(r.expand(2, 3, 5, 4), e, "expand");
            assertExact(r.expand(3, 6, 4), x.expand(-1, 6, -1), "expand with -1");
            assertSame(x, x.expand(3, 1, 4));
            assertExact(r.expand(3, 0, 4), x.expand(3, 0, 4), "expand to size 0");
            assertExact(Nd.filled(5, 2, 3), Tensor.scalar(5).expand(2, 3), "expand a 0-d tensor");
            assertThrowsWith(TensorShapeException.class, () -> x.expand(3, 2, 5), "expand", "[3, 1, 4]", "[3, 2, 5]");

            Tensor sq = x.squeeze();
            assertArrayEquals(new int[] {3, 4}, sq.shape());
            assertSame(x.storage(), sq.storage());
            assertExact(r.reshape(3, 4), sq, "squeeze");
            assertArrayEquals(new int[] {3, 4}, x.squeeze(1).shape());
            assertArrayEquals(new int[] {3, 4}, x.squeeze(-2).shape());
            assertSame(x, x.squeeze(0), "squeezing a dimension that is not 1 is a no-op, like torch");
            assertArrayEquals(new int[] {}, iota(1, 1).t().squeeze().shape());
            Tensor u = x.unsqueeze(0).unsqueeze(-1).unsqueeze(2);
            assertArrayEquals(new int[] {1, 3, 1, 1, 4, 1}, u.shape());
            assertSame(x.storage(), u.storage());
            assertExact(r.reshape(1, 3, 1, 1, 4, 1), u, "unsqueeze");
            assertArrayEquals(new int[] {1}, Tensor.scalar(1).unsqueeze(0).shape());
            // unsqueeze of a non-contiguous view keeps its strides valid
            Tensor tu = x.transpose(0, 2).unsqueeze(1);
            assertExact(r.permute(2, 1, 0).reshape(4, 1, 1, 3), tu, "unsqueeze of a transpose");
            assertExact(r.permute(2, 1, 0).reshape(4, 1, 1, 3), tu.contiguous(), "contiguous of unsqueezed transpose");

            Pair q = iota(2, 3, 4, 5);
            assertExact(q.ref().reshape(2, 12, 5), q.t().flatten(1, 2), "flatten(1, 2)");
            assertExact(q.ref().reshape(2, 3, 20), q.t().flatten(-2, -1), "flatten(-2, -1)");
            assertExact(q.ref().reshape(120), q.t().flatten(), "flatten()");
            assertExact(q.ref().permute(3, 2, 1, 0).reshape(5, 4, 6), q.t().permute(3, 2, 1, 0).flatten(2, 3),
                    "flatten of a permuted tensor");
            assertArrayEquals(new int[] {1}, Tensor.scalar(3).flatten(0, 0).shape());
            assertThrowsWith(TensorShapeException.class, () -> q.t().flatten(2, 1), "flatten", "start");
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void concatStackSplitChunk(Backend backend) {
        Random rnd = new Random(32);
        Backends.with(backend, () -> {
            Pair a = sample(rnd, new int[] {2, 3, 4}, Layout.TRANSPOSED, -5, 5);
            Pair b = sample(rnd, new int[] {2, 5, 4}, Layout.STEPPED, -5, 5);
            Pair c = sample(rnd, new int[] {2, 0, 4}, Layout.CONTIGUOUS, -5, 5);
            Tensor cat = Tensor.concat(1, a.t(), b.t(), c.t());
            Nd want = Nd.zeros(2, 8, 4);
            Nd.forEachIndex(want.shape, (idx, flat) -> want.data[flat] = idx[1] < 3
                    ? a.ref().get(idx[0], idx[1], idx[2]) : b.ref().get(idx[0], idx[1] - 3, idx[2]));
            assertExact(want, cat, "concat along 1");
            assertExact(want, Tensor.concat(-2, List.of(a.t(), b.t())), "concat list, negative dim");
            // dtype promotion: int64 with float32 gives float32
            Tensor mixed = Tensor.concat(0, Tensor.fromArray(new long[] {1, 2}), Tensor.fromArray(new float[] {0.5f}, 1));
            assertEquals(DType.FLOAT32, mixed.dtype());
            TestSupport.assertValues(new double[] {1, 2, 0.5}, mixed, 0, "concat mixed dtypes");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.concat(0, a.t(), b.t()), "concat", "tensor 1",
                    "[2, 5, 4]", "[2, 3, 4]");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.concat(0, Tensor.scalar(1), Tensor.scalar(2)), "concat",
                    "zero-dimensional");

            Pair s1 = sample(rnd, new int[] {3, 4}, Layout.TRANSPOSED, -5, 5);
            Pair s2 = sample(rnd, new int[] {3, 4}, Layout.EXPANDED, -5, 5);
            for (int dim : new int[] {0, 1, 2, -1}) {
                int d = dim < 0 ? dim + 3 : dim;
                Tensor st = Tensor.stack(dim, s1.t(), s2.t());
                int[] shape = {3, 4};
                int[] os = new int[3];
                for (int i = 0, k = 0; i < 3; i++) {
                    os[i] = i == d ? 2 : shape[k++];
                }
                Nd sw = Nd.zeros(os);
                Nd.forEachIndex(os, (idx, flat) -> {
                    int[] src = new int[2];
                    for (int i = 0, k = 0; i < 3; i++) {
                        if (i != d) {
                            src[k++] = idx[i];
                        }
                    }
                    sw.data[flat] = (idx[d] == 0 ? s1 : s2).ref().get(src);
                });
                assertExact(sw, st, "stack dim " + dim);
            }
            assertArrayEquals(new int[] {3}, Tensor.stack(0, Tensor.scalar(1), Tensor.scalar(2), Tensor.scalar(3)).shape());
            assertThrowsWith(TensorShapeException.class, () -> Tensor.stack(0, s1.t(), a.t()), "stack", "tensor 1", "[2, 3, 4]", "[3, 4]");

            Pair q = iota(7, 3);
            List<Tensor> parts = q.t().split(3, 0);
            assertEquals(3, parts.size());
            int[][] bounds = {{0, 3}, {3, 6}, {6, 7}};
            for (int i = 0; i < 3; i++) {
                assertSame(q.t().storage(), parts.get(i).storage(), "split parts are views");
                assertExact(q.ref().slice(0, bounds[i][0], bounds[i][1], 1), parts.get(i), "split part " + i);
            }
            List<Tensor> sized = q.t().split(new int[] {1, 0, 6}, 0);
            assertEquals(3, sized.size());
            assertArrayEquals(new int[] {0, 3}, sized.get(1).shape());
            assertExact(q.ref().slice(0, 1, 7, 1), sized.get(2), "split by sizes");
            assertThrowsWith(TensorShapeException.class, () -> q.t().split(new int[] {3, 3}, 0), "split", "[3, 3]", "6", "7");
            List<Tensor> cols = q.t().split(2, -1);
            assertExact(q.ref().slice(1, 2, 3, 1), cols.get(1), "split along the last dim");

            // torch.chunk(7 rows, 4) gives chunks of ceil(7/4) = 2: sizes 2, 2, 2, 1
            List<Tensor> ch = q.t().chunk(4, 0);
            assertEquals(4, ch.size());
            assertArrayEquals(new int[] {1, 3}, ch.get(3).shape());
            assertSame(q.t().storage(), ch.get(0).storage());
            // torch.chunk(6, 4) gives 3 chunks of 2
            assertEquals(3, iota(6).t().chunk(4, 0).size());
            assertExact(iota(6).ref().slice(0, 4, 6, 1), iota(6).t().chunk(4, 0).get(2), "chunk values");
            assertThrowsWith(TensorShapeException.class, () -> q.t().chunk(0, 0), "chunk", "positive");
        });
    }
}
