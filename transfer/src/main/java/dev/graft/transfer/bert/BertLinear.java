package dev.graft.transfer.bert;

import dev.graft.autograd.GradMode;
import dev.graft.nn.Linear;
import dev.graft.nn.WeightSource;
import dev.graft.tensor.Storage;
import dev.graft.tensor.Tensor;

/**
 * A {@link Linear} (weight [out, in], PyTorch's layout and names) whose inference path multiplies
 * by a cached contiguous copy of W^T, [in, out]. The GEMM reads such a right operand in place,
 * whereas W^T as a view of [out, in] has to be repacked on every call; for the few rows of a
 * batch-1 forward that repacking costs more than the product itself (measured 2-4x on the
 * [16, 384] x [384, 1536] feed-forward GEMM on one thread).
 *
 * <p>The cache is used only when no gradient can reach the weight (grad mode off, or the weight
 * frozen): a gradient for x still flows, since W^T is constant then. It is rebuilt when the
 * weight's storage version changes, which every in-place write through the Tensor API (optimizer
 * steps, {@code loadStateDict}) bumps. It costs one more copy of the weight, made on first use.
 */
public class BertLinear extends Linear {
    private volatile Cached cached;

    private record Cached(Storage storage, int version, Tensor weightT) {
    }

    public BertLinear(int inFeatures, int outFeatures, WeightSource ws) {
        super(inFeatures, outFeatures, true, ws);
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor w = weight();
        if (GradMode.isEnabled() && w.requiresGrad()) {
            return super.forward(x);
        }
        if (x.dim() == 0 || x.size(-1) != w.size(1)) {
            return super.forward(x); // Linear reports the shape error
        }
        Tensor y = x.matmul(weightT(w));
        Tensor b = bias();
        return b == null ? y : y.add(b);
    }

    private Tensor weightT(Tensor w) {
        Cached c = cached;
        Storage s = w.storage();
        if (c == null || c.storage != s || c.version != s.version()) {
            c = new Cached(s, s.version(), w.detach().t().contiguous());
            cached = c;
        }
        return c.weightT;
    }
}
