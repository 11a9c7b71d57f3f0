package dev.graft.tokenizers;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A BERT WordPiece tokenizer read from a Hugging Face {@code tokenizer.json}, giving the ids, type
 * ids and attention masks the Rust {@code tokenizers} library gives for the same file: added
 * (special) tokens, BertNormalizer, BertPreTokenizer, WordPiece, the single-sequence template
 * ({@code [CLS] $A [SEP]}), truncation and padding.
 *
 * <p>Two choices differ from the file on purpose. Truncation is always on: to the file's
 * {@code truncation.max_length}, or to {@value #DEFAULT_MAX_LENGTH} (BERT's position embeddings) when
 * the file has none; {@link #withMaxLength} changes it. A batch is padded to its longest encoding,
 * never to a fixed length, whatever the file's padding strategy says (its pad id, pad type id,
 * direction and pad_to_multiple_of are used).
 *
 * <pre>{@code
 * BertTokenizer tok = BertTokenizer.fromJson(Path.of("tokenizer.json"));
 * BatchEncoding batch = tok.encodeBatch(List.of("Hello world!", "Transfer learning on the JVM."));
 * Tensor ids = batch.idsTensor();            // int64 [2, seqLen]
 * Tensor mask = batch.attentionMaskTensor(); // 1 for tokens, 0 for padding
 * }</pre>
 *
 * <p>Instances are immutable and safe to share between threads.
 */
public final class BertTokenizer {
    /** The maximum length when the tokenizer.json has no truncation block. */
    public static final int DEFAULT_MAX_LENGTH = 512;

    /** Pad id, pad type id, side and pad_to_multiple_of (0 for none). */
    record Padding(int id, int typeId, boolean left, int multipleOf) {
    }

    private final String source;
    private final AddedTokens added;
    private final BertNormalizer normalizer;
    private final WordPiece model;
    private final Template template;
    private final int maxLength;
    private final boolean truncateLeft;
    private final Padding padding;
    private final Map<String, Integer> addedIds;
    private final String[] idToToken;
    private final int vocabSize;

    BertTokenizer(String source, AddedTokens added, BertNormalizer normalizer, WordPiece model, Template template, int maxLength,
                  boolean truncateLeft, Padding padding, Map<String, Integer> addedIds, String[] idToToken, int vocabSize) {
        if (maxLength < template.specialCount()) {
            throw new IllegalArgumentException(source + ": max length " + maxLength + " leaves no room for the " + template.specialCount()
                    + " special tokens every encoding has");
        }
        this.source = source;
        this.added = added;
        this.normalizer = normalizer;
        this.model = model;
        this.template = template;
        this.maxLength = maxLength;
        this.truncateLeft = truncateLeft;
        this.padding = padding;
        this.addedIds = addedIds;
        this.idToToken = idToToken;
        this.vocabSize = vocabSize;
    }

    /**
     * Reads a Hugging Face {@code tokenizer.json}.
     *
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException if it is not JSON or not a BERT WordPiece tokenizer; the message names the file
     */
    public static BertTokenizer fromJson(Path path) throws IOException {
        Objects.requireNonNull(path, "fromJson: path is null");
        try (InputStream in = Files.newInputStream(path)) {
            return TokenizerJson.read(in, path.toString());
        }
    }

    /**
     * Reads a Hugging Face {@code tokenizer.json} from a stream (a class-path resource, say); the
     * stream is not closed.
     *
     * @throws IOException if the stream cannot be read
     * @throws IllegalArgumentException if it is not JSON or not a BERT WordPiece tokenizer
     */
    public static BertTokenizer fromJson(InputStream in) throws IOException {
        Objects.requireNonNull(in, "fromJson: input stream is null");
        return TokenizerJson.read(in, "tokenizer.json stream");
    }

    /**
     * The same tokenizer truncating to {@code maxLength} tokens, special tokens included.
     *
     * @throws IllegalArgumentException if that leaves no room for the special tokens
     */
    public BertTokenizer withMaxLength(int maxLength) {
        if (maxLength < template.specialCount()) {
            throw new IllegalArgumentException("withMaxLength: " + maxLength + " leaves no room for the " + template.specialCount()
                    + " special tokens every encoding has (need at least " + template.specialCount() + ")");
        }
        return new BertTokenizer(source, added, normalizer, model, template, maxLength, truncateLeft, padding, addedIds, idToToken,
                vocabSize);
    }

    /** The most tokens one encoding has, special tokens included. */
    public int maxLength() {
        return maxLength;
    }

    /** Distinct tokens: the WordPiece vocabulary plus added tokens not in it (Hugging Face's {@code get_vocab_size(true)}). */
    public int vocabSize() {
        return vocabSize;
    }

    /** The id of a token (added tokens first, then the vocabulary, as Hugging Face looks them up), or empty. */
    public OptionalInt tokenToId(String token) {
        Objects.requireNonNull(token, "tokenToId: token is null");
        Integer id = addedIds.get(token);
        if (id == null) {
            id = model.vocab().get(token);
        }
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The token of an id, or empty when no token has it. */
    public Optional<String> idToToken(int id) {
        return id >= 0 && id < idToToken.length ? Optional.ofNullable(idToToken[id]) : Optional.empty();
    }

    /** Tokenizes one text: special tokens added, truncated to {@link #maxLength()}, not padded. */
    public Encoding encode(String text) {
        Objects.requireNonNull(text, "encode: text is null");
        TokenBuffer buf = new TokenBuffer();
        encodeContent(text, buf);
        int from = 0;
        int to = buf.size();
        int room = maxLength - template.specialCount();
        if (to > room) {
            if (truncateLeft) {
                from = to - room;
            } else {
                to = room;
            }
        }
        int n = template.specialCount() + (to - from);
        long[] ids = new long[n];
        long[] types = new long[n];
        String[] tokens = new String[n];
        int k = 0;
        for (int i = 0; i < template.prefixIds().length; i++, k++) {
            ids[k] = template.prefixIds()[i];
            types[k] = template.prefixTypes()[i];
            tokens[k] = template.prefixTokens()[i];
        }
        for (int i = from; i < to; i++, k++) {
            ids[k] = buf.id(i);
            types[k] = template.sequenceType();
            tokens[k] = buf.token(i);
        }
        for (int i = 0; i < template.suffixIds().length; i++, k++) {
            ids[k] = template.suffixIds()[i];
            types[k] = template.suffixTypes()[i];
            tokens[k] = template.suffixTokens()[i];
        }
        return new Encoding(ids, types, tokens);
    }

    /** Tokenizes every text and pads the batch to its longest encoding (attention mask 0 on padding). */
    public BatchEncoding encodeBatch(List<String> texts) {
        Objects.requireNonNull(texts, "encodeBatch: texts is null");
        Encoding[] enc = new Encoding[texts.size()];
        int longest = 0;
        for (int b = 0; b < enc.length; b++) {
            String text = texts.get(b);
            if (text == null) {
                throw new NullPointerException("encodeBatch: texts[" + b + "] is null");
            }
            enc[b] = encode(text);
            longest = Math.max(longest, enc[b].length());
        }
        if (padding.multipleOf() > 0 && longest % padding.multipleOf() != 0) {
            longest += padding.multipleOf() - longest % padding.multipleOf();
        }
        long[][] ids = new long[enc.length][longest];
        long[][] types = new long[enc.length][longest];
        long[][] mask = new long[enc.length][longest];
        for (int b = 0; b < enc.length; b++) {
            int n = enc[b].length();
            int offset = padding.left() ? longest - n : 0;
            for (int j = 0; j < longest; j++) {
                int i = j - offset;
                if (i >= 0 && i < n) {
                    ids[b][j] = enc[b].id(i);
                    types[b][j] = enc[b].typeId(i);
                    mask[b][j] = 1;
                } else {
                    ids[b][j] = padding.id();
                    types[b][j] = padding.typeId();
                }
            }
        }
        return new BatchEncoding(ids, types, mask, longest);
    }

    private void encodeContent(String text, TokenBuffer buf) {
        if (!added.hasRaw()) {
            encodeNormalized(text, buf);
            return;
        }
        added.splitRaw(text, new AddedTokens.Sink() {
            @Override
            public void text(String s, int start, int end) {
                encodeNormalized(s.substring(start, end), buf);
            }

            @Override
            public void token(AddedTokens.Token token, String matched) {
                buf.add(token.id(), matched);
            }
        });
    }

    private void encodeNormalized(String raw, TokenBuffer buf) {
        String text = normalizer.normalize(raw);
        if (!added.hasNormalized()) {
            BertPreTokenizer.split(text, 0, text.length(), (s, a, b) -> model.tokenize(s, a, b, buf));
            return;
        }
        added.splitNormalized(text, new AddedTokens.Sink() {
            @Override
            public void text(String s, int start, int end) {
                BertPreTokenizer.split(s, start, end, (w, a, b) -> model.tokenize(w, a, b, buf));
            }

            @Override
            public void token(AddedTokens.Token token, String matched) {
                buf.add(token.id(), matched);
            }
        });
    }

    @Override
    public String toString() {
        return "BertTokenizer[" + source + ", vocab " + vocabSize + ", maxLength " + maxLength + "]";
    }
}
