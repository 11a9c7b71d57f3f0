package dev.graft.data;

import dev.graft.tensor.Tensor;

/**
 * A batch of examples: {@code inputs} of shape {@code [B, ...]} and {@code targets} of shape
 * {@code [B]} (class indices) or {@code [B, ...]}.
 */
public record Batch(Tensor inputs, Tensor targets) {
    public Batch {
        if (inputs.dim() == 0 || targets.dim() == 0 || inputs.size(0) != targets.size(0)) {
            throw new IllegalArgumentException("Batch: inputs " + java.util.Arrays.toString(inputs.shape()) + " and targets "
                    + java.util.Arrays.toString(targets.shape()) + " must have the same leading (batch) dimension");
        }
    }

    /** The number of examples, the leading dimension of both tensors. */
    public int size() {
        return inputs.size(0);
    }
}
