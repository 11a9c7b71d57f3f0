package dev.graft.tokenizers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The tokenizer.json {@code added_tokens} ({@code [CLS]}, {@code [MASK]} …): text that matches one
 * becomes that token directly, before normalization and WordPiece see it. As in Hugging Face, tokens
 * marked {@code normalized: false} match the raw text, the others match the normalized text;
 * matching is leftmost-longest and honours {@code single_word}, {@code lstrip} and {@code rstrip}.
 */
final class AddedTokens {
    record Token(String content, int id, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized, boolean special) {
    }

    /** Receives the pieces of a text in order: plain ranges, and matched tokens. */
    interface Sink {
        void text(String text, int start, int end);

        void token(Token token, String matched);
    }

    private final Token[] raw;
    private final String[] rawContent;
    private final Token[] normalized;
    /** The content each {@link #normalized} token matches: its content after normalization. */
    private final String[] normalizedContent;

    AddedTokens(List<Token> tokens, BertNormalizer normalizer) {
        // longest first, so that the first match at a position is the longest
        Comparator<Token> longestFirst = Comparator.comparingInt((Token t) -> t.content().length()).reversed();
        this.raw = tokens.stream().filter(t -> !t.normalized() && !t.content().isEmpty()).sorted(longestFirst).toArray(Token[]::new);
        this.rawContent = new String[raw.length];
        for (int i = 0; i < raw.length; i++) {
            rawContent[i] = raw[i].content();
        }
        List<Token> norm = new ArrayList<>();
        List<String> content = new ArrayList<>();
        for (Token t : tokens) {
            String c = t.normalized() ? normalizer.normalize(t.content()) : "";
            if (!c.isEmpty()) {
                norm.add(t);
                content.add(c);
            }
        }
        Integer[] order = new Integer[norm.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> content.get(i).length()).reversed());
        this.normalized = new Token[order.length];
        this.normalizedContent = new String[order.length];
        for (int i = 0; i < order.length; i++) {
            normalized[i] = norm.get(order[i]);
            normalizedContent[i] = content.get(order[i]);
        }
    }

    boolean hasRaw() {
        return raw.length > 0;
    }

    boolean hasNormalized() {
        return normalized.length > 0;
    }

    /** Splits raw (not yet normalized) text on the tokens that match it as written. */
    void splitRaw(String text, Sink sink) {
        split(text, raw, rawContent, sink);
    }

    /** Splits normalized text on the tokens that match after normalization. */
    void splitNormalized(String text, Sink sink) {
        split(text, normalized, normalizedContent, sink);
    }

    private static void split(String text, Token[] tokens, String[] contents, Sink sink) {
        int done = 0; // end of the last piece handed to the sink
        int pos = 0;
        while (pos < text.length()) {
            int k = matchAt(text, pos, contents);
            if (k < 0) {
                pos++;
                continue;
            }
            Token t = tokens[k];
            int start = pos;
            int stop = pos + contents[k].length();
            pos = stop; // matches never overlap, even a discarded one
            if (t.singleWord() && (wordBefore(text, start) || wordAfter(text, stop))) {
                continue;
            }
            if (t.lstrip()) {
                int s = start;
                while (s > done) {
                    int cp = text.codePointBefore(s);
                    if (!UnicodeClasses.isWhitespace(cp)) {
                        break;
                    }
                    s -= Character.charCount(cp);
                }
                start = s;
            }
            if (t.rstrip()) {
                while (stop < text.length()) {
                    int cp = text.codePointAt(stop);
                    if (!UnicodeClasses.isWhitespace(cp)) {
                        break;
                    }
                    stop += Character.charCount(cp);
                }
                pos = stop;
            }
            if (done < start) {
                sink.text(text, done, start);
            }
            sink.token(t, text.substring(start, stop));
            done = stop;
        }
        if (done < text.length() || text.isEmpty()) {
            sink.text(text, done, text.length());
        }
    }

    private static int matchAt(String text, int pos, String[] contents) {
        for (int k = 0; k < contents.length; k++) {
            if (text.startsWith(contents[k], pos)) {
                return k;
            }
        }
        return -1;
    }

    private static boolean wordBefore(String text, int i) {
        return i > 0 && UnicodeClasses.isWordChar(text.codePointBefore(i));
    }

    private static boolean wordAfter(String text, int i) {
        return i < text.length() && UnicodeClasses.isWordChar(text.codePointAt(i));
    }
}
