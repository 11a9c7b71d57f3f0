package dev.graft.onnx;

/** A model file that cannot be read or run: the message names the file, node or tensor, and what was expected. */
public class OnnxException extends RuntimeException {
    public OnnxException(String message) {
        super(message);
    }

    public OnnxException(String message, Throwable cause) {
        super(message, cause);
    }
}
