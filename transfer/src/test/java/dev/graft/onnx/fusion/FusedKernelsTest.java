package dev.graft.onnx.fusion;

import dev.graft.tensor.Tensor;
import dev.graft.tensor.spi.Erf;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused ops' array loops against float64 references, at row widths that are and are not
 * multiples of the vector length (MiniLM's 384 and 1536 never reach the scalar tails), and the
 * scalar twins used when the Vector API module is absent.
 */
class FusedKernelsTest {
    private static final int[] WIDTHS = {1, 3, 7, 16, 37, 384, 389};

    private static float[] gaussian(Random r, int n, double scale, double shift) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * scale + shift);
        }
        return v;
    }

    @Test
    void layerNormMatchesFloat64() {
        Random r = new Random(1);
        for (int d : WIDTHS) {
            int rows = 5;
            float[] x = gaussian(r, rows * d, 3.0, 2.0);
            float[] g = gaussian(r, d, 1.0, 1.0);
            float[] b = gaussian(r, d, 0.5, 0.0);
            float eps = 1e-5f;
            float[] vec = new float[x.length];
            float[] sca = new float[x.length];
            FusedKernels.layerNormRows(x, vec, g, b, eps);
            FusedOps.layerNormRowsScalar(x, sca, g, b, eps);
            for (int row = 0; row < rows; row++) {
                double mean = 0;
                for (int i = 0; i < d; i++) {
                    mean += x[row * d + i];
                }
                mean /= d;
                double var = 0;
                for (int i = 0; i < d; i++) {
                    var += (x[row * d + i] - mean) * (x[row * d + i] - mean);
                }
                var /= d;
                for (int i = 0; i < d; i++) {
                    double want = (x[row * d + i] - mean) / Math.sqrt(var + eps) * g[i] + b[i];
                    double tol = 2e-6 * (1 + Math.abs(want)) + 2e-6 * Math.abs(g[i]);
                    assertEquals(want, vec[row * d + i], tol, "vector, width " + d);
                    assertEquals(want, sca[row * d + i], tol, "scalar, width " + d);
                }
            }
        }
    }

    @Test
    void biasAndBiasGeluMatchFloat64AndTensorGelu() {
        Random r = new Random(2);
        for (int n : WIDTHS) {
            int rows = 4;
            float[] x = gaussian(r, rows * n, 3.0, 0.0);
            float[] bias = gaussian(r, n, 1.0, 0.0);
            float[] added = x.clone();
            float[] addedScalar = x.clone();
            FusedKernels.addRowBias(added, bias);
            FusedOps.addRowBiasScalar(addedScalar, bias);
            float[] gelu = new float[x.length];
            FusedKernels.biasGelu(x, bias, gelu);
            float[] plain = new float[x.length];
            FusedKernels.biasGelu(x, null, plain);
            float[] graft = Tensor.fromArray(x, rows, n).gelu().toFloatArray();
            for (int i = 0; i < x.length; i++) {
                float s = x[i] + bias[i % n];
                assertEquals(s, added[i], 0f);
                assertEquals(s, addedScalar[i], 0f);
                double want = 0.5 * s * (1 + Erf.erf(s / Math.sqrt(2)));
                // Graft's float erf (Abramowitz-Stegun 7.1.26) is good to about 1.5e-7 absolute
                assertEquals(want, gelu[i], 1e-6 * (1 + Math.abs(want)), "width " + n);
                assertEquals(graft[i], plain[i], 1e-6f * (1 + Math.abs(graft[i])), "width " + n + " vs Tensor.gelu");
            }
        }
    }

    @Test
    void scaleMaskSoftmaxMatchesFloat64() {
        Random r = new Random(3);
        for (int n : WIDTHS) {
            for (int maskStride : new int[] {-1, 0, 1}) {
                int rows = 6;
                float[] s = gaussian(r, rows * n, 4.0, 0.0);
                float[] mask = gaussian(r, 2 * n, 1.0, 0.0);
                mask[n / 2] = -10000f;
                int[] offsets = new int[rows];
                for (int i = 0; i < rows; i++) {
                    offsets[i] = (i % 2) * n; // two mask rows, alternating
                }
                float[] got = s.clone();
                boolean multiply = n % 2 == 0;
                float c = multiply ? 0.125f : 8f;
                FusedKernels.scaleMaskSoftmax(got, n, c, multiply, maskStride < 0 ? null : mask, maskStride < 0 ? null : offsets,
                        Math.max(maskStride, 0));
                for (int row = 0; row < rows; row++) {
                    double[] z = new double[n];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        z[j] = multiply ? (double) s[row * n + j] * c : (double) s[row * n + j] / c;
                        if (maskStride >= 0) {
                            z[j] += mask[offsets[row] + j * maskStride];
                        }
                        max = Math.max(max, z[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < n; j++) {
                        z[j] = Math.exp(z[j] - max);
                        sum += z[j];
                    }
                    double total = 0;
                    for (int j = 0; j < n; j++) {
                        assertEquals(z[j] / sum, got[row * n + j], 2e-6, "width " + n + " mask stride " + maskStride);
                        total += got[row * n + j];
                    }
                    assertEquals(1.0, total, 1e-5);
                }
            }
        }
        // a row masked to -inf everywhere is NaN, as the unfused softmax gives
        float[] s = {1f, 2f, 3f};
        FusedKernels.scaleMaskSoftmax(s, 3, 1f, false, new float[] {Float.NEGATIVE_INFINITY}, new int[] {0}, 0);
        assertTrue(Float.isNaN(s[0]) && Float.isNaN(s[2]));
    }
}
