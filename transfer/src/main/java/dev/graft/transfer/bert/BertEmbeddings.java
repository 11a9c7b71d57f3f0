package dev.graft.transfer.bert;

import dev.graft.nn.Dropout;
import dev.graft.nn.Embedding;
import dev.graft.nn.LayerNorm;
import dev.graft.nn.Module;
import dev.graft.nn.WeightSource;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;

/**
 * word + token-type + position embeddings, then LayerNorm and dropout. Children
 * {@code word_embeddings}, {@code position_embeddings}, {@code token_type_embeddings},
 * {@code LayerNorm}, {@code dropout}, as in Hugging Face. Positions are 0..T-1 (HF's
 * {@code position_ids} buffer, which is not a parameter and not kept here).
 */
public class BertEmbeddings extends Module {
    private final BertConfig config;
    private final Embedding word;
    private final Embedding position;
    private final Embedding tokenType;
    private final LayerNorm norm;
    private final Dropout dropout;

    public BertEmbeddings(BertConfig config, WeightSource ws) {
        this.config = config;
        word = registerModule("word_embeddings", new Embedding(config.vocabSize(), config.hidden(), -1, ws.pp("word_embeddings")));
        position = registerModule("position_embeddings",
                new Embedding(config.maxPosition(), config.hidden(), -1, ws.pp("position_embeddings")));
        tokenType = registerModule("token_type_embeddings",
                new Embedding(config.typeVocab(), config.hidden(), -1, ws.pp("token_type_embeddings")));
        norm = registerModule("LayerNorm", new LayerNorm(new int[] {config.hidden()}, config.layerNormEps(), true, true,
                ws.pp("LayerNorm")));
        dropout = registerModule("dropout", new Dropout(config.hiddenDropout()));
    }

    /** inputIds [B, T]; tokenTypeIds [B, T] or null (all segment 0). Returns [B, T, H]. */
    public Tensor forward(Tensor inputIds, Tensor tokenTypeIds) {
        int t = inputIds.size(1);
        Tensor x = word.forward(inputIds);
        // the exported graph adds word + token type first, then position: same order, same rounding
        x = x.add(tokenTypeIds == null ? tokenType.parameter("weight").select(0, 0) : tokenType.forward(tokenTypeIds));
        Tensor positions = Tensor.arange(0, t, 1, DType.INT64);
        x = x.add(position.forward(positions));
        return dropout.forward(norm.forward(x));
    }

    public Embedding wordEmbeddings() {
        return word;
    }

    public Embedding positionEmbeddings() {
        return position;
    }

    public Embedding tokenTypeEmbeddings() {
        return tokenType;
    }

    public LayerNorm layerNorm() {
        return norm;
    }

    @Override
    protected String extraRepr() {
        return "vocab=" + config.vocabSize() + ", hidden=" + config.hidden();
    }
}
