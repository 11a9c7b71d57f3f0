package dev.graft.tokenizers;

import java.text.Normalizer;

/**
 * Hugging Face's BertNormalizer, in its order: clean text (drop controls, U+0000 and U+FFFD; every
 * whitespace becomes a space), put spaces around CJK ideographs, strip accents (NFD, then drop Mn
 * marks), lowercase one code point at a time (no context-dependent final sigma, as in Rust).
 */
record BertNormalizer(boolean cleanText, boolean handleChineseChars, boolean stripAccents, boolean lowercase) {
    /** A normalizer that changes nothing, for a tokenizer.json whose normalizer is null. */
    static final BertNormalizer IDENTITY = new BertNormalizer(false, false, false, false);

    String normalize(String text) {
        if (!cleanText && !handleChineseChars && !stripAccents && !lowercase) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length() + 8);
        boolean ascii = true;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cleanText) {
                if (cp == 0 || cp == 0xFFFD || UnicodeClasses.isControl(cp)) {
                    continue;
                }
                if (UnicodeClasses.isWhitespace(cp)) {
                    cp = ' ';
                }
            }
            if (cp < 0x80) {
                sb.append((char) cp);
                continue;
            }
            ascii = false;
            if (handleChineseChars && UnicodeClasses.isChineseChar(cp)) {
                sb.append(' ').appendCodePoint(cp).append(' ');
            } else {
                sb.appendCodePoint(cp);
            }
        }
        if (stripAccents && !ascii) {
            String nfd = Normalizer.normalize(sb, Normalizer.Form.NFD);
            sb.setLength(0);
            for (int i = 0; i < nfd.length(); ) {
                int cp = nfd.codePointAt(i);
                i += Character.charCount(cp);
                if (!UnicodeClasses.isNonspacingMark(cp)) {
                    sb.appendCodePoint(cp);
                }
            }
        }
        if (!lowercase) {
            return sb.toString();
        }
        StringBuilder lower = new StringBuilder(sb.length());
        for (int i = 0; i < sb.length(); ) {
            int cp = Character.codePointAt(sb, i);
            i += Character.charCount(cp);
            UnicodeClasses.appendLowercase(lower, cp);
        }
        return lower.toString();
    }
}
