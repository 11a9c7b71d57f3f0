package dev.graft.transfer.bert;

import java.util.Locale;

/**
 * The hyperparameters of a BERT encoder, as in Hugging Face's {@code BertConfig}.
 *
 * @param vocabSize             rows of the word embedding table
 * @param hidden                model width H
 * @param layers                number of encoder layers
 * @param heads                 attention heads per layer (H must be a multiple of it)
 * @param intermediate          width of the feed-forward layer
 * @param maxPosition           rows of the position embedding table (the longest sequence)
 * @param typeVocab             rows of the token-type (segment) embedding table
 * @param layerNormEps          epsilon of every LayerNorm (BERT: 1e-12)
 * @param activation            the feed-forward activation
 * @param hiddenDropout         dropout after the embeddings and each sub-layer (training only)
 * @param attentionDropout      dropout on the attention probabilities (training only)
 * @param attentionMaskValue    what a masked (padding) key adds to the attention scores: the
 *                              exporter's constant, {@code -Float.MAX_VALUE} for current PyTorch
 *                              exports and -10000 for older ones. They differ only for a row whose
 *                              every key is masked (the first gives uniform weights, the second
 *                              ignores the mask), but they are kept exact so both paths agree there too.
 */
public record BertConfig(int vocabSize, int hidden, int layers, int heads, int intermediate, int maxPosition,
                         int typeVocab, double layerNormEps, Activation activation, double hiddenDropout,
                         double attentionDropout, double attentionMaskValue) {

    /** Feed-forward activations of the BERT family ({@code hidden_act}). */
    public enum Activation {
        /** exact GELU, x * Phi(x) with erf ({@code "gelu"}). */
        GELU,
        /** GELU's tanh approximation ({@code "gelu_new"}, {@code "gelu_pytorch_tanh"}). */
        GELU_TANH,
        RELU;

        /** Hugging Face's {@code hidden_act} string. */
        public static Activation of(String hfName) {
            return switch (hfName.toLowerCase(Locale.ROOT)) {
                case "gelu" -> GELU;
                case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> GELU_TANH;
                case "relu" -> RELU;
                default -> throw new IllegalArgumentException("BertConfig: unsupported activation '" + hfName
                        + "' (supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu)");
            };
        }
    }

    public BertConfig {
        if (vocabSize <= 0 || hidden <= 0 || layers < 0 || heads <= 0 || intermediate <= 0 || maxPosition <= 0 || typeVocab <= 0) {
            throw new IllegalArgumentException("BertConfig: sizes must be positive (layers >= 0), got " + describe(vocabSize, hidden,
                    layers, heads, intermediate, maxPosition, typeVocab));
        }
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("BertConfig: hidden size " + hidden + " is not a multiple of the " + heads + " heads");
        }
        if (!(layerNormEps > 0)) {
            throw new IllegalArgumentException("BertConfig: layerNormEps must be > 0, got " + layerNormEps);
        }
        if (activation == null) {
            throw new IllegalArgumentException("BertConfig: activation is null");
        }
        if (!(hiddenDropout >= 0 && hiddenDropout <= 1) || !(attentionDropout >= 0 && attentionDropout <= 1)) {
            throw new IllegalArgumentException("BertConfig: dropout probabilities must be in [0, 1], got hidden " + hiddenDropout
                    + ", attention " + attentionDropout);
        }
        if (!(attentionMaskValue < 0) || Double.isInfinite(attentionMaskValue)) {
            // -inf would turn a fully masked row into NaN; the exporters use a finite negative number
            throw new IllegalArgumentException("BertConfig: attentionMaskValue must be finite and negative, got " + attentionMaskValue);
        }
    }

    /** BERT's defaults for everything that is not a size: LayerNorm eps 1e-12, exact GELU, dropout 0.1, mask -FLT_MAX. */
    public static BertConfig of(int vocabSize, int hidden, int layers, int heads, int intermediate, int maxPosition, int typeVocab) {
        return new BertConfig(vocabSize, hidden, layers, heads, intermediate, maxPosition, typeVocab, 1e-12, Activation.GELU, 0.1,
                0.1, -Float.MAX_VALUE);
    }

    /** Width of one attention head. */
    public int headDim() {
        return hidden / heads;
    }

    /** A copy with other dropout probabilities (e.g. 0 for deterministic fine-tuning tests). */
    public BertConfig withDropout(double hidden, double attention) {
        return new BertConfig(vocabSize, this.hidden, layers, heads, intermediate, maxPosition, typeVocab, layerNormEps, activation,
                hidden, attention, attentionMaskValue);
    }

    private static String describe(int v, int h, int l, int n, int i, int p, int t) {
        return "vocab " + v + ", hidden " + h + ", layers " + l + ", heads " + n + ", intermediate " + i + ", maxPosition " + p
                + ", typeVocab " + t;
    }
}
