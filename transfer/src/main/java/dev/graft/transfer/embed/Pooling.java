package dev.graft.transfer.embed;

import dev.graft.tensor.Tensor;
import dev.graft.tensor.TensorShapeException;

import java.util.Arrays;

/** Pooling of token states into sentence vectors; differentiable (composed of Tensor ops). */
public final class Pooling {
    private Pooling() {
    }

    /**
     * Mean of {@code hidden [B, T, H]} over the tokens whose {@code mask [B, T]} is non-zero (a row
     * with no kept token gives zeros, as sentence-transformers' clamp to 1e-9 does).
     */
    public static Tensor meanPool(Tensor hidden, Tensor mask) {
        if (hidden.dim() != 3 || mask.dim() != 2 || hidden.size(0) != mask.size(0) || hidden.size(1) != mask.size(1)) {
            throw new TensorShapeException("meanPool: hidden must be [B, T, H] and mask [B, T], got "
                    + Arrays.toString(hidden.shape()) + " and " + Arrays.toString(mask.shape()));
        }
        Tensor m = mask.to(hidden.dtype()).unsqueeze(2);                  // [B, T, 1]
        Tensor sum = hidden.mul(m).sum(new int[] {1}, false);            // [B, H]
        Tensor count = m.sum(new int[] {1}, false).maximum(1e-9);        // [B, 1]
        return sum.div(count);
    }

    /** Rows of {@code x [B, H]} scaled to unit L2 norm (norms below 1e-12 are clamped, as torch's normalize does). */
    public static Tensor l2Normalize(Tensor x) {
        Tensor norm = x.square().sum(new int[] {x.dim() - 1}, true).sqrt().maximum(1e-12);
        return x.div(norm);
    }
}
