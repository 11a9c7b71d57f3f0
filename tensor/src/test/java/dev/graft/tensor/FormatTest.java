package dev.graft.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** toString: NumPy/PyTorch-like nesting, alignment, summarisation, dtype suffix. */
class FormatTest {

    @Test
    void smallTensorsPrintNestedBrackets() {
        assertEquals("tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]])",
                Tensor.fromArray(new float[] {1, 2, 3, 4}, 2, 2).toString());
        assertEquals("tensor([[[0.0000, 1.0000],\n         [2.0000, 3.0000]],\n\n        [[4.0000, 5.0000],\n         [6.0000, 7.0000]]])",
                Tensor.arange(0, 8, 1, DType.FLOAT32).reshape(2, 2, 2).toString());
        assertEquals("tensor([-1.5000,  2.0000])", Tensor.fromArray(new float[] {-1.5f, 2}).toString(), "columns align");
        assertEquals("tensor([1, 2, 3])", Tensor.arange(1, 4, 1, DType.INT64).toString());
        assertEquals("tensor([ True, False])", Tensor.fromArray(new boolean[] {true, false}).toString());
        assertEquals("tensor([0.5000], dtype=float64)", Tensor.fromArray(new double[] {0.5}, 1).toString());
        assertEquals("tensor([7, 8], dtype=int32)", Tensor.fromArray(new int[] {7, 8}).toString());
        assertEquals("tensor(3.5000)", Tensor.scalar(3.5).toString());
        assertEquals("tensor([])", Tensor.zeros(0).toString());
        assertEquals("tensor([], shape=[2, 0])", Tensor.zeros(2, 0).toString());
        assertEquals("tensor([1.0000e-05, 1.0000e+00])", Tensor.fromArray(new float[] {1e-5f, 1}).toString(), "scientific when needed");
        String special = Tensor.fromArray(new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}).toString();
        assertTrue(special.contains("nan") && special.contains("-inf"), special);
        // a view prints its logical elements
        assertEquals("tensor([[1.0000, 3.0000],\n        [2.0000, 4.0000]])",
                Tensor.fromArray(new float[] {1, 2, 3, 4}, 2, 2).t().toString());
        String half = Tensor.fromStorage(Storage.wrap(DType.FLOAT16, new short[] {0x3C00}), new int[] {1}, "t").toString();
        assertEquals("tensor([1.0000], dtype=float16)", half, "a storage dtype is named");
    }

    @Test
    void largeTensorsAreSummarised() {
        assertEquals("tensor([   0.0000,    1.0000,    2.0000, ..., 1997.0000, 1998.0000, 1999.0000])",
                Tensor.arange(0, 2000, 1, DType.FLOAT32).toString());
        String m = Tensor.zeros(100, 100).toString();
        assertTrue(m.contains("..."), m);
        assertTrue(m.length() < 1000, "a 100x100 tensor prints a summary, got " + m.length() + " characters");
        assertEquals(7, m.split("\n").length, "three rows, an ellipsis row, three rows: " + m);
        assertTrue(m.startsWith("tensor([[0.0000, 0.0000, 0.0000, ..., 0.0000, 0.0000, 0.0000],"), m);
        // exactly 1000 elements print in full
        assertTrue(!Tensor.zeros(1000).toString().contains("..."));
    }
}
