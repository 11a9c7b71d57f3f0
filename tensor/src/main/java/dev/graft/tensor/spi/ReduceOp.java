package dev.graft.tensor.spi;

/**
 * Reductions over the last axis of a 2-D view. SUM and PROD accumulate in float64 in the
 * reference backend; MAX and MIN propagate NaN and, when asked, report the index of the first
 * extreme element (the first NaN if there is one).
 */
public enum ReduceOp {
    SUM, PROD, MAX, MIN
}
