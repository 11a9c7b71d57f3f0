package dev.graft.tensor;

import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.api.Named;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Shared test machinery: the backend parameter source, random inputs in several memory layouts
 * paired with their {@link Nd} reference, and tolerance-aware comparisons.
 */
final class TestSupport {
    private TestSupport() {
    }

    /** Every backend available in this JVM; test bodies run once per backend. */
    static Stream<Named<Backend>> backends() {
        return Backends.available().stream().map(b -> Named.of(b.name(), b));
    }

    /**
     * Shapes every elementwise op is run on: 0-d, empty, size-1 dims, higher rank, and lengths 1, 7, 17, 33, 65
     * around the 16-float vector width (AVX-512), which exercise the scalar tail of every SIMD loop.
     */
    static final int[][] SHAPES = {
        {}, {0}, {1}, {7}, {16}, {17}, {33}, {65}, {3, 0}, {0, 5}, {1, 1}, {4, 17}, {2, 3, 33}, {5, 65}, {2, 1, 7}, {3, 2, 1, 5},
    };

    /** How an input tensor is laid out in memory; the logical values are the same kind either way. */
    enum Layout {
        CONTIGUOUS, TRANSPOSED, STEPPED, NEGATIVE_SLICE, EXPANDED
    }

    /** A Graft tensor and the reference array holding the same logical values. */
    record Pair(Tensor t, Nd ref) {
    }

    static double quantize(double v, DType dt, double lo, double hi) {
        return switch (dt) {
            case FLOAT32 -> (float) v;
            case FLOAT64 -> v;
            case INT64, INT32 -> Math.floor(v);
            case UINT8 -> Math.floor(Math.abs(v)) % 256;
            case BOOL -> v >= (lo + hi) / 2 ? 1 : 0;
            default -> throw new IllegalArgumentException(dt.toString());
        };
    }

    static Nd randomNd(Random rnd, int[] shape, DType dt, double lo, double hi) {
        double[] d = new double[Nd.numel(shape)];
        for (int i = 0; i < d.length; i++) {
            double v = lo + (hi - lo) * rnd.nextDouble();
            d[i] = quantize(INTEGER_VALUES.get() ? Math.floor(v) : v, dt, lo, hi);
        }
        return new Nd(shape, d);
    }

    /** When set, random values are whole numbers even for floating dtypes (ties for comparisons, sorts, argmax). */
    static final ThreadLocal<Boolean> INTEGER_VALUES = ThreadLocal.withInitial(() -> false);

    /** Like {@link #sample} but with whole-number values, so that ties and equalities are frequent. */
    static Pair sampleWhole(Random rnd, int[] shape, Layout layout, DType dt, double lo, double hi) {
        INTEGER_VALUES.set(true);
        try {
            return sample(rnd, shape, layout, dt, lo, hi);
        } finally {
            INTEGER_VALUES.set(false);
        }
    }

    /** A contiguous tensor of dtype dt holding the values of r (already representable in dt). */
    static Tensor tensorOf(Nd r, DType dt) {
        int n = r.numel();
        return switch (dt) {
            case FLOAT32 -> {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) {
                    f[i] = (float) r.data[i];
                }
                yield Tensor.fromArray(f).reshape(r.shape);
            }
            case FLOAT64 -> Tensor.fromArray(r.data.clone()).reshape(r.shape);
            case INT64 -> {
                long[] l = new long[n];
                for (int i = 0; i < n; i++) {
                    l[i] = (long) r.data[i];
                }
                yield Tensor.fromArray(l).reshape(r.shape);
            }
            case INT32 -> {
                int[] l = new int[n];
                for (int i = 0; i < n; i++) {
                    l[i] = (int) r.data[i];
                }
                yield Tensor.fromArray(l).reshape(r.shape);
            }
            case BOOL -> {
                boolean[] b = new boolean[n];
                for (int i = 0; i < n; i++) {
                    b[i] = r.data[i] != 0;
                }
                yield Tensor.fromArray(b).reshape(r.shape);
            }
            case UINT8 -> {
                byte[] b = new byte[n];
                for (int i = 0; i < n; i++) {
                    b[i] = (byte) (int) r.data[i];
                }
                yield Tensor.fromStorage(Storage.wrap(DType.UINT8, b), r.shape, "test");
            }
            default -> throw new IllegalArgumentException(dt.toString());
        };
    }

    static Tensor f32(Nd r) {
        return tensorOf(r, DType.FLOAT32);
    }

    /** Random values in [lo, hi) of the given logical shape, laid out in memory as {@code layout} says. */
    static Pair sample(Random rnd, int[] shape, Layout layout, DType dt, double lo, double hi) {
        int rank = shape.length;
        switch (layout) {
            case TRANSPOSED -> {
                if (rank < 2) {
                    break;
                }
                // view dimension i is base dimension p[i]: a swap for rank 2, a rotation above
                int[] p = new int[rank];
                for (int i = 0; i < rank; i++) {
                    p[i] = rank == 2 ? 1 - i : (i + 1) % rank;
                }
                int[] bs = new int[rank];
                for (int i = 0; i < rank; i++) {
                    bs[p[i]] = shape[i];
                }
                Nd base = randomNd(rnd, bs, dt, lo, hi);
                return new Pair(tensorOf(base, dt).permute(p), base.permute(p));
            }
            case STEPPED -> {
                if (rank < 1) {
                    break;
                }
                int[] bs = shape.clone();
                int last = rank - 1;
                bs[last] = 2 * shape[last] + 1;
                if (rank >= 2) {
                    bs[0] = 3 * shape[0];
                }
                Nd base = randomNd(rnd, bs, dt, lo, hi);
                Tensor t = tensorOf(base, dt).slice(last, 1, bs[last], 2);
                Nd r = base.slice(last, 1, bs[last], 2);
                if (rank >= 2) {
                    t = t.slice(0, 0, bs[0], 3);
                    r = r.slice(0, 0, bs[0], 3);
                }
                return new Pair(t, r);
            }
            case NEGATIVE_SLICE -> {
                if (rank < 1) {
                    break;
                }
                int[] bs = shape.clone();
                int last = rank - 1;
                int n = shape[last];
                bs[last] = n + 3;
                Nd base = randomNd(rnd, bs, dt, lo, hi);
                // Python's x[..., -(n+1):-1] on a dimension of n+3 is elements 2 .. n+1
                Tensor t = tensorOf(base, dt).slice(last, -(n + 1), -1, 1);
                return new Pair(t, base.slice(last, 2, n + 2, 1));
            }
            case EXPANDED -> {
                if (rank < 1) {
                    break;
                }
                // rank >= 2: a new leading dimension (stride 0); otherwise a size-1 dimension expanded
                int[] bs = rank >= 2 ? Arrays.copyOfRange(shape, 1, rank) : new int[] {1};
                if (bs.length >= 2) {
                    bs[1] = 1;
                }
                Nd base = randomNd(rnd, bs, dt, lo, hi);
                return new Pair(tensorOf(base, dt).expand(shape), base.expand(shape));
            }
            case CONTIGUOUS -> {
            }
        }
        Nd r = randomNd(rnd, shape, dt, lo, hi);
        return new Pair(tensorOf(r, dt), r);
    }

    static Pair sample(Random rnd, int[] shape, Layout layout, double lo, double hi) {
        return sample(rnd, shape, layout, DType.FLOAT32, lo, hi);
    }

    /** Graft's values, read one element at a time through {@link Tensor#get} (no backend involved). */
    static Nd read(Tensor t) {
        Nd out = Nd.zeros(t.shape());
        Nd.forEachIndex(out.shape, (idx, flat) -> out.data[flat] = t.get(idx));
        return out;
    }

    static boolean close(double actual, double expected, double rtol, double atol) {
        if (Double.isNaN(expected) || Double.isNaN(actual)) {
            return Double.isNaN(expected) && Double.isNaN(actual);
        }
        if (Double.isInfinite(expected) || Double.isInfinite(actual)) {
            return actual == expected;
        }
        return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
    }

    /** |actual - expected| <= atol + rtol * |expected| everywhere; NaN only where NaN is expected; shapes equal. */
    static void assertClose(Nd expected, Tensor actual, double rtol, double atol, String what) {
        assertArrayEquals(expected.shape, actual.shape(), () -> what + ": shape");
        Nd got = read(actual);
        for (int i = 0; i < got.data.length; i++) {
            if (!close(got.data[i], expected.data[i], rtol, atol)) {
                int fi = i;
                fail(what + ": element " + fi + " of shape " + Arrays.toString(expected.shape) + " is " + got.data[fi]
                        + ", expected " + expected.data[fi] + " (rtol " + rtol + ", atol " + atol + ")");
            }
        }
    }

    /** Per-element absolute tolerance, for results whose error bound depends on the element (matmul, sums). */
    static void assertWithin(Nd expected, Tensor actual, Nd tol, String what) {
        assertArrayEquals(expected.shape, actual.shape(), () -> what + ": shape");
        Nd got = read(actual);
        for (int i = 0; i < got.data.length; i++) {
            if (!close(got.data[i], expected.data[i], 0, tol.data[i])) {
                fail(what + ": element " + i + " of shape " + Arrays.toString(expected.shape) + " is " + got.data[i]
                        + ", expected " + expected.data[i] + " (tolerance " + tol.data[i] + ")");
            }
        }
    }

    static void assertExact(Nd expected, Tensor actual, String what) {
        assertClose(expected, actual, 0, 0, what);
    }

    static void assertValues(double[] expected, Tensor actual, double tol, String what) {
        Nd got = read(actual);
        assertEquals(expected.length, got.data.length, what + ": number of elements");
        for (int i = 0; i < expected.length; i++) {
            if (!close(got.data[i], expected[i], 0, tol)) {
                fail(what + ": element " + i + " is " + got.data[i] + ", expected " + expected[i]);
            }
        }
    }

    /** The exception's message contains every fragment (op name, shapes, expectation). */
    static <E extends Throwable> E assertThrowsWith(Class<E> type, org.junit.jupiter.api.function.Executable body,
                                                    String... fragments) {
        E e = assertThrows(type, body);
        String m = e.getMessage();
        for (String f : fragments) {
            assertTrue(m != null && m.contains(f), () -> "message '" + m + "' should contain '" + f + "'");
        }
        return e;
    }

    static List<int[]> allAxisSubsets(int rank) {
        List<int[]> out = new ArrayList<>();
        for (int mask = 1; mask < (1 << rank); mask++) {
            int[] axes = new int[Integer.bitCount(mask)];
            for (int i = 0, k = 0; i < rank; i++) {
                if ((mask & (1 << i)) != 0) {
                    axes[k++] = i;
                }
            }
            out.add(axes);
        }
        return out;
    }

    static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
