package dev.graft.onnx;

import java.util.List;

/**
 * A graph input or output as declared in the file: its name, element type and shape, where each
 * dimension is a fixed size ({@code value >= 0}), a named symbolic size ({@code param}), or unknown.
 */
public record OnnxValueInfo(String name, OnnxDataType elemType, List<Dim> shape) {
    /** One dimension: {@code value} is -1 when the size is symbolic or unknown. */
    public record Dim(long value, String param) {
        @Override
        public String toString() {
            return value >= 0 ? Long.toString(value) : (param == null || param.isEmpty() ? "?" : param);
        }
    }

    /** True when the file declares a shape (possibly with symbolic dims). */
    public boolean hasShape() {
        return shape != null;
    }

    @Override
    public String toString() {
        return name + ": " + (elemType == null ? "?" : elemType.name().toLowerCase(java.util.Locale.ROOT))
                + (shape == null ? "" : shape.toString());
    }
}
