package dev.graft.autograd;

import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The float32 CPU fast paths of backward rules against their definitions or the float64 path:
 * ReLU's fused mask (exact), the direct 2 x 2 max pooling gradient (exact: a gradient lands on one
 * position per window, the same position the float64 path picks), and the per-sample convolution
 * gradients (float32 against float64, per element within 1e-5 + K 2^-24 sum|terms| with K the
 * length of the sums: for the weight, N * OH * OW; for the input, O * kh * kw).
 */
class FastPathGradTest {

    @Test
    void reluGradientIsTheMaskedUpstreamGradient() {
        Random rnd = new Random(3);
        for (int n : new int[] {1, 17, 16384 + 5, 3 * 16384}) {
            float[] xv = new float[n];
            float[] gv = new float[n];
            for (int i = 0; i < n; i++) {
                int r = rnd.nextInt(10);
                xv[i] = r == 0 ? 0f : r == 1 ? Float.NaN : r == 2 ? -0f : (float) rnd.nextGaussian();
                gv[i] = (float) rnd.nextGaussian();
            }
            for (boolean transposed : new boolean[] {false, true}) {
                Tensor x = transposed && n % 17 == 0 && n > 17
                        ? Tensor.fromArray(xv, 17, n / 17).t().contiguous().t().requiresGrad(true)
                        : Tensor.fromArray(xv, n).requiresGrad(true);
                Tensor g = Tensor.fromArray(gv, x.shape());
                x.relu().backward(g);
                float[] got = x.grad().toFloatArray();
                for (int i = 0; i < n; i++) {
                    float want = xv[i] > 0 ? gv[i] : 0f;
                    int at = i;
                    assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[i]), () -> "relu grad at " + at);
                }
            }
        }
    }

    @Test
    void maxPool2x2GradientMatchesFloat64Path() {
        Random rnd = new Random(4);
        int[][] sizes = {{2, 3, 5, 7}, {1, 2, 14, 14}, {2, 1, 28, 28}, {1, 1, 3, 35}, {1, 2, 4, 4}};
        for (int[] s : sizes) {
            int n = s[0] * s[1] * s[2] * s[3];
            float[] xv = new float[n];
            for (int i = 0; i < n; i++) {
                xv[i] = rnd.nextInt(4); // many ties: the first maximum of each window takes the gradient
            }
            Tensor x32 = Tensor.fromArray(xv, s).requiresGrad(true);
            Tensor x64 = Tensor.fromArray(xv, s).to(DType.FLOAT64).detach().requiresGrad(true);
            Tensor y32 = x32.maxPool2d(2);
            Tensor g = Tensor.randn(new Generator(s[3]), y32.shape());
            y32.backward(g);
            x64.maxPool2d(2).backward(g.to(DType.FLOAT64));
            float[] got = x32.grad().toFloatArray();
            double[] want = x64.grad().toDoubleArray();
            for (int i = 0; i < n; i++) {
                assertEquals((float) want[i], got[i], 0f, Arrays.toString(s) + " at " + i);
            }
        }
        // unbatched
        Tensor x = Tensor.fromArray(new float[] {1, 5, 2, 0, 3, 4, 9, 9, 7, 7, 8, 8}, 1, 2, 6).requiresGrad(true);
        x.maxPool2d(2).backward(Tensor.fromArray(new float[] {10, 20, 30}, 1, 1, 3));
        assertEquals(Arrays.toString(new float[] {0, 0, 0, 0, 0, 0, 10, 0, 20, 0, 30, 0}), Arrays.toString(x.grad().toFloatArray()));
    }

    @Test
    void convolutionGradientsMatchFloat64() {
        Generator gen = new Generator(9);
        // n, c, h, w, o, kh, kw, stride, padding, dilation, groups; batches of 1 and of more than the 8 weight chunks;
        // depthwise (groups = c, multipliers 1 and 2, widths with vector tails) and 1x1 (no im2col at stride 1)
        int[][] cases = {{11, 3, 9, 13, 5, 3, 3, 1, 1, 1, 1}, {1, 2, 7, 6, 4, 3, 2, 2, 0, 1, 1}, {9, 4, 8, 21, 3, 3, 3, 1, 2, 2, 1},
            {3, 1, 28, 28, 8, 3, 3, 1, 1, 1, 1}, {5, 3, 9, 37, 3, 3, 3, 1, 1, 1, 3}, {1, 4, 11, 19, 8, 3, 3, 2, 1, 1, 4},
            {2, 2, 10, 23, 4, 5, 3, 1, 2, 2, 2}, {5, 6, 7, 33, 5, 1, 1, 1, 0, 1, 1}, {1, 3, 5, 9, 4, 1, 1, 2, 0, 1, 1}};
        for (int[] c : cases) {
            for (int which = 0; which < 3; which++) { // both, input only, weight only
                Tensor x = Tensor.randn(gen, c[0], c[1], c[2], c[3]);
                Tensor w = Tensor.randn(gen, c[4], c[1] / c[10], c[5], c[6]);
                Tensor b = Tensor.randn(gen, c[4]);
                Tensor x32 = x.detach().requiresGrad(which != 2);
                Tensor w32 = w.detach().requiresGrad(which != 1);
                Tensor b32 = b.detach().requiresGrad(true);
                Tensor x64 = x.to(DType.FLOAT64).detach().requiresGrad(which != 2);
                Tensor w64 = w.to(DType.FLOAT64).detach().requiresGrad(which != 1);
                Tensor b64 = b.to(DType.FLOAT64).detach().requiresGrad(true);
                int[] st = {c[7], c[7]};
                int[] pd = {c[8], c[8]};
                int[] dl = {c[9], c[9]};
                Tensor y32 = x32.conv2d(w32, b32, st, pd, dl, c[10]);
                Tensor g = Tensor.randn(gen, y32.shape());
                y32.backward(g);
                x64.conv2d(w64, b64, st, pd, dl, c[10]).backward(g.to(DType.FLOAT64));
                int l = y32.size(2) * y32.size(3);
                String what = Arrays.toString(c) + " grads " + which;
                // |terms| <= |g| |x| or |g| |w| with values of a few units; 1e-5 + K 2^-24 * 40 covers K sums of such terms
                if (which != 2) {
                    close(x64.grad(), x32.grad(), c[4] / c[10] * c[5] * c[6], what + " input");
                } else {
                    assertTrue(x32.grad() == null, what);
                }
                if (which != 1) {
                    close(w64.grad(), w32.grad(), c[0] * l, what + " weight");
                }
                close(b64.grad(), b32.grad(), c[0] * l, what + " bias");
            }
        }
    }

    private static void close(Tensor want, Tensor got, int k, String what) {
        double[] wv = want.toDoubleArray();
        float[] gv = got.toFloatArray();
        assertEquals(wv.length, gv.length, what);
        double tol = 1e-5 + k * Math.pow(2, -24) * 40;
        for (int i = 0; i < wv.length; i++) {
            assertEquals(wv[i], gv[i], tol * (1 + Math.abs(wv[i])), what + " at " + i);
        }
    }
}
