package dev.graft.nativeblas.cuda;

import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cuBLAS layouts of device matmul, checked without a GPU: every product of
 * {@link DeviceChecks#matmulCases()} is run on the CPU through a backend that records the views
 * {@code Tensor.matmul} hands to {@code Backend.matmul}; their {@link GemmLayout} is then executed
 * by a Java emulation of column-major cuBLAS GEMM (the semantics of {@code cublas<t>gemm} and
 * {@code cublas<t>gemmStridedBatched}: op, ld, stride, batch count) over the storages, and must
 * give the Java backend's result, writing every output element exactly once and reading nothing
 * outside the storages.
 */
class GemmLayoutTest {

    /** The (a, b, out) views of every Backend.matmul call made while running {@code body}. */
    private static List<Tensor[]> capture(Runnable body) {
        Backend java = GpuCheck.javaBackend();
        List<Tensor[]> calls = new ArrayList<>();
        Backend recording = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("matmul") && args != null && args.length == 3) {
                        calls.add(new Tensor[] {(Tensor) args[0], (Tensor) args[1], (Tensor) args[2]});
                    }
                    try {
                        return method.invoke(java, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        Backends.with(recording, body);
        return calls;
    }

    private static double[] elements(Tensor t) {
        double[] v = new double[t.storage().length()];
        for (int i = 0; i < v.length; i++) {
            v[i] = t.storage().getDouble(i);
        }
        return v;
    }

    /**
     * Column-major cuBLAS GEMM as documented, for the calls the runtime issues:
     * C^T [N x M] = op(B-operand) [N x K] · op(A-operand) [K x M], alpha 1, beta 0.
     */
    static double[] emulate(GemmLayout l, double[] a, double[] b, int outLength) {
        double[] c = new double[outLength];
        Arrays.fill(c, Double.NaN);
        if (l.kind == GemmLayout.Kind.ZERO_FILL) {
            Arrays.fill(c, (int) l.fillOffset, (int) (l.fillOffset + l.fillCount), 0.0);
            return c;
        }
        int mm = l.n; // cuBLAS m
        int nn = l.m; // cuBLAS n
        int k = l.k;
        GemmLayout.Operand x = l.b; // first cuBLAS operand
        GemmLayout.Operand y = l.a; // second
        // what cuBLAS itself requires of the arguments
        assertTrue(x.ld() >= Math.max(1, x.transposed() ? k : mm), "ld of the first operand " + l);
        assertTrue(y.ld() >= Math.max(1, y.transposed() ? nn : k), "ld of the second operand " + l);
        assertTrue(l.ldc >= Math.max(1, mm), "ldc " + l);
        for (int call = 0; call < l.calls(); call++) {
            for (int t = 0; t < l.batchCount; t++) {
                long bx = l.bOffsets[call] + t * x.batchStride();
                long by = l.aOffsets[call] + t * y.batchStride();
                long bc = l.cOffsets[call] + t * l.strideC;
                for (int i = 0; i < mm; i++) {
                    for (int j = 0; j < nn; j++) {
                        double s = 0;
                        for (int p = 0; p < k; p++) {
                            double xv = x.transposed() ? b[(int) (bx + p + (long) i * x.ld())] : b[(int) (bx + i + (long) p * x.ld())];
                            double yv = y.transposed() ? a[(int) (by + j + (long) p * y.ld())] : a[(int) (by + p + (long) j * y.ld())];
                            s += xv * yv;
                        }
                        int at = (int) (bc + i + (long) j * l.ldc);
                        assertTrue(Double.isNaN(c[at]), "output element " + at + " written twice: " + l);
                        c[at] = s;
                    }
                }
            }
        }
        return c;
    }

    @TestFactory
    Stream<DynamicTest> everyCheckedProductHasAnEmulatedLayoutThatGivesTheJavaResult() {
        return DeviceChecks.matmulCases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            Generator g = new Generator(c.name().hashCode());
            Tensor x = Tensor.randn(g, c.xs()).to(c.dtype());
            Tensor y = Tensor.randn(g, c.ys()).to(c.dtype());
            List<Tensor[]> calls = capture(() -> c.op().apply(x, y));
            assertEquals(1, calls.size(), "one Backend.matmul per product");
            Tensor[] v = calls.getFirst();
            GemmLayout l = GemmLayout.of(v[0], v[1], v[2]);
            if (!c.onDevice()) {
                assertSame(GemmLayout.Kind.REFUSED, l.kind, l.toString());
                assertNotNull(l.refusal);
                return;
            }
            assertFalse(l.kind == GemmLayout.Kind.REFUSED, l.toString());
            if (l.kind == GemmLayout.Kind.EMPTY) {
                assertEquals(0, v[2].numel());
                return;
            }
            double[] got = emulate(l, elements(v[0]), elements(v[1]), v[2].storage().length());
            double[] want = elements(v[2]); // out holds the Java backend's product
            int off = v[2].offset();
            double worst = 0;
            double scale = 0;
            for (int i = 0; i < v[2].numel(); i++) {
                worst = Math.max(worst, Math.abs(got[off + i] - want[off + i]));
                scale = Math.max(scale, Math.abs(want[off + i]));
            }
            assertTrue(worst <= 1e-4 * Math.max(1, scale), c.name() + ": max difference " + worst + " for " + l);
        }));
    }

    private static GemmLayout.View contiguous(long offset, long length, int... shape) {
        int[] st = new int[shape.length];
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= shape[i];
        }
        return new GemmLayout.View(shape, st, offset, length);
    }

    @Test
    void matrixOperandsChooseAValidLeadingDimension() {
        // row-major, padded rows
        assertEquals(new GemmLayout.Operand(false, 10, 0), GemmLayout.matrix(4, 7, 10, 1));
        // column-major (a transposed view)
        assertEquals(new GemmLayout.Operand(true, 12, 0), GemmLayout.matrix(4, 7, 1, 12));
        // one row: the row stride is never used, whatever it is
        assertEquals(new GemmLayout.Operand(false, 7, 0), GemmLayout.matrix(1, 7, 0, 1));
        assertEquals(new GemmLayout.Operand(true, 3, 0), GemmLayout.matrix(1, 7, 99, 3));
        // one column
        assertEquals(new GemmLayout.Operand(false, 5, 0), GemmLayout.matrix(4, 1, 5, 0));
        assertEquals(new GemmLayout.Operand(false, 1, 0), GemmLayout.matrix(4, 1, 1, 0)); // a column of adjacent elements
        assertEquals(new GemmLayout.Operand(false, 3, 0), GemmLayout.matrix(4, 1, 3, 1));
        // 1 x 1
        assertEquals(new GemmLayout.Operand(false, 1, 0), GemmLayout.matrix(1, 1, 0, 0));
        // not readable in place: no unit stride, broadcast rows, overlapping rows
        assertNull(GemmLayout.matrix(4, 7, 14, 2));
        assertNull(GemmLayout.matrix(4, 7, 0, 1));
        assertNull(GemmLayout.matrix(4, 7, 1, 1));
        assertNull(GemmLayout.matrix(4, 7, 3, 1)); // rows overlap: 3 < 7
    }

    @Test
    void layoutsCublasCannotReadAreRefusedWithAReason() {
        GemmLayout.View b = contiguous(0, 15, 1, 3, 5);
        GemmLayout.View out = contiguous(0, 20, 1, 4, 5);
        GemmLayout l = GemmLayout.plan(new GemmLayout.View(new int[] {1, 4, 3}, new int[] {12, -3, 1}, 9, 12), b, out);
        assertSame(GemmLayout.Kind.REFUSED, l.kind);
        assertTrue(l.refusal.contains("negative stride"), l.refusal);
        l = GemmLayout.plan(new GemmLayout.View(new int[] {1, 4, 3}, new int[] {24, 6, 2}, 0, 24), b, out);
        assertTrue(l.refusal.contains("no unit stride"), l.refusal);
        l = GemmLayout.plan(contiguous(0, 12, 1, 4, 3), b, new GemmLayout.View(new int[] {1, 4, 5}, new int[] {20, 1, 4}, 0, 20));
        assertTrue(l.refusal.contains("not contiguous"), l.refusal);
        // 300 x 300 outer calls of 2 batches: more calls than allowed
        GemmLayout.View many = new GemmLayout.View(new int[] {300, 300, 2, 1, 1}, new int[] {0, 1, 0, 1, 1}, 0, 300);
        GemmLayout.View one = new GemmLayout.View(new int[] {300, 300, 2, 1, 1}, new int[] {0, 0, 0, 1, 1}, 0, 1);
        l = GemmLayout.plan(many, one, contiguous(0, 180_000, 300, 300, 2, 1, 1));
        assertTrue(l.refusal.contains("separate GEMM calls"), l.refusal);
    }

    @Test
    void batchDimensionsMergeWhileTheirStridesNest() {
        // [2, 3] batches, contiguous: one call of 6
        GemmLayout l = GemmLayout.plan(contiguous(0, 6 * 12, 2, 3, 4, 3), contiguous(0, 6 * 15, 2, 3, 3, 5),
                contiguous(0, 6 * 20, 2, 3, 4, 5));
        assertEquals(1, l.calls());
        assertEquals(6, l.batchCount);
        assertEquals(12, l.a.batchStride());
        assertEquals(15, l.b.batchStride());
        assertEquals(20, l.strideC);
        // a broadcast over the inner batch dimension, b over the outer: 2 calls of 3
        GemmLayout.View a = new GemmLayout.View(new int[] {2, 3, 4, 3}, new int[] {12, 0, 3, 1}, 0, 24);
        GemmLayout.View b = new GemmLayout.View(new int[] {2, 3, 3, 5}, new int[] {0, 15, 5, 1}, 0, 45);
        l = GemmLayout.plan(a, b, contiguous(0, 120, 2, 3, 4, 5));
        assertEquals(2, l.calls());
        assertEquals(3, l.batchCount);
        assertEquals(0, l.a.batchStride());
        assertEquals(15, l.b.batchStride());
        assertEquals(List.of(0L, 12L), Arrays.stream(l.aOffsets).boxed().toList());
        assertEquals(List.of(0L, 0L), Arrays.stream(l.bOffsets).boxed().toList());
        assertEquals(List.of(0L, 60L), Arrays.stream(l.cOffsets).boxed().toList());
    }

    @Test
    void emptyAndZeroInnerDimension() {
        GemmLayout l = GemmLayout.plan(contiguous(0, 0, 1, 0, 3), contiguous(0, 15, 1, 3, 5), contiguous(0, 0, 1, 0, 5));
        assertSame(GemmLayout.Kind.EMPTY, l.kind);
        l = GemmLayout.plan(contiguous(0, 0, 2, 4, 0), contiguous(0, 0, 2, 0, 5), contiguous(3, 43, 2, 4, 5));
        assertSame(GemmLayout.Kind.ZERO_FILL, l.kind);
        assertEquals(3, l.fillOffset);
        assertEquals(40, l.fillCount);
    }

    @Test
    void wrongShapesAndRangesThrowBeforeAnyNativeCall() {
        GemmLayout.View b = contiguous(0, 15, 1, 3, 5);
        GemmLayout.View out = contiguous(0, 20, 1, 4, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GemmLayout.plan(contiguous(0, 16, 1, 4, 4), b, out));
        assertTrue(e.getMessage().contains("shapes do not fit"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GemmLayout.plan(contiguous(0, 12, 4, 3), contiguous(0, 15, 3, 5),
                contiguous(0, 20, 4, 5)));
        assertTrue(e.getMessage().contains("rank >= 3"), e.getMessage());
        // a view that reaches past its storage
        e = assertThrows(IllegalArgumentException.class, () -> GemmLayout.plan(contiguous(5, 12, 1, 4, 3), b, out));
        assertTrue(e.getMessage().contains("a reaches element 16") && e.getMessage().contains("12 elements"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GemmLayout.plan(contiguous(0, 12, 1, 4, 3), b, contiguous(1, 20, 1, 4, 5)));
        assertTrue(e.getMessage().contains("does not fit its storage"), e.getMessage());
        // a batch stride that leaves the storage on the last batch
        GemmLayout.View a = new GemmLayout.View(new int[] {3, 4, 3}, new int[] {12, 3, 1}, 0, 30);
        e = assertThrows(IllegalArgumentException.class, () -> GemmLayout.plan(a, contiguous(0, 45, 3, 3, 5), contiguous(0, 60, 3, 4, 5)));
        assertTrue(e.getMessage().contains("a reaches element 35"), e.getMessage());
    }

    @Test
    void float64ProductsGetTheSameLayouts() {
        Tensor x = Tensor.randn(new Generator(1), 6, 5).to(DType.FLOAT64);
        Tensor y = Tensor.randn(new Generator(2), 6, 4).to(DType.FLOAT64);
        List<Tensor[]> calls = capture(() -> x.transpose(0, 1).matmul(y));
        Tensor[] v = calls.getFirst();
        GemmLayout l = GemmLayout.of(v[0], v[1], v[2]);
        assertTrue(l.a.transposed() && !l.b.transposed(), l.toString());
        assertEquals(5, l.a.ld());
        assertEquals(4, l.b.ld());
    }
}
