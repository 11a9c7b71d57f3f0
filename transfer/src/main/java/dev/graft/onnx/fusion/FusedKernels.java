package dev.graft.onnx.fusion;

import jdk.incubator.vector.FloatVector;
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
            float sum = acc.reduceLanes(VectorOperators.ADD);
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
            float ss = sq.reduceLanes(VectorOperators.ADD);
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
}
