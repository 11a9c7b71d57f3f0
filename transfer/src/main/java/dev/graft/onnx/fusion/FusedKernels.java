package dev.graft.onnx.fusion;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The array loops of the fused ops' no-grad paths, with the Vector API. Only touched when the
 * {@code jdk.incubator.vector} module is present ({@link FusedOps} checks, and uses its scalar loops
 * otherwise): loading this class without the module would fail.
 */
final class FusedKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private FusedKernels() {
    }

    /** dst[r, j] += bias[j] for every row r of width bias.length. */
    static void addRowBias(float[] dst, float[] bias) {
        int n = bias.length;
        int bound = S.loopBound(n);
        for (int o = 0; o < dst.length; o += n) {
            int j = 0;
            for (; j < bound; j += S.length()) {
                FloatVector.fromArray(S, dst, o + j).add(FloatVector.fromArray(S, bias, j)).intoArray(dst, o + j);
            }
            for (; j < n; j++) {
                dst[o + j] += bias[j];
            }
        }
    }

    /**
     * The lanes of {@code v} added left to right. Not {@code reduceLanes(ADD)}: its order differs
     * between the interpreted fallback and the JIT intrinsic, so a row would round differently
     * before and after warm-up (docs/ARCHITECTURE.md, Determinism).
     */
    private static float laneSum(FloatVector v) {
        float[] lanes = v.toArray();
        float r = 0;
        for (float x : lanes) {
            r += x;
        }
        return r;
    }

    /** Row-wise (x - mean) / sqrt(var + eps) * g + b over rows of width g.length (biased variance). */
    static void layerNormRows(float[] src, float[] dst, float[] g, float[] b, float eps) {
        int d = g.length;
        int bound = S.loopBound(d);
        for (int o = 0; o < src.length; o += d) {
            FloatVector acc = FloatVector.zero(S);
            int i = 0;
            for (; i < bound; i += S.length()) {
                acc = acc.add(FloatVector.fromArray(S, src, o + i));
            }
            float sum = laneSum(acc);
            for (; i < d; i++) {
                sum += src[o + i];
            }
            float mean = sum / d;
            FloatVector m = FloatVector.broadcast(S, mean);
            FloatVector sq = FloatVector.zero(S);
            for (i = 0; i < bound; i += S.length()) {
                FloatVector c = FloatVector.fromArray(S, src, o + i).sub(m);
                sq = c.fma(c, sq);
            }
            float ss = laneSum(sq);
            for (; i < d; i++) {
                float c = src[o + i] - mean;
                ss += c * c;
            }
            float sd = (float) Math.sqrt(ss / d + eps);
            FloatVector sdv = FloatVector.broadcast(S, sd);
            for (i = 0; i < bound; i += S.length()) {
                FloatVector y = FloatVector.fromArray(S, src, o + i).sub(m).div(sdv);
                y.fma(FloatVector.fromArray(S, g, i), FloatVector.fromArray(S, b, i)).intoArray(dst, o + i);
            }
            for (; i < d; i++) {
                dst[o + i] = (src[o + i] - mean) / sd * g[i] + b[i];
            }
        }
    }

    private static final VectorSpecies<Integer> SI = IntVector.SPECIES_PREFERRED;
    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));
    private static final float TWO_OVER_SQRT_PI = (float) (2 / Math.sqrt(Math.PI));

    /**
     * out[r, j] = gelu(x[r, j] + bias[j]) with the same erf as Graft's {@code Tensor.gelu()} kernel
     * (Taylor series below |z| = 0.5, Abramowitz-Stegun 7.1.26 above), so the fused result differs
     * from the chain's only in rounding. {@code out} may be {@code x}; a null bias adds nothing.
     */
    static void biasGelu(float[] x, float[] bias, float[] out) {
        if (bias == null) {
            geluRow(x, 0, null, out, x.length);
            return;
        }
        for (int o = 0; o < x.length; o += bias.length) {
            geluRow(x, o, bias, out, bias.length);
        }
    }

    private static void geluRow(float[] x, int o, float[] bias, float[] out, int n) {
        int bound = S.loopBound(n);
        int j = 0;
        for (; j < bound; j += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, o + j);
            if (bias != null) {
                v = v.add(FloatVector.fromArray(S, bias, j));
            }
            v.mul(0.5f).mul(erf(v.mul(INV_SQRT2)).add(1f)).intoArray(out, o + j);
        }
        for (; j < n; j++) {
            float v = bias == null ? x[o + j] : x[o + j] + bias[j];
            out[o + j] = (float) (0.5 * v * (1 + dev.graft.tensor.spi.Erf.erf(v * INV_SQRT2)));
        }
    }

    private static FloatVector erf(FloatVector x) {
        FloatVector ax = x.abs();
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector t = one.div(ax.fma(FloatVector.broadcast(S, 0.3275911f), one));
        FloatVector poly = t.mul(1.061405429f).add(-1.453152027f)
                .mul(t).add(1.421413741f)
                .mul(t).add(-0.284496736f)
                .mul(t).add(0.254829592f)
                .mul(t);
        FloatVector far = one.sub(poly.mul(exp(ax.mul(ax).neg())));
        far = far.blend(far.neg(), x.compare(VectorOperators.LT, 0f));
        FloatVector x2 = x.mul(x);
        FloatVector near = x2.mul(-1f / 1320f).add(1f / 216f)
                .mul(x2).add(-1f / 42f)
                .mul(x2).add(1f / 10f)
                .mul(x2).add(-1f / 3f)
                .mul(x2).add(1f)
                .mul(x).mul(TWO_OVER_SQRT_PI);
        VectorMask<Float> small = ax.compare(VectorOperators.LT, 0.5f);
        return far.blend(near, small);
    }

    /** e^x for x &lt;= 0 (erf's and softmax's only use): Cody-Waite reduction by ln 2 and a degree-7 polynomial; underflows to 0. */
    private static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(-87f);
        FloatVector tt = xc.mul(1.44269504088896341f).sub(0.5f);
        IntVector n = (IntVector) tt.convertShape(VectorOperators.F2I, SI, 0);
        FloatVector nf = (FloatVector) n.convertShape(VectorOperators.I2F, S, 0);
        FloatVector r = nf.fma(FloatVector.broadcast(S, -0.693359375f), xc);
        r = nf.fma(FloatVector.broadcast(S, 2.12194440e-4f), r);
        FloatVector p = r.fma(FloatVector.broadcast(S, 1f / 5040f), FloatVector.broadcast(S, 1f / 720f));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 120f));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 24f));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 6f));
        p = p.fma(r, FloatVector.broadcast(S, 0.5f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        FloatVector scale = n.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        // below -87 (and -inf) the result is 0, as Graft's exp kernel gives there
        return p.mul(scale).blend(FloatVector.zero(S), x.compare(VectorOperators.LT, -87f));
    }

    /**
     * Attention scores to probabilities, in place, row by row (rows of width {@code n}): s = s / c (or
     * s * c when {@code multiply}) + mask, then softmax over the row. {@code maskOffsets[r]} is row r's
     * start in {@code mask} (null: no mask), read with stride {@code maskStride} (0 broadcasts one value).
     */
    static void scaleMaskSoftmax(float[] s, int n, float c, boolean multiply, float[] mask, int[] maskOffsets, int maskStride) {
        FloatVector cv = FloatVector.broadcast(S, c);
        int bound = S.loopBound(n);
        for (int r = 0, o = 0; o < s.length; r++, o += n) {
            int mo = mask == null ? 0 : maskOffsets[r];
            // scale, mask and the row maximum
            FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            int j = 0;
            if (mask == null || maskStride == 1) {
                for (; j < bound; j += S.length()) {
                    FloatVector v = FloatVector.fromArray(S, s, o + j);
                    v = multiply ? v.mul(cv) : v.div(cv);
                    if (mask != null) {
                        v = v.add(FloatVector.fromArray(S, mask, mo + j));
                    }
                    v.intoArray(s, o + j);
                    mx = mx.max(v);
                }
            }
            float max = mx.reduceLanes(VectorOperators.MAX);
            for (; j < n; j++) {
                float v = multiply ? s[o + j] * c : s[o + j] / c;
                if (mask != null) {
                    v += mask[mo + j * maskStride];
                }
                s[o + j] = v;
                max = Math.max(max, v);
            }
            if (max == Float.NEGATIVE_INFINITY || Float.isNaN(max)) {
                // all -inf (or NaN) rows: the unfused softmax gives NaN; keep that
                for (j = 0; j < n; j++) {
                    s[o + j] = Float.NaN;
                }
                continue;
            }
            FloatVector m = FloatVector.broadcast(S, max);
            FloatVector acc = FloatVector.zero(S);
            for (j = 0; j < bound; j += S.length()) {
                FloatVector e = exp(FloatVector.fromArray(S, s, o + j).sub(m));
                e.intoArray(s, o + j);
                acc = acc.add(e);
            }
            float sum = laneSum(acc);
            for (; j < n; j++) {
                float e = (float) Math.exp(s[o + j] - max);
                s[o + j] = e;
                sum += e;
            }
            FloatVector sv = FloatVector.broadcast(S, sum);
            for (j = 0; j < bound; j += S.length()) {
                FloatVector.fromArray(S, s, o + j).div(sv).intoArray(s, o + j);
            }
            for (; j < n; j++) {
                s[o + j] /= sum;
            }
        }
    }
}
