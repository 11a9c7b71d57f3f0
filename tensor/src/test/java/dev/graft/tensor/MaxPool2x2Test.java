package dev.graft.tensor;

import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The direct 2 x 2 / stride 2 max pooling kernel (float32) against the definition, bit for bit:
 * odd heights and widths (the last row or column is dropped), rows shorter than a vector and rows
 * with a vector tail, ties (the first maximum wins), NaN (the first NaN wins), infinities, and
 * non-contiguous inputs. The float64 path (im2col + max) must agree too. Also col2im/im2col into
 * views with an offset (the per-sample convolution writes one sample of a batch at a time).
 */
class MaxPool2x2Test {
    static final int[][] SIZES = {{1, 1, 2, 2}, {2, 3, 5, 7}, {1, 2, 14, 14}, {1, 1, 3, 33}, {2, 1, 28, 28}, {1, 1, 2, 35},
        {1, 1, 4, 64}, {3, 2, 9, 17}};

    /** Small integers (many ties), with NaN and infinities sprinkled in. */
    static float[] values(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            int r = rnd.nextInt(40);
            v[i] = r == 0 ? Float.NaN : r == 1 ? Float.NEGATIVE_INFINITY : r == 2 ? Float.POSITIVE_INFINITY : rnd.nextInt(5) - 2;
        }
        return v;
    }

    /** The definition: positions (0,0), (0,1), (1,0), (1,1); strictly greater or NaN replaces; nothing replaces NaN. */
    static float[] reference(float[] x, int[] s) {
        int oh = s[2] / 2;
        int ow = s[3] / 2;
        float[] out = new float[s[0] * s[1] * oh * ow];
        int o = 0;
        for (int p = 0; p < s[0] * s[1]; p++) {
            for (int y = 0; y < oh; y++) {
                for (int xx = 0; xx < ow; xx++, o++) {
                    int base = p * s[2] * s[3] + 2 * y * s[3] + 2 * xx;
                    float[] win = {x[base], x[base + 1], x[base + s[3]], x[base + s[3] + 1]};
                    float best = win[0];
                    for (int j = 1; j < 4 && !Float.isNaN(best); j++) {
                        if (Float.isNaN(win[j]) || win[j] > best) {
                            best = win[j];
                        }
                    }
                    out[o] = best;
                }
            }
        }
        return out;
    }

    @Test
    void matchesDefinitionBitForBit() {
        Random rnd = new Random(2);
        for (int[] s : SIZES) {
            float[] v = values(rnd, s[0] * s[1] * s[2] * s[3]);
            Tensor x = Tensor.fromArray(v, s);
            float[] want = reference(v, s);
            String what = Arrays.toString(s);
            assertBits(want, x.maxPool2d(2), what);
            assertBits(want, x.to(DType.FLOAT64).maxPool2d(2).to(DType.FLOAT32), what + " float64 path");
            // a non-contiguous view of the same values: [N, C, W, H] transposed back
            Tensor xt = Tensor.fromArray(v, s).transpose(2, 3).contiguous().transpose(2, 3);
            assertBits(want, xt.maxPool2d(2), what + " transposed view");
            if (s[0] == 1) {
                assertBits(want, x.squeeze(0).maxPool2d(2), what + " unbatched");
            }
        }
    }

    private static void assertBits(float[] want, Tensor got, String what) {
        float[] g = got.toFloatArray();
        assertEquals(want.length, g.length, what);
        for (int i = 0; i < want.length; i++) {
            int wi = i;
            assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(g[i]), () -> what + " at " + wi + ": " + want[wi] + " vs " + g[wi]);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.graft.tensor.TestSupport#backends")
    void foldAndUnfoldIntoOffsetViews(Backend backend) {
        Random rnd = new Random(5);
        // kh, kw, sh, sw, ph, pw, dh, dw; widths 37 and 5 give a vector part and a tail, or a tail only
        // the first, fourth and fifth keep the width (one run per kernel tap in the SIMD backend)
        int[][] geos = {{3, 3, 1, 1, 1, 1, 1, 1}, {2, 3, 2, 2, 0, 1, 1, 2}, {3, 1, 1, 1, 2, 0, 1, 1}, {3, 3, 1, 1, 2, 2, 2, 2},
            {5, 5, 1, 1, 2, 2, 1, 1}};
        Backends.with(backend, () -> {
            for (int[] g : geos) {
                for (int w : new int[] {5, 37}) {
                    int h = 6;
                    int oh = Convolution.outSize("t", h, g[0], g[2], g[4], g[6], "h");
                    int ow = Convolution.outSize("t", w, g[1], g[3], g[5], g[7], "w");
                    float[] xv = new float[3 * 2 * h * w];
                    for (int i = 0; i < xv.length; i++) {
                        xv[i] = (float) rnd.nextGaussian();
                    }
                    Tensor x = Tensor.fromArray(xv, 3, 2, h, w);
                    Tensor whole = Tensor.empty(DType.FLOAT32, 3, 2, g[0] * g[1], oh, ow);
                    Backends.current().unfold2d(x, g, 0.0, whole);
                    Tensor one = Tensor.empty(DType.FLOAT32, 3, 2, g[0] * g[1], oh, ow);
                    Backends.current().unfold2d(x.narrow(0, 1, 1), g, 0.0, one.narrow(0, 1, 1));
                    String what = Arrays.toString(g) + " w " + w;
                    assertArrayEquals(whole.narrow(0, 1, 1).toFloatArray(), one.narrow(0, 1, 1).toFloatArray(), what + " unfold2d");
                    assertArrayEquals(new float[one.narrow(0, 0, 1).numel()], one.narrow(0, 0, 1).toFloatArray(), what + " unfold2d");
                    Tensor folded = Tensor.zeros(DType.FLOAT32, 3, 2, h, w);
                    Backends.current().fold2d(whole, g, folded);
                    Tensor part = Tensor.zeros(DType.FLOAT32, 3, 2, h, w);
                    Backends.current().fold2d(whole.narrow(0, 2, 1), g, part.narrow(0, 2, 1));
                    assertArrayEquals(folded.narrow(0, 2, 1).toFloatArray(), part.narrow(0, 2, 1).toFloatArray(), what + " fold2d");
                    assertArrayEquals(new float[2 * 2 * h * w], part.narrow(0, 0, 2).toFloatArray(), what + " fold2d leaves other samples");
                    // fold2d against its definition, accumulated in float64 (at most kh * kw terms per element)
                    double[] want = new double[3 * 2 * h * w];
                    float[] cv = whole.toFloatArray();
                    int i = 0;
                    for (int p = 0; p < 6; p++) {
                        for (int ki = 0; ki < g[0]; ki++) {
                            for (int kj = 0; kj < g[1]; kj++) {
                                for (int y = 0; y < oh; y++) {
                                    for (int xx = 0; xx < ow; xx++, i++) {
                                        int iy = y * g[2] - g[4] + ki * g[6];
                                        int ix = xx * g[3] - g[5] + kj * g[7];
                                        if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                            want[p * h * w + iy * w + ix] += cv[i];
                                        }
                                    }
                                }
                            }
                        }
                    }
                    float[] got = folded.toFloatArray();
                    for (int j = 0; j < got.length; j++) {
                        assertEquals(want[j], got[j], 1e-6 * (1 + Math.abs(want[j])), what + " fold2d at " + j);
                    }
                }
            }
        });
    }
}
