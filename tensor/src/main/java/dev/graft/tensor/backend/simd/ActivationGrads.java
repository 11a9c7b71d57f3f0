package dev.graft.tensor.backend.simd;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Backward passes of activations as one fused loop over float32 CPU arrays: one read of each
 * operand and one write, where the composed form (a comparison to a bool tensor, its conversion
 * to float, a multiplication) makes three passes and two temporaries.
 */
public final class ActivationGrads {
    private static final int GRAIN = 1 << 14;

    private ActivationGrads() {
    }

    /**
     * ReLU's gradient, PyTorch's threshold_backward: g where x > 0, else 0 (also where g is
     * infinite or NaN, and where x is NaN). x and g: contiguous float32 of one shape.
     */
    public static Tensor relu(Tensor x, Tensor g) {
        Tensor out = Tensor.empty(DType.FLOAT32, x.shape());
        float[] xa = (float[]) x.storage().array();
        float[] ga = (float[]) g.storage().array();
        float[] oa = (float[]) out.storage().array();
        int xo = x.offset();
        int go = g.offset();
        int n = x.numel();
        int chunks = (n + GRAIN - 1) / GRAIN;
        Parallel.forRange(chunks, 4, (from, to) -> reluRange(xa, xo, ga, go, oa, from * GRAIN, Math.min(n, to * GRAIN)));
        return out;
    }

    private static void reluRange(float[] x, int xo, float[] g, int go, float[] out, int from, int to) {
        FloatVector zero = FloatVector.zero(FloatKernels.S);
        int i = from;
        for (int ub = from + FloatKernels.S.loopBound(to - from); i < ub; i += FloatKernels.VL) {
            FloatVector xv = FloatVector.fromArray(FloatKernels.S, x, xo + i);
            FloatVector gv = FloatVector.fromArray(FloatKernels.S, g, go + i);
            zero.blend(gv, xv.compare(VectorOperators.GT, 0f)).intoArray(out, i);
        }
        for (; i < to; i++) {
            out[i] = x[xo + i] > 0 ? g[go + i] : 0f;
        }
    }
}
