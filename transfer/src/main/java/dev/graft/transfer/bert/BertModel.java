package dev.graft.transfer.bert;

import dev.graft.nn.Module;
import dev.graft.nn.WeightSource;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.TensorShapeException;
import dev.graft.tensor.TensorTypeException;

import java.util.Arrays;

/**
 * A BERT encoder as Graft layers, with Hugging Face's parameter names: {@code embeddings.*},
 * {@code encoder.layer.N.attention.self.{query,key,value}}, {@code encoder.layer.N.attention.output.{dense,LayerNorm}},
 * {@code encoder.layer.N.intermediate.dense}, {@code encoder.layer.N.output.{dense,LayerNorm}} and,
 * when built with one, {@code pooler.dense}. Fine-tuning code freezes, unfreezes and groups
 * parameters by these names.
 *
 * <p>Like every Module it starts in training mode (dropout active); call {@link #eval()} for
 * inference. {@link BertOnnxLoader} returns it in eval mode, as {@code from_pretrained} does.
 */
public class BertModel extends Module {
    private final BertConfig config;
    private final BertEmbeddings embeddings;
    private final BertEncoder encoder;
    private final BertPooler pooler;

    /** Without a pooler (what sentence encoders export). */
    public BertModel(BertConfig config, WeightSource ws) {
        this(config, false, ws);
    }

    public BertModel(BertConfig config, boolean withPooler, WeightSource ws) {
        this.config = config;
        embeddings = registerModule("embeddings", new BertEmbeddings(config, ws.pp("embeddings")));
        encoder = registerModule("encoder", new BertEncoder(config, ws.pp("encoder")));
        pooler = withPooler ? registerModule("pooler", new BertPooler(config, ws.pp("pooler"))) : null;
    }

    /**
     * last_hidden_state [B, T, H] for inputIds [B, T] (int64 or int32), attentionMask [B, T]
     * (1 = token, 0 = padding; null = all tokens) and tokenTypeIds [B, T] (null = all segment 0).
     */
    public Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds) {
        checkInputs(inputIds, attentionMask, tokenTypeIds);
        Tensor x = embeddings.forward(inputIds, tokenTypeIds);
        // a mask of all ones adds exactly 0 to every score: skip the pass (unpadded batches, batch 1)
        boolean allTokens = attentionMask == null || allOnes(attentionMask);
        return encoder.forward(x, allTokens ? null : extendedMask(attentionMask));
    }

    private static boolean allOnes(Tensor mask) {
        for (double v : mask.toDoubleArray()) {
            if (v != 1) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Tensor forward(Tensor inputIds) {
        return forward(inputIds, null, null);
    }

    /** HF's pooler_output, tanh(dense(last_hidden[:, 0])); only for a model built with a pooler. */
    public Tensor pool(Tensor lastHidden) {
        if (pooler == null) {
            throw new IllegalStateException("BertModel: this model has no pooler (build it with withPooler = true)");
        }
        return pooler.forward(lastHidden);
    }

    /**
     * (1 - mask) * maskValue as [B, 1, 1, T] float32, added to every head's scores: 0 where a key
     * is a token, the exporter's large negative constant where it is padding.
     */
    Tensor extendedMask(Tensor attentionMask) {
        int b = attentionMask.size(0);
        int t = attentionMask.size(1);
        Tensor m = attentionMask.to(DType.FLOAT32).mul(-1).add(1).mul(config.attentionMaskValue());
        return m.view(b, 1, 1, t);
    }

    private void checkInputs(Tensor ids, Tensor mask, Tensor types) {
        if (ids == null) {
            throw new IllegalArgumentException("BertModel: inputIds is null");
        }
        if (ids.dim() != 2 || (ids.dtype() != DType.INT64 && ids.dtype() != DType.INT32)) {
            throw new TensorShapeException("BertModel: inputIds must be [batch, tokens] int64 or int32, got "
                    + Arrays.toString(ids.shape()) + " " + ids.dtype());
        }
        if (ids.size(1) > config.maxPosition()) {
            throw new TensorShapeException("BertModel: " + ids.size(1) + " tokens exceed the " + config.maxPosition()
                    + " positions of the model");
        }
        checkSame("attentionMask", ids, mask);
        checkSame("tokenTypeIds", ids, types);
        checkRange("inputIds", ids, config.vocabSize(), "the vocabulary");
        if (types != null) {
            checkRange("tokenTypeIds", types, config.typeVocab(), "the token types");
        }
        if (mask != null && !mask.dtype().isComputable()) {
            throw new TensorTypeException("BertModel: attentionMask has dtype " + mask.dtype());
        }
    }

    private static void checkRange(String what, Tensor t, int size, String table) {
        if (t.dtype() != DType.INT64 && t.dtype() != DType.INT32) {
            throw new TensorTypeException("BertModel: " + what + " must be int64 or int32, got " + t.dtype());
        }
        long[] v = t.toLongArray();
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 0 || v[i] >= size) {
                throw new TensorShapeException("BertModel: " + what + " holds " + v[i] + " at [" + i / t.size(1) + ", "
                        + i % t.size(1) + "], outside " + table + " (0 to " + (size - 1) + ")");
            }
        }
    }

    private static void checkSame(String what, Tensor ids, Tensor t) {
        if (t != null && !Arrays.equals(t.shape(), ids.shape())) {
            throw new TensorShapeException("BertModel: " + what + " has shape " + Arrays.toString(t.shape()) + ", inputIds "
                    + Arrays.toString(ids.shape()) + "; they must match");
        }
    }

    public BertConfig config() {
        return config;
    }

    public BertEmbeddings embeddings() {
        return embeddings;
    }

    public BertEncoder encoder() {
        return encoder;
    }

    /** The pooler, or null when built without one. */
    public BertPooler pooler() {
        return pooler;
    }

    @Override
    protected String extraRepr() {
        return "layers=" + config.layers() + ", hidden=" + config.hidden() + ", heads=" + config.heads() + ", intermediate="
                + config.intermediate();
    }
}
