/**
 * Loss functions, PyTorch's {@code torch.nn.functional} losses with the same names, arguments and
 * semantics: {@link dev.graft.loss.Losses} (cross-entropy, NLL, binary cross-entropy with logits,
 * MSE, L1, smooth L1, Huber, KL divergence, cosine embedding) and the {@link dev.graft.loss.Reduction}
 * they share.
 *
 * <p>Every loss is a composition of differentiable {@link dev.graft.tensor.Tensor} ops, so autograd
 * differentiates it with no rule of its own. Target indices and shapes are validated before any op
 * runs; messages name the loss and the shapes. Depends only on {@code dev.graft.tensor} (gradients
 * are recorded through the tensor core when {@code graft-autograd} is present); {@code dev.graft.nn}
 * and {@code dev.graft.train} may use this package, never the other way round.
 */
package dev.graft.loss;
