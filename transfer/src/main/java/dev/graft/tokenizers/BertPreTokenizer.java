package dev.graft.tokenizers;

/**
 * Hugging Face's BertPreTokenizer: split on whitespace (dropping it), and make every punctuation
 * character a word of its own.
 */
final class BertPreTokenizer {
    /** Receives one word as the range [start, end) of the text. */
    @FunctionalInterface
    interface WordSink {
        void word(String text, int start, int end);
    }

    private BertPreTokenizer() {
    }

    /** Splits {@code text[start, end)}. */
    static void split(String text, int start, int end, WordSink sink) {
        int wordStart = -1;
        for (int i = start; i < end; ) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (UnicodeClasses.isWhitespace(cp)) {
                if (wordStart >= 0) {
                    sink.word(text, wordStart, i);
                    wordStart = -1;
                }
            } else if (UnicodeClasses.isPunctuation(cp)) {
                if (wordStart >= 0) {
                    sink.word(text, wordStart, i);
                    wordStart = -1;
                }
                sink.word(text, i, next);
            } else if (wordStart < 0) {
                wordStart = i;
            }
            i = next;
        }
        if (wordStart >= 0) {
            sink.word(text, wordStart, end);
        }
    }
}
