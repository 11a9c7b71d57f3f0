package dev.graft.onnx.ops;

/** ONNX ops: see {@link #register}. */
final class NnOps {
    private NnOps() {
    }

    static void register(OpRegistry r) {
    }
}
