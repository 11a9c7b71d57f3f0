package dev.graft.onnx.ops;

/** ONNX ops: see {@link #register}. */
final class ShapeOps {
    private ShapeOps() {
    }

    static void register(OpRegistry r) {
    }
}
