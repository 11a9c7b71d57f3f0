package dev.graft.optim;

import dev.graft.tensor.Tensor;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Adam with L2 weight decay added to the gradient, PyTorch's {@code torch.optim.Adam} (its single-tensor
 * path): with {@code g = grad + weight_decay * p},
 * <pre>
 *   m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g * g
 *   vmax = max(vmax, v)                                  (amsgrad)
 *   p = p - lr / (1 - beta1^t) * m / (sqrt(v or vmax) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * Options: {@code lr} 1e-3, {@code beta1} 0.9, {@code beta2} 0.999, {@code eps} 1e-8,
 * {@code weight_decay} 0, {@code amsgrad} false, {@code maximize} false. State: {@code exp_avg},
 * {@code exp_avg_sq}, {@code max_exp_avg_sq} (amsgrad) and the step count.
 */
public final class Adam extends Optimizer {
    /** One group with PyTorch's defaults. */
    public Adam(Collection<Tensor> params) {
        this(params, ParamGroup.defaults());
    }

    public Adam(Collection<Tensor> params, double lr) {
        this(params, ParamGroup.defaults().lr(lr));
    }

    /** One group with the given options (e.g. {@code ParamGroup.defaults().lr(3e-4).betas(0.9, 0.98)}). */
    public Adam(Collection<Tensor> params, ParamGroup defaults) {
        this(List.of(new ParamGroup(List.copyOf(params))), defaults);
    }

    /** Groups that carry their own options; unset ones take PyTorch's defaults. */
    public Adam(ParamGroup... groups) {
        this(List.of(groups), null);
    }

    /** Several groups; options a group leaves unset come from {@code defaults} (may be null). */
    public Adam(List<ParamGroup> groups, ParamGroup defaults) {
        super(groups, defaults, AdamUpdate.defaults(0.0));
    }

    @Override
    protected void validateOptions(String where, Map<String, Double> options) {
        AdamUpdate.validate(this, where, options);
    }

    @Override
    protected void update(ParamGroup group, Tensor param, Tensor grad, ParamState state) {
        AdamUpdate.apply(group, param, grad, state, false);
    }

    @Override
    protected List<String> stateNames(ParamGroup group) {
        return AdamUpdate.stateNames(group);
    }

    @Override
    protected boolean countsSteps() {
        return true;
    }
}
