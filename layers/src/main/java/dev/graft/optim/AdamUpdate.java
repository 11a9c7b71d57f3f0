package dev.graft.optim;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Parallel;

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
        Moments in = new Moments(array(oldM), offset(oldM), array(oldV), offset(oldV), array(oldMax), offset(oldMax));
        float[] p = (float[]) param.storage().array();
        float[] g = (float[]) grad.storage().array();
        float[] mo = array(m);
        float[] vo = array(v);
        float[] xo = array(vmax);
        int po = param.offset();
        int go = grad.offset();
        // the composed path's scalars, as its float32 ops round them
        float decay = (float) (1 - lr * weightDecay);
        float l2 = (float) weightDecay;
        boolean useL2 = !decoupled && weightDecay != 0;
        float b1 = (float) beta1;
        float c1 = (float) (1 - beta1);
        float b2 = (float) beta2;
        float c2 = (float) (1 - beta2);
        float negStep = (float) -(lr / (1 - Math.pow(beta1, step)));
        float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2, step));
        float eps = (float) group.eps();
        float sign = group.maximize() ? -1f : 1f;
        int chunks = (n + FusedUpdate.CHUNK - 1) / FusedUpdate.CHUNK;
        Parallel.forRange(chunks, 1, (from, to) -> {
            for (int i = from * FusedUpdate.CHUNK, end = Math.min(n, to * FusedUpdate.CHUNK); i < end; i++) {
                float pi = p[po + i];
                float gi = sign * g[go + i];
                if (decoupled) {
                    pi *= decay;
                } else if (useL2) {
                    gi += pi * l2;
                }
                float mi = in.m == null ? c1 * gi : in.m[in.mo + i] * b1 + gi * c1;
                float vi = in.v == null ? gi * c2 * gi : in.v[in.vo + i] * b2 + gi * c2 * gi;
                float second = vi;
                if (xo != null) {
                    second = in.max == null ? Math.max(0f, vi) : Math.max(in.max[in.xo + i], vi);
                    xo[i] = second;
                }
                mo[i] = mi;
                vo[i] = vi;
                p[po + i] = pi + mi * negStep / ((float) Math.sqrt(second) / bc2Sqrt + eps);
            }
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

    /** The previous step's buffers (null before the first step: zeros). */
    private record Moments(float[] m, int mo, float[] v, int vo, float[] max, int xo) {
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
