package dev.graft.tokenizers;

import dev.graft.tensor.Tensor;

/**
 * A batch of encodings padded to its longest member (not to a fixed length): rows of ids, type ids
 * and attention masks (1 for a token, 0 for padding), as arrays or as int64 tensors of shape
 * [batch, sequenceLength], the inputs a BERT model takes. The array getters return copies.
 */
public final class BatchEncoding {
    private final long[][] ids;
    private final long[][] typeIds;
    private final long[][] attentionMask;
    private final int sequenceLength;

    BatchEncoding(long[][] ids, long[][] typeIds, long[][] attentionMask, int sequenceLength) {
        this.ids = ids;
        this.typeIds = typeIds;
        this.attentionMask = attentionMask;
        this.sequenceLength = sequenceLength;
    }

    /** Number of texts in the batch. */
    public int size() {
        return ids.length;
    }

    /** Length of every row: the longest encoding, rounded up to the tokenizer's pad_to_multiple_of if it has one. */
    public int sequenceLength() {
        return sequenceLength;
    }

    public long[][] ids() {
        return copy(ids);
    }

    public long[][] typeIds() {
        return copy(typeIds);
    }

    public long[][] attentionMask() {
        return copy(attentionMask);
    }

    /** Token ids, int64 [batch, sequenceLength]. */
    public Tensor idsTensor() {
        return tensor(ids);
    }

    /** Type (segment) ids, int64 [batch, sequenceLength]. */
    public Tensor typeIdsTensor() {
        return tensor(typeIds);
    }

    /** 1 for tokens, 0 for padding, int64 [batch, sequenceLength]. */
    public Tensor attentionMaskTensor() {
        return tensor(attentionMask);
    }

    private Tensor tensor(long[][] rows) {
        long[] flat = new long[rows.length * sequenceLength];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, flat, r * sequenceLength, sequenceLength);
        }
        return Tensor.fromArray(flat, rows.length, sequenceLength);
    }

    private static long[][] copy(long[][] rows) {
        long[][] c = new long[rows.length][];
        for (int r = 0; r < rows.length; r++) {
            c[r] = rows[r].clone();
        }
        return c;
    }
}
