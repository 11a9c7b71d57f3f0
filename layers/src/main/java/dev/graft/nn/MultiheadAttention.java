package dev.graft.nn;

import dev.graft.nn.init.Init;
import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.TensorShapeException;

import java.util.Arrays;

/**
 * Multi-head scaled dot-product attention with PyTorch's parameter layout: {@code in_proj_weight}
 * [3E, E] and {@code in_proj_bias} [3E] (query, key, value stacked) and the {@code out_proj}
 * Linear. Inputs are [N, L, E] when batchFirst, else [L, N, E]. A key padding mask [N, S] (bool,
 * true = ignore that key) and an attention mask [L, S] (bool, true = not allowed, or float added to
 * the scores) are optional.
 */
public class MultiheadAttention extends Module {
    private final int embedDim;
    private final int numHeads;
    private final double dropout;
    private final boolean batchFirst;
    private final Generator generator;

    /** The attended values and the attention weights averaged over heads ([N, L, S]). */
    public record Output(Tensor output, Tensor weights) {
    }

    public MultiheadAttention(int embedDim, int numHeads) {
        this(embedDim, numHeads, 0.0, true, true, WeightSource.defaults());
    }

    public MultiheadAttention(int embedDim, int numHeads, double dropout, boolean bias, boolean batchFirst, WeightSource ws) {
        if (numHeads <= 0 || embedDim % numHeads != 0) {
            throw new IllegalArgumentException("MultiheadAttention: embedDim " + embedDim + " must be divisible by numHeads " + numHeads);
        }
        this.embedDim = embedDim;
        this.numHeads = numHeads;
        this.dropout = dropout;
        this.batchFirst = batchFirst;
        this.generator = new Generator(Init.defaultGenerator().nextLong());
        registerParameter("in_proj_weight", ws.get("in_proj_weight", new int[] {3 * embedDim, embedDim}, Init.xavierUniform(1)));
        registerParameter("in_proj_bias", bias ? ws.get("in_proj_bias", new int[] {3 * embedDim}, Init.zeros()) : null);
        Linear out = new Linear(embedDim, embedDim, bias, new ZeroBiasSource(ws.pp("out_proj")));
        registerModule("out_proj", out);
    }

    @Override
    public Tensor forward(Tensor x) {
        return forward(x, x, x, null, null).output();
    }

    public Output forward(Tensor query, Tensor key, Tensor value, Tensor keyPaddingMask, Tensor attnMask) {
        Tensor q0 = batchFirst ? query : query.transpose(0, 1);
        Tensor k0 = batchFirst ? key : key.transpose(0, 1);
        Tensor v0 = batchFirst ? value : value.transpose(0, 1);
        if (q0.dim() != 3 || q0.size(2) != embedDim || k0.dim() != 3 || k0.size(2) != embedDim || v0.dim() != 3
                || k0.size(0) != q0.size(0) || v0.size(0) != q0.size(0) || v0.size(1) != k0.size(1)) {
            throw new TensorShapeException("MultiheadAttention: query " + Arrays.toString(query.shape()) + ", key "
                    + Arrays.toString(key.shape()) + ", value " + Arrays.toString(value.shape()) + " must be "
                    + (batchFirst ? "[N, L, " : "[L, N, ") + embedDim + "] with matching batch and key/value lengths");
        }
        int n = q0.size(0);
        int l = q0.size(1);
        int s = k0.size(1);
        int dh = embedDim / numHeads;
        Tensor w = parameter("in_proj_weight");
        Tensor b = parameter("in_proj_bias");
        Tensor q = project(q0, w.narrow(0, 0, embedDim), b == null ? null : b.narrow(0, 0, embedDim), n, l, dh);
        Tensor k = project(k0, w.narrow(0, embedDim, embedDim), b == null ? null : b.narrow(0, embedDim, embedDim), n, s, dh);
        Tensor v = project(v0, w.narrow(0, 2 * embedDim, embedDim), b == null ? null : b.narrow(0, 2 * embedDim, embedDim), n, s, dh);
        Tensor mask = null;
        if (keyPaddingMask != null) {
            if (!Arrays.equals(keyPaddingMask.shape(), new int[] {n, s}) || keyPaddingMask.dtype() != DType.BOOL) {
                throw new TensorShapeException("MultiheadAttention: key padding mask must be bool [" + n + ", " + s + "], got "
                        + keyPaddingMask.dtype() + " " + Arrays.toString(keyPaddingMask.shape()));
            }
            mask = keyPaddingMask.reshape(n, 1, 1, s);
        }
        if (attnMask != null) {
            if (!Arrays.equals(attnMask.shape(), new int[] {l, s})) {
                throw new TensorShapeException("MultiheadAttention: attention mask must be [" + l + ", " + s + "], got "
                        + Arrays.toString(attnMask.shape()));
            }
            if (attnMask.dtype() == DType.BOOL) {
                mask = mask == null ? attnMask : mask.logicalOr(attnMask);
            } else {
                Tensor add = attnMask.to(q.dtype());
                mask = mask == null ? add : Tensor.where(mask, Tensor.scalar(Double.NEGATIVE_INFINITY, q.dtype()), add);
            }
        }
        Tensor[] r = Functional.scaledDotProductAttention(q, k, v, mask, dropout, isTraining(), generator);
        Tensor merged = r[0].permute(0, 2, 1, 3).reshape(n, l, embedDim);
        Tensor out = child("out_proj").forward(merged);
        if (!batchFirst) {
            out = out.transpose(0, 1);
        }
        return new Output(out, r[1].mean(new int[] {1}, false));
    }

    /** x [N, T, E] -> [N, heads, T, dh]. */
    private Tensor project(Tensor x, Tensor w, Tensor b, int n, int t, int dh) {
        return Functional.linear(x, w, b).reshape(n, t, numHeads, dh).permute(0, 2, 1, 3);
    }

    /** out_proj's bias starts at zero in PyTorch (not Linear's default), unless pretrained. */
    private static final class ZeroBiasSource extends WeightSource {
        private final WeightSource inner;

        ZeroBiasSource(WeightSource inner) {
            super(inner.path(""));
            this.inner = inner;
        }

        @Override
        public Tensor get(String name, int[] shape, dev.graft.nn.init.Initializer init) {
            return inner.get(name, shape, name.equals("bias") ? Init.zeros() : init);
        }

        @Override
        public WeightSource pp(String child) {
            return inner.pp(child);
        }

        @Override
        public boolean contains(String name) {
            return inner.contains(name);
        }
    }
}
