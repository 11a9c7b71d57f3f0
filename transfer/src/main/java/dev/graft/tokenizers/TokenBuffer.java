package dev.graft.tokenizers;

import java.util.Arrays;

/** A growable list of (id, token) pairs, so that a sentence is tokenized without boxing. */
final class TokenBuffer {
    private int[] ids = new int[32];
    private String[] tokens = new String[32];
    private int size;

    void add(int id, String token) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
            tokens = Arrays.copyOf(tokens, size * 2);
        }
        ids[size] = id;
        tokens[size] = token;
        size++;
    }

    int size() {
        return size;
    }

    /** Drops everything added since the buffer had {@code mark} entries. */
    void truncate(int mark) {
        Arrays.fill(tokens, mark, size, null);
        size = mark;
    }

    int id(int i) {
        return ids[i];
    }

    String token(int i) {
        return tokens[i];
    }
}
