package dev.graft.onnx;

import dev.graft.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * A parsed {@code GraphProto}: nodes in file order, initializers decoded to tensors (in file order),
 * declared inputs (those that are not initializers are the graph's real inputs) and outputs.
 */
public record OnnxGraph(String name, List<OnnxNode> nodes, Map<String, Tensor> initializers,
                        Map<String, OnnxDataType> initializerTypes, List<OnnxValueInfo> inputs,
                        List<OnnxValueInfo> outputs, List<OnnxValueInfo> valueInfo) {

    /** Inputs the caller must feed: declared inputs that no initializer provides. */
    public List<OnnxValueInfo> feedInputs() {
        return inputs.stream().filter(v -> !initializers.containsKey(v.name())).toList();
    }
}
