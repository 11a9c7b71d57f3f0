package dev.graft.optim;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;

import java.util.Arrays;

/**
 * What the one-pass updates ({@link SGD}'s plain step, {@link AdamUpdate}'s fused step) share:
 * which tensors they take and how an update they write straight into a parameter's array stays
 * visible to autograd.
 *
 * <p>{@code -Dgraft.optim.fused=false} turns the fused Adam/AdamW step off (read on every step), so
 * the composed path can be measured and compared in the same build.
 */
final class FusedUpdate {
    /** Elements per task of a one-pass update: a fixed size, so the split does not depend on the thread count. */
    static final int CHUNK = 1 << 14;

    private FusedUpdate() {
    }

    static boolean enabled() {
        return !"false".equals(System.getProperty("graft.optim.fused"));
    }

    /** True for non-empty contiguous float32 CPU tensors of p's shape (a null buffer counts: it does not exist yet). */
    static boolean flatFloat32(Tensor p, Tensor... others) {
        if (!isFlat(p) || p.numel() == 0) {
            return false;
        }
        for (Tensor t : others) {
            if (t != null && (!isFlat(t) || !Arrays.equals(t.shape(), p.shape()))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isFlat(Tensor t) {
        return t.dtype() == DType.FLOAT32 && t.device().isCpu() && t.isContiguous();
    }

    /**
     * An in-place write must advance the storage's version (autograd refuses to reuse graphs that
     * saved the old values): set() does, here rewriting the first element with its own value.
     */
    static void touched(Tensor param) {
        float[] p = (float[]) param.storage().array();
        param.set(p[param.offset()], new int[param.dim()]);
    }
}
