package dev.graft.nn;

import dev.graft.autograd.NoGrad;
import dev.graft.tensor.Device;
import dev.graft.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A node of a model tree, like {@code torch.nn.Module}: it owns parameters (leaf tensors that
 * require grad), buffers (state that is not trained, such as BatchNorm's running statistics) and
 * child modules, each registered under a name. Names nest with dots
 * ({@code encoder.layer.0.attention.self.query.weight}) and are PyTorch's, so state dicts move
 * between Graft and PyTorch unchanged (DESIGN.md decision 5).
 *
 * <p>Parameters are plain {@link Tensor}s. Loading a state dict copies values into the existing
 * tensors, so an optimizer built earlier keeps pointing at the live parameters.
 */
public abstract class Module {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Set<String> nonPersistent = new LinkedHashSet<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** The module's computation on one input. Modules that take several inputs offer their own {@code forward} overloads. */
    public Tensor forward(Tensor input) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not take a single input; use its own forward method");
    }

    // ------------------------------------------------------------------ registration

    /** Registers a parameter (null allowed, e.g. a missing bias); floating tensors are marked requiresGrad. */
    protected Tensor registerParameter(String name, Tensor value) {
        checkName(name);
        if (value != null && value.dtype().isFloating()) {
            value.requiresGrad(true);
        }
        parameters.put(name, value);
        return value;
    }

    /** Registers a buffer; a non-persistent one is left out of {@link #stateDict()}. */
    protected Tensor registerBuffer(String name, Tensor value, boolean persistent) {
        checkName(name);
        buffers.put(name, value);
        if (!persistent) {
            nonPersistent.add(name);
        }
        return value;
    }

    protected <M extends Module> M registerModule(String name, M module) {
        checkName(name);
        children.put(name, module);
        return module;
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": invalid name '" + name
                    + "' (names are non-empty and contain no dots; dots join the hierarchy)");
        }
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": '" + name + "' is already registered");
        }
    }

    /** Direct parameter by local name (null if absent or registered as null). */
    public Tensor parameter(String name) {
        return parameters.get(name);
    }

    public Tensor buffer(String name) {
        return buffers.get(name);
    }

    public Module child(String name) {
        return children.get(name);
    }

    /** Replaces the value of a registered buffer (for state that is not updated in place). */
    protected void setBuffer(String name, Tensor value) {
        if (!buffers.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": no buffer named '" + name + "'");
        }
        buffers.put(name, value);
    }

    // ------------------------------------------------------------------ traversal

    /** Every parameter with its dotted name, depth first in registration order; a tensor shared by two modules appears once. */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        collect("", out, seen, true, false);
        return out;
    }

    public List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    public Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, Collections.newSetFromMap(new IdentityHashMap<>()), false, false);
        return out;
    }

    private void collect(String prefix, Map<String, Tensor> out, Set<Tensor> seen, boolean params, boolean persistentOnly) {
        Map<String, Tensor> own = params ? parameters : buffers;
        for (var e : own.entrySet()) {
            if (e.getValue() == null || (persistentOnly && nonPersistent.contains(e.getKey()))) {
                continue;
            }
            if (seen.add(e.getValue())) {
                out.put(prefix + e.getKey(), e.getValue());
            }
        }
        for (var e : children.entrySet()) {
            e.getValue().collect(prefix + e.getKey() + ".", out, seen, params, persistentOnly);
        }
    }

    /**
     * Moves every parameter, gradient and buffer of this module tree to {@code device} in place
     * (their tensors keep their identity, so optimizers and references made earlier stay valid),
     * like PyTorch's {@code module.to(device)}. Inputs must then be on the same device. Returns this.
     */
    public Module to(Device device) {
        for (Tensor p : namedParameters().values()) {
            p.moveStorageTo(device);
            if (p.grad() != null) {
                p.grad().moveStorageTo(device);
            }
        }
        for (Tensor b : namedBuffers().values()) {
            b.moveStorageTo(device);
        }
        return this;
    }

    /** This module and every descendant with its dotted path ("" for this one). */
    public Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        modules("", out);
        return out;
    }

    private void modules(String path, Map<String, Module> out) {
        out.put(path, this);
        for (var e : children.entrySet()) {
            e.getValue().modules(path.isEmpty() ? e.getKey() : path + "." + e.getKey(), out);
        }
    }

    /** Direct children with their names. */
    public Map<String, Module> namedChildren() {
        return Collections.unmodifiableMap(children);
    }

    /** Calls fn on every descendant and then on this module (post-order, like torch's apply). */
    public Module apply(Consumer<Module> fn) {
        for (Module m : children.values()) {
            m.apply(fn);
        }
        fn.accept(this);
        return this;
    }

    // ------------------------------------------------------------------ modes

    public Module train(boolean on) {
        apply(m -> m.training = on);
        return this;
    }

    public Module train() {
        return train(true);
    }

    public Module eval() {
        return train(false);
    }

    public boolean isTraining() {
        return training;
    }

    /** Freezes (false) or unfreezes (true) every parameter of this subtree. */
    public Module requiresGrad(boolean on) {
        for (Tensor p : parameters()) {
            p.requiresGrad(on);
        }
        return this;
    }

    /** Sets every parameter's gradient to null. */
    public void zeroGrad() {
        for (Tensor p : parameters()) {
            p.setGrad(null);
        }
    }

    // ------------------------------------------------------------------ state dicts

    /** Parameters and persistent buffers by dotted name (the live tensors, not copies). */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        stateInto("", out);
        return out;
    }

    private void stateInto(String prefix, Map<String, Tensor> out) {
        for (var e : parameters.entrySet()) {
            if (e.getValue() != null) {
                out.put(prefix + e.getKey(), e.getValue());
            }
        }
        for (var e : buffers.entrySet()) {
            if (e.getValue() != null && !nonPersistent.contains(e.getKey())) {
                out.put(prefix + e.getKey(), e.getValue());
            }
        }
        for (var e : children.entrySet()) {
            e.getValue().stateInto(prefix + e.getKey() + ".", out);
        }
    }

    /** What a load found: keys the model expects but the map lacks, keys nobody expects, and shape mismatches. */
    public record LoadResult(List<String> missingKeys, List<String> unexpectedKeys, List<String> shapeMismatches) {
        public boolean isClean() {
            return missingKeys.isEmpty() && unexpectedKeys.isEmpty() && shapeMismatches.isEmpty();
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            if (!missingKeys.isEmpty()) {
                sb.append("missing keys ").append(missingKeys);
            }
            if (!unexpectedKeys.isEmpty()) {
                sb.append(sb.isEmpty() ? "" : "; ").append("unexpected keys ").append(unexpectedKeys);
            }
            if (!shapeMismatches.isEmpty()) {
                sb.append(sb.isEmpty() ? "" : "; ").append("shape mismatches ").append(shapeMismatches);
            }
            return sb.isEmpty() ? "all keys matched" : sb.toString();
        }
    }

    /** What {@link #loadStateDict} would report for {@code state}, without changing anything. */
    public LoadResult checkStateDict(Map<String, Tensor> state) {
        Map<String, Tensor> own = stateDict();
        List<String> missing = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        for (var e : own.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(src.shape(), e.getValue().shape())) {
                mismatched.add(e.getKey() + ": checkpoint " + Arrays.toString(src.shape()) + ", model "
                        + Arrays.toString(e.getValue().shape()));
            }
        }
        for (String k : state.keySet()) {
            if (!own.containsKey(k)) {
                unexpected.add(k);
            }
        }
        return new LoadResult(List.copyOf(missing), List.copyOf(unexpected), List.copyOf(mismatched));
    }

    /**
     * Copies values from {@code state} into this model's parameters and persistent buffers
     * (converting dtype, e.g. float16 checkpoints into float32 parameters). Every problem is
     * collected first; when {@code strict} and there is any, nothing is loaded and a
     * {@link StateDictException} lists them all. When not strict, matching keys load and the
     * result reports the rest.
     */
    public LoadResult loadStateDict(Map<String, Tensor> state, boolean strict) {
        LoadResult result = checkStateDict(state);
        Map<String, Tensor> own = stateDict();
        if (strict && !result.isClean()) {
            throw new StateDictException("loadStateDict(" + getClass().getSimpleName() + "): " + result, result);
        }
        try (var g = NoGrad.enter()) {
            for (var e : own.entrySet()) {
                Tensor src = state.get(e.getKey());
                if (src != null && Arrays.equals(src.shape(), e.getValue().shape())) {
                    Tensor s = src.dtype().isComputable() ? src : src.to(dev.graft.tensor.DType.FLOAT32);
                    e.getValue().copyFrom(s.detach());
                }
            }
        }
        return result;
    }

    // ------------------------------------------------------------------ printing

    /** Extra text shown after the class name, like torch's extra_repr. */
    protected String extraRepr() {
        return "";
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append('(').append(extraRepr());
        if (!children.isEmpty()) {
            sb.append('\n');
            for (var e : children.entrySet()) {
                String child = e.getValue().toString().replace("\n", "\n  ");
                sb.append("  (").append(e.getKey()).append("): ").append(child).append('\n');
            }
        }
        return sb.append(')').toString();
    }
}
