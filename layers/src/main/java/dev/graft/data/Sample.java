package dev.graft.data;

import dev.graft.tensor.Tensor;

/** One example: an input tensor (no batch dimension) and its target (a 0-d class index or a tensor). */
public record Sample(Tensor input, Tensor target) {
}
