package dev.graft.optim;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Parallel;
import dev.graft.tensor.backend.VectorInfo;

import java.util.List;
import java.util.Map;

/**
 * The Adam update both {@link Adam} and {@link AdamW} run; they differ only in how weight decay enters.
 *
 * <p>For contiguous float32 CPU parameters (and gradients and state of the same kind) the update is
 * one pass over memory: each element's gradient, weight decay, both moments, the amsgrad maximum,
 * the bias-corrected step and the new parameter in registers, where the composed path makes about
 * a dozen passes with as many temporaries. The pass does the composed path's float32 operations in
 * the same order, so both agree to within a rounding or two per step. New moment buffers are still
 * written each step ({@link ParamState}: handed-out state is a snapshot), and the parameter's
 * version advances as for any in-place op.
 */
final class AdamUpdate {

    /** PyTorch's Adam/AdamW option defaults; the two differ only in {@code weight_decay}. */
    static Map<String, Double> defaults(double weightDecay) {
        Map<String, Double> d = new java.util.LinkedHashMap<>();
        d.put(ParamGroup.LR, 1e-3);
        d.put(ParamGroup.BETA1, 0.9);
        d.put(ParamGroup.BETA2, 0.999);
        d.put(ParamGroup.EPS, 1e-8);
        d.put(ParamGroup.WEIGHT_DECAY, weightDecay);
        d.put(ParamGroup.AMSGRAD, 0.0);
        d.put(ParamGroup.MAXIMIZE, 0.0);
        return d;
    }
    private AdamUpdate() {
    }

    static void apply(ParamGroup group, Tensor param, Tensor grad, ParamState state, boolean decoupled) {
        if (FusedUpdate.enabled() && fused(group, param, grad, state, decoupled)) {
            return;
        }
        double lr = group.lr();
        double beta1 = group.beta1();
        double beta2 = group.beta2();
        double weightDecay = group.weightDecay();
        Tensor g = group.maximize() ? grad.neg() : grad;
        Tensor expAvg = state.getOrInit("exp_avg", () -> Tensor.zerosLike(param));
        Tensor expAvgSq = state.getOrInit("exp_avg_sq", () -> Tensor.zerosLike(param));
        long step = state.step() + 1;
        state.step(step);
        if (decoupled) {
            param.mulInPlace(1 - lr * weightDecay);
        } else if (weightDecay != 0) {
            g = g.add(param.mul(weightDecay));
        }
        // torch: exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        expAvg = expAvg.mul(beta1).add(g.mul(1 - beta1));
        expAvgSq = expAvgSq.mul(beta2).add(g.mul(1 - beta2).mul(g));
        state.put("exp_avg", expAvg);
        state.put("exp_avg_sq", expAvgSq);
        double biasCorrection1 = 1 - Math.pow(beta1, step);
        double biasCorrection2 = 1 - Math.pow(beta2, step);
        double stepSize = lr / biasCorrection1;
        double biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
        Tensor second = expAvgSq;
        if (group.amsgrad()) {
            second = state.getOrInit("max_exp_avg_sq", () -> Tensor.zerosLike(param)).maximum(expAvgSq);
            state.put("max_exp_avg_sq", second);
        }
        Tensor denom = second.sqrt().div(biasCorrection2Sqrt).add(group.eps());
        // torch: param.addcdiv_(exp_avg, denom, value=-step_size), i.e. p + (-step_size * m) / denom
        param.addInPlace(expAvg.mul(-stepSize).div(denom), 1);
    }

    /** The one-pass step; false, changing nothing, when a tensor is not a contiguous float32 CPU tensor of p's shape. */
    private static boolean fused(ParamGroup group, Tensor param, Tensor grad, ParamState state, boolean decoupled) {
        Tensor oldM = state.get("exp_avg");
        Tensor oldV = state.get("exp_avg_sq");
        Tensor oldMax = group.amsgrad() ? state.get("max_exp_avg_sq") : null;
        if (!FusedUpdate.flatFloat32(param, grad, oldM, oldV, oldMax)) {
            return false;
        }
        long step = state.step() + 1;
        double lr = group.lr();
        double beta1 = group.beta1();
        double beta2 = group.beta2();
        double weightDecay = group.weightDecay();
        int n = param.numel();
        int[] shape = param.shape();
        Tensor m = Tensor.empty(DType.FLOAT32, shape);
        Tensor v = Tensor.empty(DType.FLOAT32, shape);
        Tensor vmax = group.amsgrad() ? Tensor.empty(DType.FLOAT32, shape) : null;
        // before the first step a buffer is zeros: the new (zero-filled) buffer is read as the old one
        AdamPass pass = new AdamPass((float[]) param.storage().array(), param.offset(), (float[]) grad.storage().array(),
                grad.offset(), array(oldM == null ? m : oldM), offset(oldM), array(oldV == null ? v : oldV), offset(oldV),
                array(oldMax == null ? vmax : oldMax), offset(oldMax), array(m), array(v), array(vmax),
                // the composed path's scalars, as its float32 ops round them
                decoupled ? (float) (1 - lr * weightDecay) : 1f, decoupled ? 0f : (float) weightDecay,
                (float) beta1, (float) (1 - beta1), (float) beta2, (float) (1 - beta2),
                (float) -(lr / (1 - Math.pow(beta1, step))), (float) Math.sqrt(1 - Math.pow(beta2, step)), (float) group.eps(),
                group.maximize() ? -1f : 1f);
        boolean vector = VectorInfo.available();
        int chunks = (n + FusedUpdate.CHUNK - 1) / FusedUpdate.CHUNK;
        Parallel.forRange(chunks, 1, (from, to) -> {
            int i = from * FusedUpdate.CHUNK;
            int end = Math.min(n, to * FusedUpdate.CHUNK);
            pass.scalar(vector ? AdamVector.run(pass, i, end) : i, end);
        });
        state.step(step);
        state.put("exp_avg", m);
        state.put("exp_avg_sq", v);
        if (vmax != null) {
            state.put("max_exp_avg_sq", vmax);
        }
        FusedUpdate.touched(param);
        return true;
    }

    /**
     * One fused step's operands: parameter p and gradient g (with offsets), the previous moments
     * (mIn, vIn, maxIn; maxIn null without amsgrad) and the new ones (m, v, max, offset 0), and the
     * step's float32 scalars. {@code l2} is 0 for decoupled decay and {@code decay} 1 for L2.
     */
    record AdamPass(float[] p, int po, float[] g, int go, float[] mIn, int mo, float[] vIn, int vo, float[] maxIn, int xo,
                    float[] m, float[] v, float[] max, float decay, float l2, float b1, float c1, float b2, float c2,
                    float negStep, float bc2Sqrt, float eps, float sign) {
        /** Elements [from, to), one at a time (the vector loop's tail, or all of them without the Vector API). */
        void scalar(int from, int to) {
            for (int i = from; i < to; i++) {
                float pi = p[po + i] * decay;
                float gi = sign * g[go + i] + pi * l2;
                float mi = mIn[mo + i] * b1 + gi * c1;
                float vi = vIn[vo + i] * b2 + gi * c2 * gi;
                float second = vi;
                if (max != null) {
                    second = Math.max(maxIn[xo + i], vi);
                    max[i] = second;
                }
                m[i] = mi;
                v[i] = vi;
                p[po + i] = pi + mi * negStep / ((float) Math.sqrt(second) / bc2Sqrt + eps);
            }
        }
    }

    private static float[] array(Tensor t) {
        return t == null ? null : (float[]) t.storage().array();
    }

    private static int offset(Tensor t) {
        return t == null ? 0 : t.offset();
    }

    static List<String> stateNames(ParamGroup group) {
        return group.amsgrad() ? List.of("exp_avg", "exp_avg_sq", "max_exp_avg_sq") : List.of("exp_avg", "exp_avg_sq");
    }

    static void validate(Optimizer o, String where, Map<String, Double> options) {
        o.requireAtLeast(where, options, ParamGroup.LR, 0);
        o.requireAtLeast(where, options, ParamGroup.EPS, 0);
        o.requireInRange(where, options, ParamGroup.BETA1, 0, 1);
        o.requireInRange(where, options, ParamGroup.BETA2, 0, 1);
        o.requireAtLeast(where, options, ParamGroup.WEIGHT_DECAY, 0);
    }
}
