package dev.graft.loss;

/** How a loss combines its per-element values, PyTorch's {@code reduction} argument. */
public enum Reduction {
    /** The per-element losses, unreduced. */
    NONE,
    /** Their mean (for weighted cross-entropy and NLL: divided by the summed weights of the counted targets). */
    MEAN,
    /** Their sum. */
    SUM,
    /** The sum divided by the batch size (dimension 0), the true KL divergence; only {@link Losses#klDiv} accepts it. */
    BATCHMEAN
}
