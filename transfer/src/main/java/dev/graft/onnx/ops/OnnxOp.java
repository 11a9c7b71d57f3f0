package dev.graft.onnx.ops;

import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.Tensor;

/**
 * The implementation of one ONNX operator type in Graft ops. It receives the node's inputs (null
 * for omitted optional inputs) and attributes through an {@link OpContext}, and returns one tensor
 * per node output (trailing optional outputs it does not produce may be null).
 *
 * <p>Implementations compose {@link Tensor} operations, so every op is differentiable wherever its
 * Graft ops are: an imported graph can be fine-tuned. They must not mutate their inputs.
 */
@FunctionalInterface
public interface OnnxOp {
    Tensor[] apply(OpContext ctx);

    /**
     * Checks at load time that this node's attributes are ones this implementation supports; return
     * a reason to refuse it (e.g. "mode 'cubic' is not supported"), or null when it can run. Only
     * static facts (attributes, opset, input count) are available here.
     */
    default String unsupportedReason(OnnxNode node, int opset) {
        return null;
    }
}
