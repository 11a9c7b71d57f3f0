package dev.graft.transfer.bert;

import dev.graft.nn.Dropout;
import dev.graft.nn.LayerNorm;
import dev.graft.nn.Linear;
import dev.graft.nn.Module;
import dev.graft.nn.WeightSource;
import dev.graft.tensor.Tensor;

/**
 * The residual sub-layer ending of BERT: LayerNorm(dropout(dense(h)) + input), with children
 * {@code dense}, {@code LayerNorm}, {@code dropout}. Hugging Face has two classes of this shape,
 * {@code BertSelfOutput} (H -> H, after attention) and {@code BertOutput} (I -> H, after the
 * feed-forward); one serves both here.
 */
public class BertOutput extends Module {
    private final Linear dense;
    private final LayerNorm norm;
    private final Dropout dropout;

    public BertOutput(BertConfig config, int inFeatures, WeightSource ws) {
        dense = registerModule("dense", new BertLinear(inFeatures, config.hidden(), ws.pp("dense")));
        norm = registerModule("LayerNorm", new LayerNorm(new int[] {config.hidden()}, config.layerNormEps(), true, true,
                ws.pp("LayerNorm")));
        dropout = registerModule("dropout", new Dropout(config.hiddenDropout()));
    }

    /** h [B, T, in], residual [B, T, H]. */
    public Tensor forward(Tensor h, Tensor residual) {
        return norm.forward(dropout.forward(dense.forward(h)).add(residual));
    }

    public Linear dense() {
        return dense;
    }

    public LayerNorm layerNorm() {
        return norm;
    }
}
