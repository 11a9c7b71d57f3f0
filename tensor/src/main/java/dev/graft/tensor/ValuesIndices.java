package dev.graft.tensor;

/** The result of max/min along an axis, sort and topk: the values and their int64 positions. */
public record ValuesIndices(Tensor values, Tensor indices) {
}
