package dev.graft.optim;

import dev.graft.tensor.Tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An optimizer's state for one parameter: named buffers with PyTorch's names ({@code exp_avg},
 * {@code exp_avg_sq}, {@code momentum_buffer}, …) and a step count.
 *
 * <p>Optimizers in this package replace a buffer with a new tensor on every step rather than
 * writing into it, so a tensor handed out by {@link Optimizer#stateTensors()} is a snapshot that
 * later steps do not change.
 */
public final class ParamState {
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private long step;

    /** The buffer, or null if it does not exist yet. */
    public Tensor get(String name) {
        return buffers.get(name);
    }

    public void put(String name, Tensor value) {
        buffers.put(name, value);
    }

    /** The buffer, created by {@code init} on first use. */
    public Tensor getOrInit(String name, java.util.function.Supplier<Tensor> init) {
        return buffers.computeIfAbsent(name, k -> init.get());
    }

    public Map<String, Tensor> buffers() {
        return Collections.unmodifiableMap(buffers);
    }

    /** Steps taken for this parameter (0 for optimizers that do not count them). */
    public long step() {
        return step;
    }

    public void step(long value) {
        this.step = value;
    }

    public boolean isEmpty() {
        return buffers.isEmpty() && step == 0;
    }

    void clear() {
        buffers.clear();
        step = 0;
    }
}
