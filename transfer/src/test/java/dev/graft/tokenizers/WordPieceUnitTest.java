package dev.graft.tokenizers;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The algorithm on a hand-made vocabulary, with expected tokens worked out by hand (no oracle). */
class WordPieceUnitTest {
    /** A tokenizer.json in the shape Hugging Face writes, with a tiny vocabulary and 12 chars per word at most. */
    static final String TINY = """
            {
              "version": "1.0",
              "truncation": null,
              "padding": {"strategy": "BatchLongest", "direction": "Right", "pad_to_multiple_of": null,
                          "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"},
              "added_tokens": [
                {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 2, "content": "[CLS]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 3, "content": "[SEP]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 4, "content": "[MASK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
              ],
              "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
              "pre_tokenizer": {"type": "BertPreTokenizer"},
              "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                           {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                "pair": [],
                "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                                   "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}
              },
              "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
              "model": {
                "type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 12,
                "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "un": 5, "##aff": 6, "##able": 7, "hello": 8,
                          "world": 9, ",": 10, "!": 11, "cafe": 12, "naive": 13, "##s": 14, "a": 15, ".": 16, "中": 17, "文": 18,
                          "##a": 19, "zurich": 20, "'": 21, "t": 22, "don": 23, "aaaa": 24, "##aa": 25}
              }
            }
            """;

    static final BertTokenizer TOK = parse(TINY);

    static BertTokenizer parse(String json) {
        try {
            return BertTokenizer.fromJson(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> tokens(String text) {
        return List.of(TOK.encode(text).tokens());
    }

    @Test
    void continuationPiecesCarryThePrefix() {
        assertEquals(List.of("[CLS]", "un", "##aff", "##able", "[SEP]"), tokens("unaffable"));
        assertEquals(List.of("[CLS]", "hello", "##s", "[SEP]"), tokens("hellos"));
        assertArrayEquals(new long[] {2, 5, 6, 7, 3}, TOK.encode("unaffable").ids());
    }

    @Test
    void longestMatchFirstIsGreedy() {
        // "aaaaaa": "aaaa" (longest first piece), then "##aa"; not a + ##a + ...
        assertEquals(List.of("[CLS]", "aaaa", "##aa", "[SEP]"), tokens("aaaaaa"));
        // "aaaaa": aaaa + ##a
        assertEquals(List.of("[CLS]", "aaaa", "##a", "[SEP]"), tokens("aaaaa"));
    }

    @Test
    void aWordWithAnUnmatchablePartIsOneUnknownToken() {
        assertEquals(List.of("[CLS]", "[UNK]", "[SEP]"), tokens("xyz"));
        // "un" matches but "##xyz" cannot: the whole word is [UNK], not un + [UNK]
        assertEquals(List.of("[CLS]", "[UNK]", "hello", "[SEP]"), tokens("unxyz hello"));
        assertEquals(1, TOK.encode("xyz").ids()[1]);
    }

    @Test
    void wordsLongerThanMaxInputCharsAreUnknown() {
        // 12 code points is the limit in TINY: "aaaa"*3 is fine, one more is not, even though it would match
        assertEquals(List.of("[CLS]", "aaaa", "##aa", "##aa", "##aa", "##aa", "[SEP]"), tokens("a".repeat(12)));
        assertEquals(List.of("[CLS]", "[UNK]", "[SEP]"), tokens("a".repeat(13)));
    }

    @Test
    void accentsAreStrippedAndCaseLowered() {
        assertEquals(List.of("[CLS]", "cafe", "[SEP]"), tokens("Café"));
        assertEquals(List.of("[CLS]", "naive", "[SEP]"), tokens("NAÏVE"));
        assertEquals(List.of("[CLS]", "zurich", "[SEP]"), tokens("Zu\u0308rich")); // decomposed input too
    }

    @Test
    void punctuationIsSplitOffAndWhitespaceDropped() {
        assertEquals(List.of("[CLS]", "hello", ",", "world", "!", "[SEP]"), tokens("Hello,world!"));
        assertEquals(List.of("[CLS]", "don", "'", "t", "[SEP]"), tokens("  don't\t\n"));
        assertEquals(List.of("[CLS]", "hello", "world", "[SEP]"), tokens("hello\u00A0\u3000world"));
    }

    @Test
    void controlCharactersVanishAndCjkIdeographsStandAlone() {
        assertEquals(List.of("[CLS]", "hello", "[SEP]"), tokens("hel\u0000lo\u200B"));
        assertEquals(List.of("[CLS]", "中", "文", "[SEP]"), tokens("中文"));
    }

    @Test
    void specialTokensInTheTextAreKeptWhole() {
        assertEquals(List.of("[CLS]", "hello", "[MASK]", "world", "[SEP]"), tokens("hello [MASK] world"));
        assertEquals(4, TOK.encode("[MASK]").ids()[1]);
        // special tokens match the raw text, so a lowercased one is just punctuation and a word
        assertEquals(List.of("[CLS]", "[UNK]", "[UNK]", "[UNK]", "[SEP]"), tokens("[mask]"));
    }

    @Test
    void emptyAndBlankTextsAreJustTheSpecialTokens() {
        assertEquals(List.of("[CLS]", "[SEP]"), tokens(""));
        assertEquals(List.of("[CLS]", "[SEP]"), tokens(" \t\n "));
        assertArrayEquals(new long[] {0, 0}, TOK.encode("").typeIds());
        assertArrayEquals(new long[] {1, 1}, TOK.encode("").attentionMask());
    }

    @Test
    void truncationKeepsRoomForTheSpecialTokens() {
        BertTokenizer four = TOK.withMaxLength(4);
        assertEquals(List.of("[CLS]", "hello", "world", "[SEP]"), List.of(four.encode("hello world hello world").tokens()));
        assertEquals(List.of("[CLS]", "[SEP]"), List.of(TOK.withMaxLength(2).encode("hello world").tokens()));
        // pieces are cut, not words: Hugging Face truncates tokens
        assertEquals(List.of("[CLS]", "un", "##aff", "[SEP]"), List.of(four.encode("unaffable").tokens()));
        assertEquals(512, TOK.maxLength(), "no truncation block: BERT's 512");
        assertEquals(4, four.maxLength());
        assertNotSame(TOK, four);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TOK.withMaxLength(1));
        assertTrue(e.getMessage().contains("2 special tokens"), e.getMessage());
    }

    @Test
    void batchesArePaddedToTheLongestWithMaskZero() {
        BatchEncoding b = TOK.encodeBatch(List.of("hello", "hello world!", ""));
        assertEquals(3, b.size());
        assertEquals(5, b.sequenceLength());
        assertArrayEquals(new long[][] {{2, 8, 3, 0, 0}, {2, 8, 9, 11, 3}, {2, 3, 0, 0, 0}}, b.ids());
        assertArrayEquals(new long[][] {{1, 1, 1, 0, 0}, {1, 1, 1, 1, 1}, {1, 1, 0, 0, 0}}, b.attentionMask());
        assertArrayEquals(new long[][] {{0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0}}, b.typeIds());

        Tensor ids = b.idsTensor();
        assertEquals(DType.INT64, ids.dtype());
        assertArrayEquals(new int[] {3, 5}, ids.shape());
        assertArrayEquals(new long[] {2, 8, 3, 0, 0, 2, 8, 9, 11, 3, 2, 3, 0, 0, 0}, ids.toLongArray());
        assertArrayEquals(new long[] {1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}, b.attentionMaskTensor().toLongArray());
        assertEquals(DType.INT64, b.typeIdsTensor().dtype());
        assertArrayEquals(new int[] {3, 5}, b.typeIdsTensor().shape());

        BatchEncoding empty = TOK.encodeBatch(List.of());
        assertEquals(0, empty.size());
        assertArrayEquals(new int[] {0, 0}, empty.idsTensor().shape());
    }

    @Test
    void batchPaddingFollowsTheJsonSideAndMultiple() {
        BertTokenizer left = parse(TINY.replace("\"direction\": \"Right\", \"pad_to_multiple_of\": null",
                "\"direction\": \"Left\", \"pad_to_multiple_of\": 4"));
        BatchEncoding b = left.encodeBatch(List.of("hello", "hello world !"));
        assertEquals(8, b.sequenceLength());
        assertArrayEquals(new long[][] {{0, 0, 0, 0, 0, 2, 8, 3}, {0, 0, 0, 2, 8, 9, 11, 3}}, b.ids());
        assertArrayEquals(new long[][] {{0, 0, 0, 0, 0, 1, 1, 1}, {0, 0, 0, 1, 1, 1, 1, 1}}, b.attentionMask());
    }

    @Test
    void vocabularyLookups() {
        assertEquals(26, TOK.vocabSize());
        assertEquals(8, TOK.tokenToId("hello").orElseThrow());
        assertEquals(6, TOK.tokenToId("##aff").orElseThrow());
        assertTrue(TOK.tokenToId("goodbye").isEmpty());
        assertEquals("[MASK]", TOK.idToToken(4).orElseThrow());
        assertTrue(TOK.idToToken(26).isEmpty());
        assertTrue(TOK.idToToken(-1).isEmpty());
    }

    @Test
    void encodingsAreImmutable() {
        Encoding e = TOK.encode("hello");
        e.ids()[1] = 99;
        e.tokens()[1] = "changed";
        assertEquals(8, e.ids()[1]);
        assertEquals("hello", e.tokens()[1]);
        assertEquals(3, e.length());
    }

    @Test
    void nullTextIsAClearError() {
        NullPointerException e = assertThrows(NullPointerException.class, () -> TOK.encode(null));
        assertEquals("encode: text is null", e.getMessage());
        List<String> withNull = Arrays.asList("hello", null);
        e = assertThrows(NullPointerException.class, () -> TOK.encodeBatch(withNull));
        assertEquals("encodeBatch: texts[1] is null", e.getMessage());
    }
}
