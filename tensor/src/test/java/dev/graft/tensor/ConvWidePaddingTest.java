package dev.graft.tensor;

import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Padding wider than the output (a kernel tap whose every output column lies in the padding):
 * found by the ONNX suite's pytorch-converted Conv1d_pad2size1 (length 1, kernel 5, pad 2), where
 * the SIMD im2col indexed before the input row. Checked against a float64 direct convolution.
 */
class ConvWidePaddingTest {

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void paddingWiderThanTheOutputMatchesADirectConvolution(Backend backend) {
        int[][] cases = { // h, w, kh, kw, ph, pw, sh, sw, dh, dw
            {1, 1, 1, 5, 0, 2, 1, 1, 1, 1},
            {1, 2, 1, 7, 0, 3, 1, 1, 1, 1},
            {3, 1, 5, 5, 2, 2, 1, 1, 1, 1},
            {2, 3, 3, 3, 4, 5, 2, 3, 1, 1},
            {1, 1, 3, 3, 3, 3, 1, 1, 2, 2},
        };
        java.util.Random rnd = new java.util.Random(5);
        for (int[] c : cases) {
            Backends.with(backend, () -> {
                int n = 2, cin = 2, cout = 3;
                double[] xv = rnd.doubles((long) n * cin * c[0] * c[1], -1, 1).toArray();
                double[] wv = rnd.doubles((long) cout * cin * c[2] * c[3], -1, 1).toArray();
                Tensor x = Tensor.fromArray(xv, n, cin, c[0], c[1]).to(DType.FLOAT32);
                Tensor w = Tensor.fromArray(wv, cout, cin, c[2], c[3]).to(DType.FLOAT32);
                Tensor y = x.conv2d(w, null, new int[] {c[6], c[7]}, new int[] {c[4], c[5]}, new int[] {c[8], c[9]}, 1);
                int oh = (c[0] + 2 * c[4] - c[8] * (c[2] - 1) - 1) / c[6] + 1;
                int ow = (c[1] + 2 * c[5] - c[9] * (c[3] - 1) - 1) / c[7] + 1;
                assertEquals(java.util.List.of(n, cout, oh, ow), java.util.Arrays.stream(y.shape()).boxed().toList());
                for (int b = 0; b < n; b++) {
                    for (int o = 0; o < cout; o++) {
                        for (int i = 0; i < oh; i++) {
                            for (int j = 0; j < ow; j++) {
                                double s = 0;
                                for (int ci = 0; ci < cin; ci++) {
                                    for (int ki = 0; ki < c[2]; ki++) {
                                        for (int kj = 0; kj < c[3]; kj++) {
                                            int iy = i * c[6] - c[4] + ki * c[8];
                                            int ix = j * c[7] - c[5] + kj * c[9];
                                            if (iy >= 0 && iy < c[0] && ix >= 0 && ix < c[1]) {
                                                s += (float) xv[((b * cin + ci) * c[0] + iy) * c[1] + ix]
                                                        * (double) (float) wv[((o * cin + ci) * c[2] + ki) * c[3] + kj];
                                            }
                                        }
                                    }
                                }
                                assertEquals(s, y.get(b, o, i, j), 1e-5, java.util.Arrays.toString(c) + " at " + b + "," + o + "," + i + "," + j);
                            }
                        }
                    }
                }
            });
        }
    }
}
