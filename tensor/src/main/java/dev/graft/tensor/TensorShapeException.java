package dev.graft.tensor;

/**
 * A shape, rank or index argument that an operation cannot accept. The message always names the
 * operation, the shapes involved and what was expected, e.g.
 * {@code matmul: [2, 3] @ [4, 5]: inner dimensions differ (3 vs 4)}.
 */
public class TensorShapeException extends IllegalArgumentException {
    public TensorShapeException(String message) {
        super(message);
    }
}
