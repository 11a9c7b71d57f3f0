package dev.graft.tokenizers;

import java.util.Arrays;

/**
 * One tokenized text, special tokens included and not padded: token ids, type (segment) ids, the
 * attention mask (all ones) and the token strings. The getters return copies.
 */
public final class Encoding {
    private final long[] ids;
    private final long[] typeIds;
    private final String[] tokens;

    Encoding(long[] ids, long[] typeIds, String[] tokens) {
        this.ids = ids;
        this.typeIds = typeIds;
        this.tokens = tokens;
    }

    /** Number of tokens, special tokens included. */
    public int length() {
        return ids.length;
    }

    public long[] ids() {
        return ids.clone();
    }

    public long[] typeIds() {
        return typeIds.clone();
    }

    /** All ones: an unpadded encoding has no position to mask. */
    public long[] attentionMask() {
        long[] mask = new long[ids.length];
        Arrays.fill(mask, 1L);
        return mask;
    }

    public String[] tokens() {
        return tokens.clone();
    }

    long id(int i) {
        return ids[i];
    }

    long typeId(int i) {
        return typeIds[i];
    }

    @Override
    public String toString() {
        return "Encoding" + Arrays.toString(tokens);
    }
}
