package dev.graft.nn;

import dev.graft.autograd.Autograd;
import dev.graft.nn.init.Init;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.TensorTypeException;

import java.util.Arrays;

/**
 * A lookup table [num, dim] indexed by integer tensors. With a padding index, that row starts at
 * zero and never receives a gradient (as in PyTorch).
 */
public class Embedding extends Module {
    private final int num;
    private final int dim;
    private final int paddingIdx;

    public Embedding(int num, int dim) {
        this(num, dim, -1, WeightSource.defaults());
    }

    /** paddingIdx &lt; 0 means none. */
    public Embedding(int num, int dim, int paddingIdx, WeightSource ws) {
        if (paddingIdx >= num) {
            throw new IllegalArgumentException("Embedding: padding index " + paddingIdx + " is out of range for " + num + " embeddings");
        }
        this.num = num;
        this.dim = dim;
        this.paddingIdx = paddingIdx;
        boolean pretrained = ws.contains("weight");
        Tensor w = registerParameter("weight", ws.get("weight", new int[] {num, dim}, Init.normal(0, 1)));
        if (paddingIdx >= 0) {
            if (!pretrained) {
                try (var g = dev.graft.autograd.NoGrad.enter()) {
                    w.select(0, paddingIdx).fill(0);
                }
            }
            Tensor keep = Tensor.ones(DType.FLOAT32, num, 1);
            keep.set(0, paddingIdx, 0);
            Autograd.registerHook(w, g -> g.mul(keep.to(g.dtype())));
        }
    }

    @Override
    public Tensor forward(Tensor indices) {
        if (indices.dtype() != DType.INT64 && indices.dtype() != DType.INT32) {
            throw new TensorTypeException("Embedding: indices must be int64 or int32, got " + indices.dtype());
        }
        int[] s = Arrays.copyOf(indices.shape(), indices.dim() + 1);
        s[indices.dim()] = dim;
        return parameter("weight").indexSelect(0, indices.reshape(-1)).reshape(s);
    }

    @Override
    protected String extraRepr() {
        return num + ", " + dim + (paddingIdx >= 0 ? ", padding_idx=" + paddingIdx : "");
    }
}
