package dev.graft.transfer.bert;

import dev.graft.nn.Dropout;
import dev.graft.nn.Linear;
import dev.graft.nn.Module;
import dev.graft.nn.WeightSource;
import dev.graft.tensor.Tensor;

/**
 * Multi-head scaled dot-product self-attention with separate {@code query}, {@code key} and
 * {@code value} projections (Hugging Face's {@code BertSelfAttention}): each head computes
 * softmax(q k^T / sqrt(d) + mask) v, and the heads are concatenated back to [B, T, H].
 */
public class BertSelfAttention extends Module {
    private final int heads;
    private final int headDim;
    private final Linear query;
    private final Linear key;
    private final Linear value;
    private final Dropout dropout;

    public BertSelfAttention(BertConfig config, WeightSource ws) {
        int h = config.hidden();
        heads = config.heads();
        headDim = config.headDim();
        query = registerModule("query", new BertLinear(h, h, ws.pp("query")));
        key = registerModule("key", new BertLinear(h, h, ws.pp("key")));
        value = registerModule("value", new BertLinear(h, h, ws.pp("value")));
        dropout = registerModule("dropout", new Dropout(config.attentionDropout()));
    }

    /**
     * x [B, T, H]; extendedMask [B, 1, 1, T] holding 0 for tokens and the mask value for padding
     * (or null). Returns the concatenated heads [B, T, H], before the output projection.
     */
    public Tensor forward(Tensor x, Tensor extendedMask) {
        int b = x.size(0);
        int t = x.size(1);
        // [B, T, H] -> [B, T, heads, d] -> [B, heads, T, d]: views, the GEMMs read the strides
        Tensor q = query.forward(x).view(b, t, heads, headDim).permute(0, 2, 1, 3);
        Tensor k = key.forward(x).view(b, t, heads, headDim).permute(0, 2, 3, 1);
        Tensor v = value.forward(x).view(b, t, heads, headDim).permute(0, 2, 1, 3);
        // divide (not multiply by the reciprocal) like the exported graph, for the same rounding
        Tensor scores = q.matmul(k).div(Math.sqrt(headDim));
        if (extendedMask != null) {
            scores = scores.add(extendedMask);
        }
        Tensor probs = dropout.forward(scores.softmax(-1));
        return probs.matmul(v).permute(0, 2, 1, 3).reshape(b, t, heads * headDim);
    }

    public Linear query() {
        return query;
    }

    public Linear key() {
        return key;
    }

    public Linear value() {
        return value;
    }

    @Override
    protected String extraRepr() {
        return "heads=" + heads + ", head_dim=" + headDim;
    }
}
