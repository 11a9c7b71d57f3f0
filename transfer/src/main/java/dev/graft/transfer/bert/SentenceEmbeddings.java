package dev.graft.transfer.bert;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.TensorShapeException;

import java.util.Arrays;

/**
 * Sentence embeddings from token states, as sentence-transformers computes them: the mean of the
 * token vectors where the attention mask is 1, then L2 normalisation. Differentiable (composed of
 * tensor ops), so a pooled loss fine-tunes the encoder underneath.
 */
public final class SentenceEmbeddings {
    /** sentence-transformers clamps the token count and the norm from below by this. */
    private static final double MIN_COUNT = 1e-9;
    private static final double MIN_NORM = 1e-12;

    private SentenceEmbeddings() {
    }

    /** Mean of lastHidden [B, T, H] over the tokens whose mask [B, T] is nonzero: [B, H]. An all-padding row gives zeros. */
    public static Tensor meanPool(Tensor lastHidden, Tensor mask) {
        if (lastHidden.dim() != 3 || mask == null || mask.dim() != 2 || mask.size(0) != lastHidden.size(0)
                || mask.size(1) != lastHidden.size(1)) {
            throw new TensorShapeException("meanPool: expects hidden states [B, T, H] and a mask [B, T], got "
                    + Arrays.toString(lastHidden.shape()) + " and " + (mask == null ? "null" : Arrays.toString(mask.shape())));
        }
        Tensor m = mask.to(lastHidden.dtype()).unsqueeze(2);
        Tensor sum = lastHidden.mul(m).sum(new int[] {1}, false);
        Tensor count = m.sum(new int[] {1}, false).clamp(MIN_COUNT, Double.MAX_VALUE);
        return sum.div(count);
    }

    /** x / max(||x||_2, 1e-12) along the last axis. */
    public static Tensor l2Normalize(Tensor x) {
        if (x.dim() == 0) {
            throw new TensorShapeException("l2Normalize: expects at least one dimension, got a scalar");
        }
        Tensor norm = x.square().sum(new int[] {x.dim() - 1}, true).sqrt().clamp(MIN_NORM, Double.MAX_VALUE);
        return x.div(norm);
    }

    /** l2Normalize(meanPool(lastHidden, mask)): the sentence embedding of all-MiniLM-L6-v2 and its kin. */
    public static Tensor embed(Tensor lastHidden, Tensor mask) {
        return l2Normalize(meanPool(lastHidden, mask));
    }

    /** Cosine similarity of two vectors (or the rows of two [B, H] tensors), in float64: [B] or a scalar. */
    public static Tensor cosine(Tensor a, Tensor b) {
        Tensor x = a.to(DType.FLOAT64);
        Tensor y = b.to(DType.FLOAT64);
        int last = x.dim() - 1;
        Tensor dot = x.mul(y).sum(new int[] {last}, false);
        return dot.div(x.square().sum(new int[] {last}, false).sqrt().mul(y.square().sum(new int[] {last}, false).sqrt()));
    }
}
