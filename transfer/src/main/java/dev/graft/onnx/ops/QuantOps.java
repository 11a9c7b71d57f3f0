package dev.graft.onnx.ops;

/** ONNX ops: see {@link #register}. */
final class QuantOps {
    private QuantOps() {
    }

    static void register(OpRegistry r) {
    }
}
