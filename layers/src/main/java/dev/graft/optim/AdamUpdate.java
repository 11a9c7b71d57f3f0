package dev.graft.optim;

import dev.graft.tensor.Tensor;

import java.util.List;
import java.util.Map;

/** The Adam update both {@link Adam} and {@link AdamW} run; they differ only in how weight decay enters. */
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
