package dev.graft.autograd;

import dev.graft.tensor.Tensor;

/**
 * The derivative of one op: given the node (its inputs, output and non-tensor arguments) and the
 * gradient of the loss with respect to the output, returns one gradient per input (null where an
 * input needs none). The engine then sums each gradient down to its input's broadcast shape and
 * converts it to the input's dtype, so rules may return the broadcast shape.
 */
@FunctionalInterface
public interface BackwardRule {
    Tensor[] apply(Node node, Tensor gradOutput);
}
