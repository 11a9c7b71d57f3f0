package dev.graft.nn.init;

import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;

/** Creates a fresh float32 tensor of the given shape from a seeded generator. */
@FunctionalInterface
public interface Initializer {
    Tensor create(int[] shape, Generator g);
}
