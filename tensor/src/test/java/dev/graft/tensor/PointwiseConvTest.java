package dev.graft.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The opt-in in-place 1 x 1 path (-Dgraft.conv.pointwise=true) gives what im2col + GEMM gives. */
class PointwiseConvTest {
    private static float[][] run(Tensor x, Tensor w, Tensor b) {
        Tensor y = x.conv2d(w, b, 1, 0);
        return new float[][] {y.toFloatArray()};
    }

    @Test
    void inPlacePathMatchesIm2col() {
        Generator g = new Generator(5);
        for (int[] s : new int[][] {{3, 4, 5, 7, 6}, {1, 16, 9, 9, 8}, {2, 3, 1, 17, 5}}) {
            Tensor x = Tensor.randn(g, s[0], s[1], s[2], s[3]);
            Tensor w = Tensor.randn(g, s[4], s[1], 1, 1);
            Tensor b = Tensor.randn(g, s[4]);
            float[] ref = run(x, w, b)[0];
            System.setProperty("graft.conv.pointwise", "true");
            try {
                assertArrayEquals(ref, run(x, w, b)[0], 1e-4f);
            } finally {
                System.clearProperty("graft.conv.pointwise");
            }
        }
    }
}
