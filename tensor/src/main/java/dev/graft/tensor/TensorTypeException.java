package dev.graft.tensor;

/** An element type an operation cannot accept; the message names the op, the dtypes and what was expected. */
public class TensorTypeException extends IllegalArgumentException {
    public TensorTypeException(String message) {
        super(message);
    }
}
