package dev.graft.nn;

import dev.graft.tensor.Tensor;

/**
 * A Transformer encoder block with PyTorch's names (self_attn, linear1, dropout, linear2, norm1,
 * norm2, dropout1, dropout2). Post-norm (the original, BERT's) by default; pre-norm when normFirst.
 */
public class TransformerEncoderLayer extends Module {
    private final boolean normFirst;
    private final boolean gelu;

    public TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward) {
        this(dModel, nhead, dimFeedforward, 0.1, "relu", 1e-5, true, false, WeightSource.defaults());
    }

    /** activation: "relu" or "gelu". */
    public TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward, double dropout, String activation, double layerNormEps,
                                   boolean batchFirst, boolean normFirst, WeightSource ws) {
        if (!activation.equals("relu") && !activation.equals("gelu")) {
            throw new IllegalArgumentException("TransformerEncoderLayer: activation must be relu or gelu, got '" + activation + "'");
        }
        this.normFirst = normFirst;
        this.gelu = activation.equals("gelu");
        registerModule("self_attn", new MultiheadAttention(dModel, nhead, dropout, true, batchFirst, ws.pp("self_attn")));
        registerModule("linear1", new Linear(dModel, dimFeedforward, true, ws.pp("linear1")));
        registerModule("dropout", new Dropout(dropout));
        registerModule("linear2", new Linear(dimFeedforward, dModel, true, ws.pp("linear2")));
        registerModule("norm1", new LayerNorm(new int[] {dModel}, layerNormEps, true, true, ws.pp("norm1")));
        registerModule("norm2", new LayerNorm(new int[] {dModel}, layerNormEps, true, true, ws.pp("norm2")));
        registerModule("dropout1", new Dropout(dropout));
        registerModule("dropout2", new Dropout(dropout));
    }

    @Override
    public Tensor forward(Tensor src) {
        return forward(src, null, null);
    }

    public Tensor forward(Tensor src, Tensor srcMask, Tensor srcKeyPaddingMask) {
        Tensor x = src;
        if (normFirst) {
            x = x.add(selfAttention(child("norm1").forward(x), srcMask, srcKeyPaddingMask));
            x = x.add(feedForward(child("norm2").forward(x)));
        } else {
            x = child("norm1").forward(x.add(selfAttention(x, srcMask, srcKeyPaddingMask)));
            x = child("norm2").forward(x.add(feedForward(x)));
        }
        return x;
    }

    private Tensor selfAttention(Tensor x, Tensor mask, Tensor keyPadding) {
        MultiheadAttention sa = (MultiheadAttention) child("self_attn");
        return child("dropout1").forward(sa.forward(x, x, x, keyPadding, mask).output());
    }

    private Tensor feedForward(Tensor x) {
        Tensor h = child("linear1").forward(x);
        h = gelu ? h.gelu() : h.relu();
        return child("dropout2").forward(child("linear2").forward(child("dropout").forward(h)));
    }
}
