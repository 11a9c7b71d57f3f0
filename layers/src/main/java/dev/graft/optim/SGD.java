package dev.graft.optim;

import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Parallel;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay,
 * PyTorch's {@code torch.optim.SGD}:
 * <pre>
 *   g = grad + weight_decay * p                       (if weight_decay != 0)
 *   b = g on the first step, else momentum * b + (1 - dampening) * g   (if momentum != 0)
 *   g = g + momentum * b if nesterov, else b
 *   p = p - lr * g
 * </pre>
 * Options: {@code lr} (no default), {@code momentum} 0, {@code dampening} 0, {@code weight_decay} 0,
 * {@code nesterov} false, {@code maximize} false. State: {@code momentum_buffer} when momentum is on.
 */
public final class SGD extends Optimizer {
    /** Plain SGD over one group. */
    public SGD(Collection<Tensor> params, double lr) {
        this(List.of(new ParamGroup(List.copyOf(params))), ParamGroup.defaults().lr(lr));
    }

    /** One group with the given options (e.g. {@code ParamGroup.defaults().lr(0.1).momentum(0.9)}). */
    public SGD(Collection<Tensor> params, ParamGroup defaults) {
        this(List.of(new ParamGroup(List.copyOf(params))), defaults);
    }

    /** Groups that carry their own options (each must give lr). */
    public SGD(ParamGroup... groups) {
        this(List.of(groups), null);
    }

    /** Several groups; options a group leaves unset come from {@code defaults} (may be null). */
    public SGD(List<ParamGroup> groups, ParamGroup defaults) {
        super(groups, defaults, builtIn());
    }

    private static Map<String, Double> builtIn() {
        Map<String, Double> d = new LinkedHashMap<>();
        d.put(ParamGroup.LR, Double.NaN);
        d.put(ParamGroup.MOMENTUM, 0.0);
        d.put(ParamGroup.DAMPENING, 0.0);
        d.put(ParamGroup.WEIGHT_DECAY, 0.0);
        d.put(ParamGroup.NESTEROV, 0.0);
        d.put(ParamGroup.MAXIMIZE, 0.0);
        return d;
    }

    @Override
    protected void validateOptions(String where, Map<String, Double> o) {
        requireAtLeast(where, o, ParamGroup.LR, 0);
        requireAtLeast(where, o, ParamGroup.MOMENTUM, 0);
        requireAtLeast(where, o, ParamGroup.WEIGHT_DECAY, 0);
        Double nesterov = o.get(ParamGroup.NESTEROV);
        if (nesterov != null && nesterov != 0
                && (o.getOrDefault(ParamGroup.MOMENTUM, 0.0) <= 0 || o.getOrDefault(ParamGroup.DAMPENING, 0.0) != 0)) {
            throw new IllegalArgumentException(name() + ": " + where + ": Nesterov momentum requires a momentum and zero"
                    + " dampening (momentum " + o.getOrDefault(ParamGroup.MOMENTUM, 0.0) + ", dampening "
                    + o.getOrDefault(ParamGroup.DAMPENING, 0.0) + ")");
        }
    }

    @Override
    protected void update(ParamGroup group, Tensor param, Tensor grad, ParamState state) {
        double momentum = group.momentum();
        double weightDecay = group.weightDecay();
        if (momentum == 0 && weightDecay == 0 && !group.maximize() && plainStep(param, grad, group.lr())) {
            return;
        }
        Tensor d = group.maximize() ? grad.neg() : grad;
        if (weightDecay != 0) {
            d = d.add(param.mul(weightDecay));
        }
        if (momentum != 0) {
            Tensor buf = state.get("momentum_buffer");
            // the first step takes the gradient as it is, without dampening, as torch does
            buf = buf == null ? d.clone() : buf.mul(momentum).add(d.mul(1 - group.dampening()));
            state.put("momentum_buffer", buf);
            d = group.nesterov() ? d.add(buf.mul(momentum)) : buf;
        }
        param.addInPlace(d, -group.lr());
    }

    /**
     * p -= lr * g as one pass over the arrays of float32 CPU tensors, where addInPlace makes three
     * passes and two temporaries (lr * g, p + that, the copy back). The same two roundings (the
     * product, then the sum). Returns false, doing nothing, for any other layout.
     */
    private static boolean plainStep(Tensor param, Tensor grad, double lr) {
        if (!FusedUpdate.flatFloat32(param, grad)) {
            return false;
        }
        float[] p = (float[]) param.storage().array();
        float[] g = (float[]) grad.storage().array();
        int po = param.offset();
        int go = grad.offset();
        float a = (float) -lr;
        int n = param.numel();
        int chunk = FusedUpdate.CHUNK;
        Parallel.forRange((n + chunk - 1) / chunk, 1, (from, to) -> {
            for (int i = from * chunk, end = Math.min(n, to * chunk); i < end; i++) {
                p[po + i] += a * g[go + i];
            }
        });
        FusedUpdate.touched(param);
        return true;
    }

    @Override
    protected List<String> stateNames(ParamGroup group) {
        return group.momentum() != 0 ? List.of("momentum_buffer") : List.of();
    }

    @Override
    protected boolean countsSteps() {
        return false;
    }
}
