package dev.graft.onnx;

import java.util.List;
import java.util.Map;

/**
 * One operator application. Input names may be empty strings, which in ONNX mark an omitted
 * optional input; {@code domain} is "" for the default {@code ai.onnx} domain.
 */
public record OnnxNode(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                       Map<String, OnnxAttribute> attributes) {

    /** The name used in messages: the node's name when it has one, else its first output. */
    public String label() {
        if (name != null && !name.isEmpty()) {
            return name;
        }
        return outputs.isEmpty() ? "<unnamed>" : "<output " + outputs.getFirst() + ">";
    }

    /** "Op 'name'" for error messages, with the domain when it is not the default. */
    public String describe() {
        return (domain.isEmpty() || domain.equals("ai.onnx") ? "" : domain + ".") + opType + " node '" + label() + "'";
    }
}
