package dev.graft.nativeblas;

import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import static dev.graft.nativeblas.MatmulCheck.assertProduct;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The blas backend against the float64 reference (and so against java-simd, which MatmulCheck
 * holds to the same bound) on contiguous, transposed, sliced, stepped, expanded and batched
 * operands, float32 and float64, odd sizes and empty dimensions; the size-based routing; and the
 * delegation of every other primitive.
 */
class BlasBackendTest {
    static final Cblas BLAS = Cblas.get();
    static final Backend JAVA = BlasBackend.javaBackend();
    /** Every float matmul in BLAS, whatever its size, so small cases test the native path too. */
    static final BlasBackend FORCED = new BlasBackend(BLAS, JAVA, BlasBackend.MatmulPath.BLAS, 0);
    static final BlasBackend AUTO = new BlasBackend(BLAS, JAVA, BlasBackend.MatmulPath.AUTO, BlasBackend.DEFAULT_CROSSOVER);

    static Tensor randn(long seed, DType dt, int... shape) {
        return Tensor.randn(new Generator(seed), shape).to(dt);
    }

    /** A case: a name, and operands built in the given dtype. */
    record Case(String name, Function<DType, Tensor> a, Function<DType, Tensor> b) {
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(new Case("64 x 64 @ 64 x 64", d -> randn(1, d, 64, 64), d -> randn(2, d, 64, 64)));
        c.add(new Case("odd 33 x 17 @ 17 x 129", d -> randn(3, d, 33, 17), d -> randn(4, d, 17, 129)));
        c.add(new Case("M = 1", d -> randn(5, d, 1, 300), d -> randn(6, d, 300, 77)));
        c.add(new Case("N = 1", d -> randn(7, d, 300, 200), d -> randn(8, d, 200, 1)));
        c.add(new Case("K = 1", d -> randn(9, d, 50, 1), d -> randn(10, d, 1, 60)));
        c.add(new Case("K = 0", d -> randn(11, d, 5, 0), d -> randn(12, d, 0, 7)));
        c.add(new Case("M = 0", d -> randn(13, d, 0, 5), d -> randn(14, d, 5, 7)));
        c.add(new Case("N = 0", d -> randn(15, d, 4, 5), d -> randn(16, d, 5, 0)));
        c.add(new Case("vector @ matrix", d -> randn(17, d, 70), d -> randn(18, d, 70, 90)));
        c.add(new Case("matrix @ vector", d -> randn(19, d, 90, 70), d -> randn(20, d, 70)));
        c.add(new Case("A transposed", d -> randn(21, d, 130, 70).t(), d -> randn(22, d, 130, 90)));
        c.add(new Case("B transposed", d -> randn(23, d, 70, 130), d -> randn(24, d, 90, 130).t()));
        c.add(new Case("both transposed", d -> randn(25, d, 130, 70).t(), d -> randn(26, d, 90, 130).t()));
        c.add(new Case("A column window (lda > K)", d -> randn(27, d, 80, 200).narrow(1, 13, 100), d -> randn(28, d, 100, 60)));
        c.add(new Case("B row window of a transposed", d -> randn(29, d, 80, 100), d -> randn(30, d, 200, 100).narrow(0, 7, 150).t()
                .narrow(1, 0, 150)));
        c.add(new Case("A stepped in both dims (copied)", d -> randn(31, d, 161, 201).slice(0, 0, 161, 2).slice(1, 0, 201, 2),
                d -> randn(32, d, 101, 40)));
        c.add(new Case("B stepped columns (copied)", d -> randn(33, d, 40, 64), d -> randn(34, d, 64, 150).slice(1, 1, 150, 3)));
        c.add(new Case("B expanded rows, stride 0 (copied)", d -> randn(35, d, 50, 64), d -> randn(36, d, 1, 70).expand(64, 70)));
        c.add(new Case("A expanded columns, stride 0 (copied)", d -> randn(37, d, 50, 1).expand(50, 64), d -> randn(38, d, 64, 70)));
        c.add(new Case("batched 3 x [40 x 50] @ [50 x 60]", d -> randn(39, d, 3, 40, 50), d -> randn(40, d, 3, 50, 60)));
        c.add(new Case("broadcast batch [4, 1] vs [3]", d -> randn(41, d, 4, 1, 30, 40), d -> randn(42, d, 3, 40, 20)));
        c.add(new Case("batched, expanded B (stride 0 batch)", d -> randn(43, d, 5, 30, 40), d -> randn(44, d, 1, 40, 20).expand(5, 40, 20)));
        c.add(new Case("batched, broadcast B with stepped columns (copied once)", d -> randn(57, d, 4, 30, 64),
                d -> randn(58, d, 1, 64, 150).slice(2, 0, 150, 3).expand(4, 64, 50)));
        c.add(new Case("batched, A stepped per batch (copied per batch)", d -> randn(59, d, 3, 61, 40).slice(1, 0, 61, 2),
                d -> randn(60, d, 3, 40, 20)));
        c.add(new Case("batched, each A transposed", d -> randn(45, d, 3, 50, 40).transpose(1, 2), d -> randn(46, d, 3, 50, 30)));
        c.add(new Case("permuted batch dim", d -> randn(47, d, 40, 3, 50).permute(1, 0, 2), d -> randn(48, d, 3, 50, 30)));
        c.add(new Case("batch folded into rows [2, 150, 257] @ [257, 129]", d -> randn(49, d, 2, 150, 257), d -> randn(50, d, 257, 129)));
        c.add(new Case("rank 5 batch", d -> randn(51, d, 2, 1, 3, 9, 11), d -> randn(52, d, 2, 3, 11, 13)));
        c.add(new Case("256 x 256 x 256", d -> randn(53, d, 256, 256), d -> randn(54, d, 256, 256)));
        c.add(new Case("tall skinny 1000 x 3 @ 3 x 1000", d -> randn(55, d, 1000, 3), d -> randn(56, d, 3, 1000)));
        return c;
    }

    static Stream<Arguments> casesByDtype() {
        return cases().stream().flatMap(c -> Stream.of(
                Arguments.of(c.name() + " float32", c, DType.FLOAT32),
                Arguments.of(c.name() + " float64", c, DType.FLOAT64)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("casesByDtype")
    void matchesTheReferenceOnEveryPath(String name, Case c, DType dt) {
        Tensor a = c.a().apply(dt);
        Tensor b = c.b().apply(dt);
        long before = BLAS.nativeCalls();
        Tensor forced = Backends.with(FORCED, () -> a.matmul(b));
        long calls = BLAS.nativeCalls() - before;
        assertEquals(dt, forced.dtype());
        assertProduct(name + " (blas forced)", a, b, forced);
        assertProduct(name + " (blas auto)", a, b, Backends.with(AUTO, () -> a.matmul(b)));
        assertProduct(name + " (" + JAVA.name() + ")", a, b, Backends.with(JAVA, () -> a.matmul(b)));
        int m = a.dim() == 1 ? 1 : a.shape()[a.dim() - 2];
        int k = a.shape()[a.dim() - 1];
        int n = b.dim() == 1 ? 1 : b.shape()[b.dim() - 1];
        if (m > 0 && n > 0 && k > 0) {
            assertTrue(calls >= 1, name + ": the forced path made no BLAS call");
        } else {
            assertEquals(0, calls, name + ": an empty product needs no BLAS call");
        }
    }

    @Test
    void kZeroGivesZerosEvenOverGarbage() {
        Tensor a = Tensor.zeros(DType.FLOAT32, 1, 3, 0);
        Tensor b = Tensor.zeros(DType.FLOAT32, 1, 0, 4);
        Tensor out = Tensor.full(Float.NaN, DType.FLOAT32, 1, 3, 4);
        FORCED.matmul(a, b, out);
        assertArrayEquals(new float[12], out.toFloatArray());
    }

    @Test
    void autoRoutesByTheMeasuredRule() {
        assertTrue(!AUTO.usesBlas(2, 2, 2), "below the crossover");
        assertTrue(AUTO.usesBlas(4, 4, 4));
        assertTrue(AUTO.auto(1, 1024, 1024, 1024, 2));
        assertTrue(!AUTO.auto(1, 512, 512, 16, 2), "thin inner dimension: Java");
        assertTrue(AUTO.auto(1, 512, 512, 64, 2));
        assertTrue(!AUTO.auto(96, 128, 128, 64, 2), "a batch of mid-size products: Java runs them in parallel");
        assertTrue(AUTO.auto(96, 128, 128, 64, 1), "... unless there is one thread");
        assertTrue(AUTO.auto(64, 32, 32, 32, 2), "a batch of small products: single-threaded BLAS calls win");
        assertTrue(AUTO.auto(4, 512, 512, 512, 2), "a batch of big products");
        assertTrue(!AUTO.auto(1, 1, 1024, 1024, 1), "one thread, one row against a big B: Java");
        assertTrue(AUTO.auto(1, 1, 1024, 1024, 2));
        assertTrue(AUTO.auto(1, 1024, 1, 1024, 1), "matrix @ vector: BLAS");
        long before = BLAS.nativeCalls();
        Tensor tiny = randn(60, DType.FLOAT64, 2, 2);
        Backends.with(AUTO, () -> tiny.matmul(tiny));
        assertEquals(before, BLAS.nativeCalls(), "2^3 stays in Java");
        Tensor big = randn(61, DType.FLOAT64, 128, 128);
        Backends.with(AUTO, () -> big.matmul(big));
        assertEquals(before + 1, BLAS.nativeCalls(), "float64 128^3 goes to BLAS");
        Tensor big32 = randn(62, DType.FLOAT32, 128, 128);
        Backends.with(AUTO, () -> big32.matmul(big32));
        boolean simd = JAVA.name().equals("java-simd");
        assertEquals(before + (simd ? 1 : 2), BLAS.nativeCalls(),
                simd ? "float32 stays in the Vector API SGEMM, which matches OpenBLAS" : "float32 goes to BLAS without the Vector API");
        before = BLAS.nativeCalls();
        BlasBackend java = new BlasBackend(BLAS, JAVA, BlasBackend.MatmulPath.JAVA, 0);
        Backends.with(java, () -> big.matmul(big));
        assertEquals(before, BLAS.nativeCalls(), "-Dgraft.matmul=java keeps everything in Java");
    }

    @Test
    void operandLayouts() {
        assertEquals(new BlasBackend.Operand(false, 7), BlasBackend.Operand.of(3, 5, 7, 1), "row-major, padded rows");
        assertEquals(new BlasBackend.Operand(true, 3), BlasBackend.Operand.of(3, 5, 1, 3), "column-major = transposed");
        assertEquals(new BlasBackend.Operand(false, 5), BlasBackend.Operand.of(1, 5, 0, 1), "one row: row stride unused");
        assertEquals(new BlasBackend.Operand(false, 1), BlasBackend.Operand.of(4, 1, 1, 0), "one column: column stride unused");
        assertEquals(new BlasBackend.Operand(true, 3), BlasBackend.Operand.of(1, 5, 0, 3), "a strided row is a transposed column");
        assertNull(BlasBackend.Operand.of(3, 5, 10, 2), "steps in both dims");
        assertNull(BlasBackend.Operand.of(3, 5, 0, 1), "expanded rows overlap");
        assertNull(BlasBackend.Operand.of(3, 5, 4, 1), "rows overlap (ld < cols)");
        assertNull(BlasBackend.Operand.of(3, 5, -5, 1), "negative row stride");
    }

    @Test
    void everyOtherPrimitiveIsTheJavaBackends() {
        Tensor x = randn(70, DType.FLOAT32, 7, 33);
        Tensor viaBlas = Backends.with(FORCED, () -> x.softmax(1).add(x.exp()).sum(0).cumsum(0));
        Tensor viaJava = Backends.with(JAVA, () -> x.softmax(1).add(x.exp()).sum(0).cumsum(0));
        assertArrayEquals(viaJava.toFloatArray(), viaBlas.toFloatArray(), "bit-identical: same Java kernels");
    }

    @Test
    void isRegisteredAndSelectedFirst() {
        List<String> names = Backends.available().stream().map(Backend::name).toList();
        assertEquals("blas", names.get(0), names.toString());
        assertEquals("blas", Backends.current().name());
        String report = Backends.report();
        for (String s : new String[] {"blas", "priority 200", "library:", "core:", "matmul:", "cuda:", BLAS.location()}) {
            assertTrue(report.contains(s), "doctor report lacks '" + s + "':\n" + report);
        }
    }
}
