package dev.graft.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Corners where PyTorch's behaviour is easy to get wrong: result dtypes, exact printing, refusals. */
class TorchParityTest {
    @Test
    void integerPowerStaysInteger() {
        Tensor t = Tensor.fromArray(new long[] {3, -2, 0});
        Tensor p = t.pow(2);
        assertEquals(DType.INT64, p.dtype(), "torch.tensor([3]) ** 2 is int64");
        assertArrayEquals(new long[] {9, 4, 0}, p.toLongArray());
        assertEquals(DType.FLOAT32, t.pow(0.5).dtype(), "a fractional power promotes");
        assertEquals(DType.FLOAT32, t.pow(-1).dtype(), "a negative power promotes");
    }

    @Test
    void clampWithFractionalBoundsPromotesIntegers() {
        Tensor t = Tensor.fromArray(new long[] {0, 5});
        Tensor c = t.clamp(0.5, 2.5);
        assertEquals(DType.FLOAT32, c.dtype());
        assertArrayEquals(new float[] {0.5f, 2.5f}, c.toFloatArray(), 0);
        Tensor w = t.clamp(1, 3);
        assertEquals(DType.INT64, w.dtype(), "whole bounds keep the integer dtype");
        assertArrayEquals(new long[] {1, 3}, w.toLongArray());
    }

    @Test
    void int64PrintsExactlyBeyond2To53() {
        long big = (1L << 53) + 1;
        assertTrue(Tensor.fromArray(new long[] {big}).toString().contains(Long.toString(big)));
    }

    @Test
    void nullArgumentsAreNamedErrorsNotNullPointerExceptions() {
        Tensor t = Tensor.ones(2, 2);
        assertMessage(() -> t.add((Tensor) null), "add");
        assertMessage(() -> t.matmul(null), "matmul");
        assertMessage(() -> Tensor.where(null, t, t), "where");
        assertMessage(() -> t.conv2d(null, null, 1, 0), "conv2d");
        assertMessage(() -> t.pad(null, PadMode.CONSTANT, 0), "pad");
        assertMessage(() -> t.pad(new int[] {1, 1}, null, 0), "pad");
        assertMessage(() -> Tensor.concat(0, t, null), "concat");
        assertMessage(() -> t.reshape((int[]) null), "reshape");
        assertMessage(() -> t.permute((int[]) null), "permute");
        assertMessage(() -> t.sum(null, false), "sum");
        assertMessage(() -> t.to((DType) null), "to");
        assertMessage(() -> t.to((Device) null), "to");
        assertMessage(() -> t.gather(0, null), "gather");
    }

    @Test
    void refusalsPyTorchAlsoMakes() {
        assertThrows(IllegalArgumentException.class, () -> Tensor.normal(new Generator(1), 0, -1, DType.FLOAT32, 3));
        assertThrows(IllegalArgumentException.class, () -> Tensor.arange(0, 1, -1, DType.FLOAT32));
        Tensor x = Tensor.zeros(3);
        assertThrows(TensorTypeException.class, () -> x.scatterAdd(0, Tensor.fromArray(new long[] {0}), Tensor.fromArray(new long[] {1})));
        assertThrows(TensorTypeException.class,
                () -> Tensor.ones(1, 1, 3, 3).conv2d(Tensor.ones(DType.FLOAT64, 1, 1, 1, 1), null, 1, 0));
        TensorShapeException e = assertThrows(TensorShapeException.class,
                () -> Tensor.ones(1, 2, 5).conv1d(Tensor.ones(1, 3, 3), null, 1, 0, 1, 1));
        assertTrue(e.getMessage().startsWith("conv1d:") && e.getMessage().contains("[1, 2, 5]"), e.getMessage());
    }

    @Test
    void oneDimensionalPoolingErrorsSpeakOneDimensional() {
        TensorShapeException e = assertThrows(TensorShapeException.class, () -> Tensor.ones(1, 2, 3).maxPool1d(5, 1, 0, 1));
        assertTrue(e.getMessage().startsWith("maxPool1d:") && e.getMessage().contains("length 3"), e.getMessage());
        IllegalArgumentException s = assertThrows(IllegalArgumentException.class, () -> Tensor.ones(1, 2, 8).avgPool1d(2, 0, 0, true));
        assertTrue(s.getMessage().startsWith("avgPool1d:"), s.getMessage());
        assertEquals(4, Tensor.ones(1, 2, 8).maxPool1d(2, 2, 0, 1).size(-1));
    }

    private static void assertMessage(Runnable r, String op) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage() != null && e.getMessage().startsWith(op), "message names " + op + ": " + e.getMessage());
    }
}
