/**
 * Optimizers and gradient clipping, PyTorch's {@code torch.optim} with the same update formulas:
 * {@link dev.graft.optim.Optimizer} over {@link dev.graft.optim.ParamGroup}s (per-group options,
 * the unit of fine-tuning control), {@link dev.graft.optim.SGD}, {@link dev.graft.optim.Adam},
 * {@link dev.graft.optim.AdamW}, {@link dev.graft.optim.RMSprop}, the per-parameter
 * {@link dev.graft.optim.ParamState} with its checkpoint form, and {@link dev.graft.optim.GradClip}.
 * Learning-rate schedules live in {@code dev.graft.optim.lr}.
 *
 * <p>Parameters are plain leaf tensors that require grad; updates run under
 * {@link dev.graft.autograd.NoGrad}. Depends on {@code dev.graft.tensor} and
 * {@code dev.graft.autograd} only; {@code dev.graft.nn} and {@code dev.graft.train} may depend on
 * this package, not the other way round.
 */
package dev.graft.optim;
