package dev.graft.optim;

import dev.graft.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * RMSprop, PyTorch's {@code torch.optim.RMSprop}: with {@code g = grad + weight_decay * p},
 * <pre>
 *   v = alpha * v + (1 - alpha) * g * g
 *   a = sqrt(v - gavg^2) + eps, gavg = alpha * gavg + (1 - alpha) * g   (centered)
 *   a = sqrt(v) + eps                                                   (otherwise)
 *   b = momentum * b + g / a;  p = p - lr * b                           (momentum > 0)
 *   p = p - lr * g / a                                                  (otherwise)
 * </pre>
 * Options: {@code lr} 1e-2, {@code alpha} 0.99, {@code eps} 1e-8, {@code weight_decay} 0,
 * {@code momentum} 0, {@code centered} false, {@code maximize} false. State: {@code square_avg},
 * {@code momentum_buffer} (momentum), {@code grad_avg} (centered) and the step count.
 */
public final class RMSprop extends Optimizer {
    /** One group with PyTorch's defaults. */
    public RMSprop(Collection<Tensor> params) {
        this(params, ParamGroup.defaults());
    }

    public RMSprop(Collection<Tensor> params, double lr) {
        this(params, ParamGroup.defaults().lr(lr));
    }

    /** One group with the given options. */
    public RMSprop(Collection<Tensor> params, ParamGroup defaults) {
        this(List.of(new ParamGroup(List.copyOf(params))), defaults);
    }

    /** Groups that carry their own options; unset ones take PyTorch's defaults. */
    public RMSprop(ParamGroup... groups) {
        this(List.of(groups), null);
    }

    /** Several groups; options a group leaves unset come from {@code defaults} (may be null). */
    public RMSprop(List<ParamGroup> groups, ParamGroup defaults) {
        super(groups, defaults, builtIn());
    }

    private static Map<String, Double> builtIn() {
        Map<String, Double> d = new LinkedHashMap<>();
        d.put(ParamGroup.LR, 1e-2);
        d.put(ParamGroup.ALPHA, 0.99);
        d.put(ParamGroup.EPS, 1e-8);
        d.put(ParamGroup.WEIGHT_DECAY, 0.0);
        d.put(ParamGroup.MOMENTUM, 0.0);
        d.put(ParamGroup.CENTERED, 0.0);
        d.put(ParamGroup.MAXIMIZE, 0.0);
        return d;
    }

    @Override
    protected void validateOptions(String where, Map<String, Double> o) {
        requireAtLeast(where, o, ParamGroup.LR, 0);
        requireAtLeast(where, o, ParamGroup.EPS, 0);
        requireAtLeast(where, o, ParamGroup.MOMENTUM, 0);
        requireAtLeast(where, o, ParamGroup.WEIGHT_DECAY, 0);
        requireAtLeast(where, o, ParamGroup.ALPHA, 0);
    }

    @Override
    protected void update(ParamGroup group, Tensor param, Tensor grad, ParamState state) {
        double alpha = group.alpha();
        double momentum = group.momentum();
        double weightDecay = group.weightDecay();
        Tensor g = group.maximize() ? grad.neg() : grad;
        Tensor squareAvg = state.getOrInit("square_avg", () -> Tensor.zerosLike(param));
        state.step(state.step() + 1);
        if (weightDecay != 0) {
            g = g.add(param.mul(weightDecay));
        }
        squareAvg = squareAvg.mul(alpha).add(g.mul(1 - alpha).mul(g));
        state.put("square_avg", squareAvg);
        Tensor avg;
        if (group.centered()) {
            Tensor gradAvg = state.getOrInit("grad_avg", () -> Tensor.zerosLike(param)).mul(alpha).add(g.mul(1 - alpha));
            state.put("grad_avg", gradAvg);
            // torch: square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
            avg = squareAvg.add(gradAvg.mul(-1).mul(gradAvg)).sqrt();
        } else {
            avg = squareAvg.sqrt();
        }
        avg = avg.add(group.eps());
        if (momentum > 0) {
            Tensor buf = state.getOrInit("momentum_buffer", () -> Tensor.zerosLike(param)).mul(momentum).add(g.div(avg));
            state.put("momentum_buffer", buf);
            param.addInPlace(buf, -group.lr());
        } else {
            param.addInPlace(g.mul(-group.lr()).div(avg), 1);
        }
    }

    @Override
    protected List<String> stateNames(ParamGroup group) {
        List<String> names = new ArrayList<>(List.of("square_avg"));
        if (group.momentum() > 0) {
            names.add("momentum_buffer");
        }
        if (group.centered()) {
            names.add("grad_avg");
        }
        return names;
    }

    @Override
    protected boolean countsSteps() {
        return true;
    }
}
