package dev.graft.onnx.ops;

/** ONNX ops: see {@link #register}. */
final class MathOps {
    private MathOps() {
    }

    static void register(OpRegistry r) {
    }
}
