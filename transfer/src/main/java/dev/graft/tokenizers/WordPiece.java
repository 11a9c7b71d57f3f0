package dev.graft.tokenizers;

import java.util.Map;

/**
 * The WordPiece model: each word becomes the greedy longest-match-first sequence of vocabulary
 * entries, pieces after the first carrying the continuing-subword prefix ({@code ##}). A word with
 * a part no entry matches, or longer than {@code maxInputCharsPerWord} code points, becomes the
 * unknown token as a whole, as in Hugging Face.
 */
final class WordPiece {
    private final Map<String, Integer> vocab;
    private final String unkToken;
    private final int unkId;
    private final String prefix;
    private final int maxInputCharsPerWord;
    /** The longest vocabulary entry in UTF-16 units: no match can be longer, so the search starts there. */
    private final int longestEntry;

    WordPiece(Map<String, Integer> vocab, String unkToken, String prefix, int maxInputCharsPerWord) {
        this.vocab = vocab;
        this.unkToken = unkToken;
        this.unkId = vocab.get(unkToken);
        this.prefix = prefix;
        this.maxInputCharsPerWord = maxInputCharsPerWord;
        int longest = 0;
        for (String s : vocab.keySet()) {
            longest = Math.max(longest, s.length());
        }
        this.longestEntry = longest;
    }

    Map<String, Integer> vocab() {
        return vocab;
    }

    String unkToken() {
        return unkToken;
    }

    /** Appends the pieces of the word {@code text[start, end)}. */
    void tokenize(String text, int start, int end, TokenBuffer out) {
        if (end - start > maxInputCharsPerWord && text.codePointCount(start, end) > maxInputCharsPerWord) {
            out.add(unkId, unkToken);
            return;
        }
        int mark = out.size();
        int pos = start;
        while (pos < end) {
            boolean continuing = pos > start;
            int stop = Math.min(end, pos + longestEntry);
            boolean found = false;
            for (; stop > pos; stop--) {
                if (stop < end && Character.isLowSurrogate(text.charAt(stop)) && Character.isHighSurrogate(text.charAt(stop - 1))) {
                    continue; // never cut a code point in two
                }
                String piece = continuing ? prefix + text.substring(pos, stop) : text.substring(pos, stop);
                Integer id = vocab.get(piece);
                if (id != null) {
                    out.add(id, piece);
                    found = true;
                    break;
                }
            }
            if (!found) {
                out.truncate(mark);
                out.add(unkId, unkToken);
                return;
            }
            pos = stop;
        }
    }
}
