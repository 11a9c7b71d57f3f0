package dev.graft.tensor;

import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.backend.Conv2dKernels;
import dev.graft.tensor.backend.Parallel;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Results must not depend on the kernel thread count (Parallel's promise: chunking never changes
 * any element's summation order). Matmul, sums and convolution are checked bit for bit with 1, 2
 * and 3 threads, and again with 1 thread after the others (run-to-run, after JIT warm-up).
 *
 * <p>The Vector API's transcendental lanewise ops (EXP, TANH, ...) are the exception: the
 * interpreted fallback and the JIT's intrinsic differ in the last ulp, so the same call can change
 * by an ulp once the kernel is compiled, whatever the thread count. They are held to 4 ulps here
 * (GELU, whose 1 + erf cancels for negative inputs, to its 1e-6 accuracy budget). Before the
 * pieces of a long run were cut on multiples of 64 elements, an element could fall in the vector
 * body with one thread and in the scalar tail with two, and GELU differed by up to 1e-7 absolute.
 */
class DeterminismTest {

    static List<float[]> exactWorkload() {
        Generator g = new Generator(99);
        Tensor a = Tensor.randn(g, 300, 300);
        Tensor b = Tensor.randn(g, 300, 300);
        Tensor big = Tensor.randn(g, 2000, 513);
        Tensor x = Tensor.randn(g, 4, 8, 32, 32);
        Tensor w = Tensor.randn(g, 16, 8, 3, 3);
        Tensor ba = Tensor.randn(g, 16, 64, 64);
        Tensor bb = Tensor.randn(g, 16, 64, 64);
        Tensor v = Tensor.randn(g, 100_000);
        List<float[]> out = new ArrayList<>();
        out.add(a.matmul(b).toFloatArray());                          // tiled GEMM, parallel over tiles
        out.add(a.t().matmul(b.t()).toFloatArray());                  // strided operands
        out.add(ba.matmul(bb).toFloatArray());                        // parallel across batches
        out.add(big.sum(new int[] {1}, false).toFloatArray());        // parallel rows
        out.add(big.sum(new int[] {0}, false).toFloatArray());        // column sums
        out.add(big.sum().toFloatArray());
        out.add(v.sum().toFloatArray());
        out.add(big.mean(new int[] {1}, true).toFloatArray());
        out.add(v.mul(v).add(1).toFloatArray());                      // a long run cut into pieces
        out.add(x.conv2d(w, null, 1, 1).toFloatArray());
        out.add(a.to(DType.FLOAT64).matmul(b.to(DType.FLOAT64)).toFloatArray()); // the float64 GEMM
        // depthwise (multiplier 2) and 1 x 1 convolutions and their gradients: the direct kernels
        Tensor wd = Tensor.randn(g, 16, 1, 3, 3);
        Tensor wp = Tensor.randn(g, 16, 8, 1, 1);
        Tensor gy = Tensor.randn(g, 4, 16, 32, 32);
        out.add(x.conv2d(wd, null, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 8).toFloatArray());
        out.add(x.conv2d(wp, null, 1, 0).toFloatArray());
        for (Tensor[] grads : new Tensor[][] {
            Conv2dKernels.backward(x, wd, gy, new int[] {3, 3, 1, 1, 1, 1, 1, 1}, 8, true, true, true),
            Conv2dKernels.backward(x, wd, gy.narrow(2, 0, 16).narrow(3, 0, 16).contiguous(), new int[] {3, 3, 2, 2, 1, 1, 1, 1}, 8,
                    true, true, true),
            Conv2dKernels.backward(x, wp, gy, new int[] {1, 1, 1, 1, 0, 0, 1, 1}, 1, true, true, true)}) {
            for (Tensor t : grads) {
                out.add(t.toFloatArray());
            }
        }
        return out;
    }

    static List<float[]> transcendentalWorkload() {
        Generator g = new Generator(98);
        Tensor big = Tensor.randn(g, 2000, 513);
        Tensor v = Tensor.randn(g, 100_000);
        return List.of(v.exp().toFloatArray(), v.tanh().toFloatArray(), big.softmax(1).toFloatArray(), v.gelu().toFloatArray());
    }

    static <T> List<T> withThreads(int n, Supplier<T> body) {
        Parallel.setThreads(n);
        return List.of(body.get());
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void matmulSumAndConvAreBitIdenticalForAnyThreadCount(Backend backend) {
        int before = Parallel.threads();
        try {
            Backends.with(backend, () -> {
                List<List<float[]>> runs = new ArrayList<>();
                for (int threads : new int[] {1, 2, 3, 1}) {
                    runs.add(withThreads(threads, DeterminismTest::exactWorkload).get(0));
                }
                for (int r = 1; r < runs.size(); r++) {
                    for (int i = 0; i < runs.get(0).size(); i++) {
                        assertArrayEquals(runs.get(0).get(i), runs.get(r).get(i), "result " + i + ": run " + r + " vs the 1-thread run");
                    }
                }
            });
        } finally {
            Parallel.setThreads(before);
        }
        assertEquals(before, Parallel.threads(), "the thread count is restored");
    }

    @org.junit.jupiter.api.Test
    void longRunsAreCutOnMultiplesOf64() {
        int before = Parallel.threads();
        try {
            for (int threads : new int[] {2, 3, 4}) {
                Parallel.setThreads(threads);
                for (int n : new int[] {40_000, 100_000, 100_003}) {
                    Tensor t = Tensor.zeros(n);
                    java.util.Set<Integer> starts = java.util.concurrent.ConcurrentHashMap.newKeySet();
                    java.util.concurrent.atomic.AtomicInteger covered = new java.util.concurrent.atomic.AtomicInteger();
                    dev.graft.tensor.backend.StridedLoop.of(t).forEach(1, (base, len) -> {
                        starts.add(base[0]);
                        covered.addAndGet(len);
                    });
                    assertEquals(n, covered.get(), "every element visited once");
                    assertTrue(starts.size() > 1, "a long run is split for " + threads + " threads");
                    for (int st : starts) {
                        // the vector body / scalar tail split of every element is then the same as in one piece
                        assertEquals(0, st % 64, "piece start " + st + " of " + n + " with " + threads + " threads");
                    }
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void transcendentalKernelsAgreeToAFewUlps(Backend backend) {
        int before = Parallel.threads();
        try {
            Backends.with(backend, () -> {
                List<float[]> one = withThreads(1, DeterminismTest::transcendentalWorkload).get(0);
                List<float[]> two = withThreads(2, DeterminismTest::transcendentalWorkload).get(0);
                for (int i = 0; i < one.size(); i++) {
                    float[] x = one.get(i);
                    float[] y = two.get(i);
                    for (int j = 0; j < x.length; j++) {
                        int fi = i;
                        int fj = j;
                        double tol = i == 3 ? 1e-6 : 4 * Math.ulp(Math.max(Math.abs(x[j]), Math.abs(y[j])));
                        assertTrue(Math.abs(x[j] - y[j]) <= tol,
                                () -> "result " + fi + " element " + fj + ": " + x[fj] + " vs " + y[fj]);
                    }
                }
            });
        } finally {
            Parallel.setThreads(before);
        }
    }
}
