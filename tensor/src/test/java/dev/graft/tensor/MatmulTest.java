package dev.graft.tensor;

import dev.graft.tensor.TestSupport.Layout;
import dev.graft.tensor.TestSupport.Pair;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static dev.graft.tensor.TestSupport.assertThrowsWith;
import static dev.graft.tensor.TestSupport.assertWithin;
import static dev.graft.tensor.TestSupport.sample;
import static dev.graft.tensor.TestSupport.str;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * matmul with NumPy semantics against a triple loop in float64.
 *
 * <p>Tolerance, per output element: 1e-6 + K u sum_k |a_ik b_kj| with u = 2^-24 for float32
 * (the worst-case error of a K-term dot product in any summation order, FMA or not) and
 * u = 2^-53 (plus 1e-300) for float64. It scales with K, as a blocked GEMM's error does.
 */
class MatmulTest {

    /** The reference product and its tolerance, for a [.., M, K] and b [.., K, N] with NumPy 1-D promotion. */
    static Nd[] reference(Nd a, Nd b, double u) {
        boolean vecA = a.rank() == 1;
        boolean vecB = b.rank() == 1;
        Nd a2 = vecA ? a.reshape(1, a.shape[0]) : a;
        Nd b2 = vecB ? b.reshape(b.shape[0], 1) : b;
        int m = a2.shape[a2.rank() - 2];
        int k = a2.shape[a2.rank() - 1];
        int n = b2.shape[b2.rank() - 1];
        int[] batchA = Arrays.copyOf(a2.shape, a2.rank() - 2);
        int[] batchB = Arrays.copyOf(b2.shape, b2.rank() - 2);
        int[] batch = Nd.broadcastShape(batchA, batchB);
        int[] os = Arrays.copyOf(batch, batch.length + 2);
        os[batch.length] = m;
        os[batch.length + 1] = n;
        Nd out = Nd.zeros(os);
        Nd tol = Nd.zeros(os);
        int[] ai = new int[a2.rank()];
        int[] bi = new int[b2.rank()];
        Nd.forEachIndex(os, (idx, flat) -> {
            // batch index of each operand, broadcast from the right
            for (int d = 0; d < batchA.length; d++) {
                ai[d] = batchA[d] == 1 ? 0 : idx[d + batch.length - batchA.length];
            }
            for (int d = 0; d < batchB.length; d++) {
                bi[d] = batchB[d] == 1 ? 0 : idx[d + batch.length - batchB.length];
            }
            ai[ai.length - 2] = idx[batch.length];
            bi[bi.length - 1] = idx[batch.length + 1];
            double acc = 0;
            double abs = 0;
            for (int p = 0; p < k; p++) {
                ai[ai.length - 1] = p;
                bi[bi.length - 2] = p;
                double prod = a2.get(ai) * b2.get(bi);
                acc += prod;
                abs += Math.abs(prod);
            }
            out.data[flat] = acc;
            tol.data[flat] = (u < 1e-10 ? 1e-300 : 1e-6) + k * u * abs;
        });
        int[] fs = os;
        if (vecA) {
            fs = remove(fs, fs.length - 2);
        }
        if (vecB) {
            fs = remove(fs, fs.length - 1);
        }
        return new Nd[] {out.reshape(fs), tol.reshape(fs)};
    }

    static int[] remove(int[] s, int i) {
        int[] r = new int[s.length - 1];
        for (int j = 0, k = 0; j < s.length; j++) {
            if (j != i) {
                r[k++] = s[j];
            }
        }
        return r;
    }

    static void check(Pair a, Pair b, DType dt, String what) {
        Nd[] ref = reference(a.ref(), b.ref(), dt == DType.FLOAT32 ? 0x1.0p-24 : 0x1.0p-53);
        Tensor out = a.t().matmul(b.t());
        assertEquals(dt, out.dtype(), what);
        assertWithin(ref[0], out, ref[1], "matmul " + what);
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void numpyShapeRules(Backend backend) {
        Random rnd = new Random(51);
        int[][][] cases = {
            {{5}, {5}}, {{1}, {1}}, {{4}, {4, 3}}, {{3, 4}, {4}}, {{3, 4}, {4, 5}}, {{4}, {2, 4, 6}}, {{2, 3, 4}, {4}},
            {{2, 1, 3, 4}, {5, 4, 6}}, {{3, 4}, {2, 4, 5}}, {{2, 3, 4}, {4, 5}}, {{2, 3, 4}, {2, 4, 5}}, {{1, 3, 4}, {7, 4, 2}},
            {{2, 2, 3, 17}, {17, 33}}, {{3, 0}, {0, 4}}, {{0, 3}, {3, 4}}, {{3, 4}, {4, 0}}, {{0, 2, 3}, {3, 2}}, {{1, 1}, {1, 1}},
            {{17}, {2, 3, 17, 1}},
        };
        Backends.with(backend, () -> {
            for (int[][] c : cases) {
                for (Layout la : Layout.values()) {
                    Layout lb = Layout.values()[(la.ordinal() + 1) % Layout.values().length];
                    for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                        Pair a = sample(rnd, c[0], la, dt, -1, 1);
                        Pair b = sample(rnd, c[1], lb, dt, -1, 1);
                        check(a, b, dt, str(c[0]) + " " + la + " @ " + str(c[1]) + " " + lb + " " + dt);
                    }
                }
            }
            // shapes: 1-D . 1-D is 0-d, as in numpy
            assertArrayEquals(new int[] {}, Tensor.ones(5).matmul(Tensor.ones(5)).shape());
            assertArrayEquals(new int[] {2, 5, 3, 6}, Tensor.ones(2, 1, 3, 4).matmul(Tensor.ones(5, 4, 6)).shape());
            assertArrayEquals(new int[] {2, 6}, Tensor.ones(4).matmul(Tensor.ones(2, 4, 6)).shape());
            // mixed precision promotes
            assertEquals(DType.FLOAT64, Tensor.ones(2, 2).matmul(Tensor.ones(DType.FLOAT64, 2, 2)).dtype());
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void transposedAndStridedOperands(Backend backend) {
        Random rnd = new Random(52);
        Backends.with(backend, () -> {
            for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
                for (int[] mnk : new int[][] {{5, 7, 3}, {33, 17, 65}, {1, 33, 16}, {97, 5, 33}}) {
                    int m = mnk[0];
                    int n = mnk[1];
                    int k = mnk[2];
                    // a^T and b^T as transposed views of [k, m] and [n, k]
                    Pair at = sample(rnd, new int[] {k, m}, Layout.CONTIGUOUS, dt, -1, 1);
                    Pair bt = sample(rnd, new int[] {n, k}, Layout.CONTIGUOUS, dt, -1, 1);
                    Pair a = new Pair(at.t().t(), at.ref().permute(1, 0));
                    Pair b = new Pair(bt.t().t(), bt.ref().permute(1, 0));
                    Pair ac = sample(rnd, new int[] {m, k}, Layout.CONTIGUOUS, dt, -1, 1);
                    Pair bc = sample(rnd, new int[] {k, n}, Layout.CONTIGUOUS, dt, -1, 1);
                    String s = Arrays.toString(mnk) + " " + dt;
                    check(a, bc, dt, "a^T @ b " + s);
                    check(ac, b, dt, "a @ b^T " + s);
                    check(a, b, dt, "a^T @ b^T " + s);
                    // stepped rows and columns
                    Pair as = sample(rnd, new int[] {m, k}, Layout.STEPPED, dt, -1, 1);
                    Pair bs = sample(rnd, new int[] {k, n}, Layout.NEGATIVE_SLICE, dt, -1, 1);
                    check(as, bs, dt, "stepped @ sliced " + s);
                    // broadcast (stride 0) operand
                    Pair be = sample(rnd, new int[] {k, n}, Layout.EXPANDED, dt, -1, 1);
                    check(as, be, dt, "stepped @ expanded " + s);
                    // batched transposes: [2, k, m]^T(-2, -1)
                    Pair ab = sample(rnd, new int[] {2, k, m}, Layout.CONTIGUOUS, dt, -1, 1);
                    Pair bb = sample(rnd, new int[] {2, n, k}, Layout.CONTIGUOUS, dt, -1, 1);
                    check(new Pair(ab.t().transpose(-2, -1), ab.ref().permute(0, 2, 1)),
                            new Pair(bb.t().transpose(1, 2), bb.ref().permute(0, 2, 1)), dt, "batched transposed " + s);
                    // a permuted batch (cannot be folded into rows) against a matrix
                    Pair ap = sample(rnd, new int[] {m, 3, k}, Layout.CONTIGUOUS, dt, -1, 1);
                    check(new Pair(ap.t().permute(1, 0, 2), ap.ref().permute(1, 0, 2)), bc, dt, "permuted batch @ matrix " + s);
                }
            }
        });
    }

    static List<int[]> blockingSizes() {
        List<int[]> out = new ArrayList<>();
        int[] small = {1, 5, 33, 97};
        for (int m : small) {
            for (int n : small) {
                for (int k : small) {
                    out.add(new int[] {m, n, k});
                }
            }
        }
        // K beyond the 256-deep panel, M beyond the 96-row block, N beyond the 256-column block
        out.addAll(List.of(new int[] {300, 300, 300}, new int[] {1, 300, 300}, new int[] {300, 1, 300},
                new int[] {300, 300, 1}, new int[] {5, 300, 97}, new int[] {97, 33, 300}, new int[] {33, 97, 300},
                new int[] {3, 2100, 5}, new int[] {7, 2060, 260}));
        return out;
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void sizesAcrossGemmBlocking(Backend backend) {
        Random rnd = new Random(53);
        Backends.with(backend, () -> {
            for (int[] mnk : blockingSizes()) {
                Pair a = sample(rnd, new int[] {mnk[0], mnk[2]}, Layout.CONTIGUOUS, -1, 1);
                Pair b = sample(rnd, new int[] {mnk[2], mnk[1]}, Layout.CONTIGUOUS, -1, 1);
                check(a, b, DType.FLOAT32, "m, n, k = " + Arrays.toString(mnk));
            }
            for (int[] mnk : new int[][] {{97, 33, 300}, {300, 5, 97}, {33, 300, 5}}) {
                Pair a = sample(rnd, new int[] {mnk[0], mnk[2]}, Layout.CONTIGUOUS, DType.FLOAT64, -1, 1);
                Pair b = sample(rnd, new int[] {mnk[2], mnk[1]}, Layout.TRANSPOSED, DType.FLOAT64, -1, 1);
                check(a, b, DType.FLOAT64, "float64 m, n, k = " + Arrays.toString(mnk));
            }
            // a batch of many small products (parallel across batches)
            Pair a = sample(rnd, new int[] {16, 7, 33}, Layout.CONTIGUOUS, -1, 1);
            Pair b = sample(rnd, new int[] {16, 33, 5}, Layout.TRANSPOSED, -1, 1);
            check(a, b, DType.FLOAT32, "16 batches");
        });
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void errorsNameShapes(Backend backend) {
        Backends.with(backend, () -> {
            assertThrowsWith(TensorShapeException.class, () -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 5)),
                    "matmul: [2, 3] @ [4, 5]: inner dimensions differ (3 vs 4)");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.zeros(3).matmul(Tensor.zeros(4)),
                    "matmul: [3] @ [4]: inner dimensions differ (3 vs 4)");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.zeros(2, 3, 4).matmul(Tensor.zeros(3, 4, 5)),
                    "matmul: [2, 3, 4] @ [3, 4, 5]", "batch dimensions [2] and [3]");
            assertThrowsWith(TensorShapeException.class, () -> Tensor.scalar(1).matmul(Tensor.zeros(3)),
                    "matmul: [] @ [3]", "at least one dimension");
            assertThrowsWith(TensorTypeException.class, () -> Tensor.arange(4).matmul(Tensor.zeros(4)),
                    "matmul", "int64", "float32");
        });
    }
}
