package dev.graft.tensor.spi;

import dev.graft.tensor.Tensor;

/**
 * The seam between the tensor core and reverse-mode differentiation (DESIGN.md decision 4).
 * {@code tensor} knows nothing of gradients beyond a flag and two slots on each tensor; the
 * {@code autograd} module provides one implementation through {@link java.util.ServiceLoader}
 * and keeps every backward rule on its side, one place per op.
 *
 * <p>Every differentiable op of {@link Tensor} calls {@link #record} after computing its output,
 * with the op's name (the method name, e.g. {@code "matmul"}, {@code "sum"}), the output, the
 * tensor inputs in argument order and the non-tensor arguments the backward rule needs (listed
 * in the javadoc of each op's recording site in {@code Tensor}). The recorder decides whether to
 * record anything (grad mode on and some input requiring grad).
 */
public interface GradRecorder {
    void record(String op, Tensor output, Tensor[] inputs, Object[] attrs);

    /**
     * Called before an in-place op writes into {@code target}; throws when that would corrupt a
     * recorded graph (the autograd module forbids in-place writes to tensors that require grad
     * while grad mode is on).
     */
    void checkInPlace(String op, Tensor target);

    /** Runs backpropagation from {@code root} with upstream gradient {@code seed} (null means ones for a scalar). */
    void backward(Tensor root, Tensor seed);
}
