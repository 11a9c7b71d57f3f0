package dev.graft.optim;

import dev.graft.tensor.Tensor;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Adam with decoupled weight decay, PyTorch's {@code torch.optim.AdamW}: each step first scales the
 * parameter by {@code 1 - lr * weight_decay}, then applies the {@link Adam} update to the raw
 * gradient. Options as Adam's, with {@code weight_decay} 1e-2 by default.
 */
public final class AdamW extends Optimizer {
    /** One group with PyTorch's defaults. */
    public AdamW(Collection<Tensor> params) {
        this(params, ParamGroup.defaults());
    }

    public AdamW(Collection<Tensor> params, double lr) {
        this(params, ParamGroup.defaults().lr(lr));
    }

    /** One group with the given options (e.g. {@code ParamGroup.defaults().lr(3e-4).betas(0.9, 0.98)}). */
    public AdamW(Collection<Tensor> params, ParamGroup defaults) {
        this(List.of(new ParamGroup(List.copyOf(params))), defaults);
    }

    /** Groups that carry their own options; unset ones take PyTorch's defaults. */
    public AdamW(ParamGroup... groups) {
        this(List.of(groups), null);
    }

    /** Several groups; options a group leaves unset come from {@code defaults} (may be null). */
    public AdamW(List<ParamGroup> groups, ParamGroup defaults) {
        super(groups, defaults, AdamUpdate.defaults(0.01));
    }

    @Override
    protected void validateOptions(String where, Map<String, Double> options) {
        AdamUpdate.validate(this, where, options);
    }

    @Override
    protected void update(ParamGroup group, Tensor param, Tensor grad, ParamState state) {
        AdamUpdate.apply(group, param, grad, state, true);
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
