package dev.graft.onnx;

import dev.graft.tensor.Tensor;

import java.util.Arrays;
import java.util.List;

/**
 * One node attribute. Only the field named by {@link #type} is meaningful; graphs (for If/Loop/Scan)
 * are kept as parsed subgraphs so that an op that needs them can run them.
 */
public record OnnxAttribute(String name, Type type, float f, long i, String s, Tensor t, OnnxGraph g,
                            float[] floats, long[] ints, List<String> strings, List<Tensor> tensors) {

    /** {@code AttributeProto.AttributeType}. */
    public enum Type {
        UNDEFINED, FLOAT, INT, STRING, TENSOR, GRAPH, FLOATS, INTS, STRINGS, TENSORS, GRAPHS,
        SPARSE_TENSOR, SPARSE_TENSORS, TYPE_PROTO, TYPE_PROTOS;

        static Type of(long code) {
            return code >= 0 && code < values().length ? values()[(int) code] : UNDEFINED;
        }
    }

    @Override
    public String toString() {
        return name + "=" + switch (type) {
            case FLOAT -> Float.toString(f);
            case INT -> Long.toString(i);
            case STRING -> '"' + s + '"';
            case FLOATS -> Arrays.toString(floats);
            case INTS -> Arrays.toString(ints);
            case STRINGS -> strings.toString();
            case TENSOR -> "tensor" + Arrays.toString(t.shape());
            default -> type.name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
