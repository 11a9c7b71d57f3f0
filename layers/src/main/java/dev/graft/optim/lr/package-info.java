/**
 * Learning-rate schedules, PyTorch's {@code torch.optim.lr_scheduler}: {@link dev.graft.optim.lr.StepLR},
 * {@link dev.graft.optim.lr.MultiStepLR}, {@link dev.graft.optim.lr.ExponentialLR},
 * {@link dev.graft.optim.lr.CosineAnnealingLR}, {@link dev.graft.optim.lr.LambdaLR} (with the
 * Hugging Face warmup schedules), {@link dev.graft.optim.lr.OneCycleLR} over the common
 * {@link dev.graft.optim.lr.LRScheduler} base, and {@link dev.graft.optim.lr.ReduceLROnPlateau}.
 *
 * <p>Every schedule sets each param group's lr from that group's own base rate, so discriminative
 * rates survive scheduling; state for checkpoints is a map of strings ({@code scheduler.*}).
 * Depends only on {@code dev.graft.optim}.
 */
package dev.graft.optim.lr;
