package dev.graft.optim;

import dev.graft.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parameters that share hyperparameters, PyTorch's param group: the unit of fine-tuning control
 * (a small learning rate for a pretrained backbone, a large one for a new head, no weight decay
 * for biases and norms).
 *
 * <p>Options are named as in PyTorch ({@code lr}, {@code weight_decay}, {@code momentum},
 * {@code dampening}, {@code nesterov}, {@code eps}, {@code alpha}, {@code amsgrad}, {@code centered},
 * {@code maximize}; Adam's {@code betas} are the two options {@code beta1} and {@code beta2}). An
 * option left unset takes the optimizer's default when the group is added to an optimizer; an
 * option the optimizer does not know is an error there. Boolean options are stored as 1 and 0.
 * Schedulers change {@code lr} (and, for one-cycle, {@code momentum} or {@code beta1}) between
 * steps and record the group's base rate as {@code initial_lr}.
 *
 * <pre>{@code
 * var opt = new AdamW(List.of(
 *         new ParamGroup(backbone.parameters()).lr(1e-5),
 *         new ParamGroup(head.parameters()).lr(1e-3).weightDecay(0)),
 *     ParamGroup.defaults().lr(1e-4).weightDecay(0.01));
 * }</pre>
 */
public final class ParamGroup {
    public static final String LR = "lr";
    public static final String WEIGHT_DECAY = "weight_decay";
    public static final String MOMENTUM = "momentum";
    public static final String DAMPENING = "dampening";
    public static final String NESTEROV = "nesterov";
    public static final String BETA1 = "beta1";
    public static final String BETA2 = "beta2";
    public static final String EPS = "eps";
    public static final String ALPHA = "alpha";
    public static final String AMSGRAD = "amsgrad";
    public static final String CENTERED = "centered";
    public static final String MAXIMIZE = "maximize";
    /** The base learning rate schedulers scale from (PyTorch's {@code initial_lr}); every optimizer accepts it. */
    public static final String INITIAL_LR = "initial_lr";

    /** Options whose value is a flag (stored as 1 or 0, written as true or false in checkpoint metadata). */
    public static final Set<String> BOOLEAN_OPTIONS = Set.of(NESTEROV, AMSGRAD, CENTERED, MAXIMIZE);

    private final List<Tensor> params;
    private final List<String> names;
    private final Map<String, Double> options = new LinkedHashMap<>();

    /** A group of unnamed parameters (messages then name them by index and shape). */
    public ParamGroup(List<Tensor> params) {
        this.params = List.copyOf(params);
        this.names = Collections.nCopies(this.params.size(), null);
    }

    /** A group of named parameters, as a module lists them ({@code "encoder.layer.0.weight" -> tensor}). */
    public ParamGroup(Map<String, Tensor> namedParams) {
        List<Tensor> p = new ArrayList<>(namedParams.size());
        List<String> n = new ArrayList<>(namedParams.size());
        for (Map.Entry<String, Tensor> e : namedParams.entrySet()) {
            n.add(e.getKey());
            p.add(e.getValue());
        }
        this.params = List.copyOf(p);
        this.names = Collections.unmodifiableList(n);
    }

    /** A group without parameters, used to give an optimizer's default options. */
    public static ParamGroup defaults() {
        return new ParamGroup(List.of());
    }

    public List<Tensor> params() {
        return params;
    }

    /** The name of parameter {@code i}, or null when the group was built from a plain list. */
    public String paramName(int i) {
        return names.get(i);
    }

    // ------------------------------------------------------------------ generic access

    /** Sets an option by its PyTorch name; returns this. */
    public ParamGroup set(String option, double value) {
        if (option == null || option.isEmpty()) {
            throw new IllegalArgumentException("ParamGroup.set: option name must not be empty");
        }
        if (Double.isNaN(value)) {
            throw new IllegalArgumentException("ParamGroup.set: option '" + option + "' must not be NaN");
        }
        options.put(option, value);
        return this;
    }

    /** The value of an option; an error if it is not set (nor filled in from an optimizer's defaults). */
    public double get(String option) {
        Double v = options.get(option);
        if (v == null) {
            throw new IllegalStateException("param group has no option '" + option + "' (options: " + options.keySet()
                    + "); set it, or add the group to an optimizer that has a default for it");
        }
        return v;
    }

    public boolean has(String option) {
        return options.containsKey(option);
    }

    /** A copy of the options, in the order they were set. */
    public Map<String, Double> options() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /** Sets the option only if it is not set yet (how optimizer defaults are filled in). */
    void setDefault(String option, double value) {
        options.putIfAbsent(option, value);
    }

    // ------------------------------------------------------------------ typed access

    public ParamGroup lr(double v) { return set(LR, v); }
    public double lr() { return get(LR); }
    public ParamGroup weightDecay(double v) { return set(WEIGHT_DECAY, v); }
    public double weightDecay() { return get(WEIGHT_DECAY); }
    public ParamGroup momentum(double v) { return set(MOMENTUM, v); }
    public double momentum() { return get(MOMENTUM); }
    public ParamGroup dampening(double v) { return set(DAMPENING, v); }
    public double dampening() { return get(DAMPENING); }
    public ParamGroup nesterov(boolean v) { return set(NESTEROV, v ? 1 : 0); }
    public boolean nesterov() { return get(NESTEROV) != 0; }
    /** Adam's {@code betas=(beta1, beta2)}. */
    public ParamGroup betas(double beta1, double beta2) { return set(BETA1, beta1).set(BETA2, beta2); }
    public double beta1() { return get(BETA1); }
    public double beta2() { return get(BETA2); }
    public ParamGroup eps(double v) { return set(EPS, v); }
    public double eps() { return get(EPS); }
    /** RMSprop's smoothing constant. */
    public ParamGroup alpha(double v) { return set(ALPHA, v); }
    public double alpha() { return get(ALPHA); }
    public ParamGroup amsgrad(boolean v) { return set(AMSGRAD, v ? 1 : 0); }
    public boolean amsgrad() { return get(AMSGRAD) != 0; }
    public ParamGroup centered(boolean v) { return set(CENTERED, v ? 1 : 0); }
    public boolean centered() { return get(CENTERED) != 0; }
    /** Ascend the objective instead of descending it. */
    public ParamGroup maximize(boolean v) { return set(MAXIMIZE, v ? 1 : 0); }
    public boolean maximize() { return get(MAXIMIZE) != 0; }

    @Override
    public String toString() {
        return "ParamGroup(" + params.size() + " params, " + options + ")";
    }
}
