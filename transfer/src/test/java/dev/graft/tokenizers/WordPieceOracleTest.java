package dev.graft.tokenizers;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Graft's tokenizer against Hugging Face's Rust tokenizers (through DJL) on the same tokenizer.json:
 * ids, type ids, attention masks and tokens must be identical, text by text and batch by batch.
 */
class WordPieceOracleTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static String miniLm;

    @BeforeAll
    static void readJson() {
        miniLm = HfOracle.miniLmJson();
    }

    @Test
    void corpusMatchesHuggingFace() {
        List<String> corpus = TokenizerCorpus.sentences();
        assertTrue(corpus.size() >= 150, "corpus has " + corpus.size() + " texts");
        // 128 is the file's own truncation length; 512 lets the long texts through whole
        for (int maxLength : new int[] {128, 512}) {
            BertTokenizer graft = HfOracle.graft(miniLm).withMaxLength(maxLength);
            try (HuggingFaceTokenizer hf = HfOracle.reference(miniLm, maxLength)) {
                for (String text : corpus) {
                    assertSameEncoding(graft, hf, text);
                }
            }
        }
    }

    @Test
    void randomStringsMatchHuggingFace() {
        BertTokenizer graft = HfOracle.graft(miniLm);
        try (HuggingFaceTokenizer hf = HfOracle.reference(miniLm, graft.maxLength())) {
            for (String text : TokenizerCorpus.random(20251126L, 3000, 40)) {
                assertSameEncoding(graft, hf, text);
            }
        }
    }

    @Test
    void paddedAndTruncatedBatchesMatchHuggingFace() {
        List<String> texts = new ArrayList<>(TokenizerCorpus.sentences());
        texts.addAll(TokenizerCorpus.random(7L, 200, 30));
        for (int maxLength : new int[] {2, 5, 16, 128, 512}) {
            BertTokenizer graft = HfOracle.graft(miniLm).withMaxLength(maxLength);
            try (HuggingFaceTokenizer hf = HfOracle.reference(miniLm, maxLength)) {
                assertSameBatches(graft, hf, texts, 7);
            }
        }
    }

    /**
     * Every code point (the empty planes 4-13 sampled), inside a word ("x" + it + "y" shows whether it
     * is dropped, a space, punctuation, a stripped mark, a CJK ideograph or part of the word) and, in
     * planes 0 and 1, alone (where its lowercase may be a vocabulary entry), 512 code points to a
     * text: this is what keeps the Unicode 8.0 tables of {@link UnicodeClasses} honest, and Java's NFD
     * and lowercasing next to Rust's.
     */
    @Test
    void everyCodePointMatchesHuggingFace() {
        for (int cp = 0x40000; cp < 0xE0000; cp++) {
            assertEquals(Character.UNASSIGNED, Character.getType(cp), () -> "planes 4-13 are sampled because they hold nothing");
        }
        BertTokenizer graft = HfOracle.graft(miniLm).withMaxLength(1_000_000);
        List<String> chunks = new ArrayList<>();
        List<int[]> ranges = new ArrayList<>();
        int cp = 0;
        while (cp <= Character.MAX_CODE_POINT) {
            int first = cp;
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < 512 && cp <= Character.MAX_CODE_POINT; cp++) {
                if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) {
                    continue; // a lone surrogate is not text Rust can hold
                }
                if (cp >= 0x40000 && cp < 0xE0000 && cp % 97 != 0) {
                    continue; // planes 4-13 are all unassigned: a sample of them, to keep the test short
                }
                sb.append('x').appendCodePoint(cp).append("y ");
                if (cp < 0x20000) {
                    sb.appendCodePoint(cp).append(' '); // past plane 1 nothing has a lowercase or a vocabulary entry
                }
                k++;
            }
            chunks.add(sb.toString());
            ranges.add(new int[] {first, cp - 1});
        }
        try (HuggingFaceTokenizer hf = HfOracle.reference(miniLm, 1_000_000)) {
            List<String> bad = new ArrayList<>();
            for (int i = 0; i < chunks.size(); i++) {
                if (!Arrays.equals(hf.encode(chunks.get(i)).getIds(), graft.encode(chunks.get(i)).ids())) {
                    for (int c = ranges.get(i)[0]; c <= ranges.get(i)[1] && bad.size() < 20; c++) {
                        String s = "x" + Character.toString(c) + "y " + Character.toString(c);
                        if (!Arrays.equals(hf.encode(s).getIds(), graft.encode(s).ids())) {
                            bad.add(String.format("U+%04X: Hugging Face %s, Graft %s", c, Arrays.toString(hf.encode(s).getTokens()),
                                    Arrays.toString(graft.encode(s).tokens())));
                        }
                    }
                }
            }
            assertTrue(bad.isEmpty(), () -> "code points tokenized differently:\n" + String.join("\n", bad));
        }
    }

    /** tokenizer.json variants: each flag of the normalizer, truncation and padding sides, added-token options, processors. */
    static Stream<Arguments> variants() {
        return Stream.of(
                variant("cased (lowercase false, accents kept)", j -> normalizer(j).put("lowercase", false)),
                variant("strip_accents true without lowercase", j -> normalizer(j).put("lowercase", false).put("strip_accents", true)),
                variant("lowercase without strip_accents", j -> normalizer(j).put("strip_accents", false)),
                variant("no clean_text, no handle_chinese_chars", j -> normalizer(j).put("clean_text", false).put("handle_chinese_chars", false)),
                variant("no normalizer", j -> j.putNull("normalizer")),
                variant("left truncation, left padding, pad id 103, pad type id 1", j -> {
                    ((ObjectNode) j.get("truncation")).put("direction", "Left");
                    ((ObjectNode) j.get("padding")).put("direction", "Left").put("pad_id", 103).put("pad_type_id", 1);
                }),
                // Hugging Face pads even a lone encoding to the multiple; Graft's encode() never pads, so batches only
                variant("pad_to_multiple_of 8 (batches only)", j -> ((ObjectNode) j.get("padding")).put("pad_to_multiple_of", 8)),
                variant("no truncation or padding blocks", j -> j.putNull("truncation").putNull("padding")),
                variant("BertProcessing", j -> {
                    ObjectNode p = j.putObject("post_processor").put("type", "BertProcessing");
                    p.putArray("sep").add("[SEP]").add(102);
                    p.putArray("cls").add("[CLS]").add(101);
                }),
                variant("template with type ids 1 and two prefix tokens", j -> {
                    ObjectNode p = (ObjectNode) j.get("post_processor");
                    ArrayNode single = p.putArray("single");
                    single.addObject().putObject("SpecialToken").put("id", "[CLS]").put("type_id", 0);
                    single.addObject().putObject("SpecialToken").put("id", "[MASK]").put("type_id", 1);
                    single.addObject().putObject("Sequence").put("id", "A").put("type_id", 1);
                    single.addObject().putObject("SpecialToken").put("id", "[SEP]").put("type_id", 1);
                    ((ObjectNode) p.get("special_tokens")).putObject("[MASK]").put("id", "[MASK]").<ObjectNode>set("ids",
                            JSON.createArrayNode().add(103)).set("tokens", JSON.createArrayNode().add("[MASK]"));
                }),
                variant("no post_processor", j -> j.putNull("post_processor")),
                variant("added tokens: lstrip/rstrip [MASK], single-word and normalized extra tokens", j -> {
                    ArrayNode added = (ArrayNode) j.get("added_tokens");
                    for (int i = 0; i < added.size(); i++) {
                        if ("[MASK]".equals(added.get(i).get("content").asText())) {
                            ((ObjectNode) added.get(i)).put("lstrip", true).put("rstrip", true);
                        }
                    }
                    added.addObject().put("id", 30522).put("content", "<graft>").put("single_word", true).put("lstrip", false)
                            .put("rstrip", false).put("normalized", false).put("special", false);
                    added.addObject().put("id", 30523).put("content", "Hello World").put("single_word", false).put("lstrip", false)
                            .put("rstrip", false).put("normalized", true).put("special", false);
                    added.addObject().put("id", 30524).put("content", "Zürich").put("single_word", false).put("lstrip", false)
                            .put("rstrip", false).put("normalized", true).put("special", true);
                }),
                variant("max_input_chars_per_word 8", j -> {
                    ObjectNode model = (ObjectNode) j.get("model");
                    model.put("max_input_chars_per_word", 8);
                }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void variantsMatchHuggingFace(String name, String json) {
        List<String> texts = new ArrayList<>(TokenizerCorpus.sentences());
        texts.add("say <graft> now, not x<graft>y; hello world, Hello World, HELLO WORLD; zürich Zürich ZURICH");
        texts.add("mask [MASK]   spaced\t[MASK]\tand[MASK]glued");
        texts.addAll(TokenizerCorpus.random(99L, 500, 30));
        for (int maxLength : new int[] {5, 64}) {
            BertTokenizer graft = HfOracle.graft(json).withMaxLength(maxLength);
            try (HuggingFaceTokenizer hf = HfOracle.reference(json, maxLength)) {
                if (!name.endsWith("(batches only)")) {
                    for (String text : texts) {
                        assertSameEncoding(graft, hf, text);
                    }
                }
                assertSameBatches(graft, hf, texts, 5);
            }
        }
    }

    private static Arguments variant(String name, Consumer<ObjectNode> edit) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(HfOracle.miniLmJson());
            edit.accept(root);
            return Arguments.of(name, JSON.writeValueAsString(root));
        } catch (Exception e) {
            throw new IllegalStateException(name, e);
        }
    }

    private static ObjectNode normalizer(ObjectNode root) {
        return (ObjectNode) root.get("normalizer");
    }

    private static void assertSameEncoding(BertTokenizer graft, HuggingFaceTokenizer hf, String text) {
        ai.djl.huggingface.tokenizers.Encoding want = hf.encode(text);
        Encoding got = graft.encode(text);
        String what = "text " + quote(text);
        assertArrayEquals(want.getIds(), got.ids(), () -> what + "\n  Hugging Face " + Arrays.toString(want.getTokens()) + "\n  Graft        "
                + Arrays.toString(got.tokens()));
        assertArrayEquals(want.getTypeIds(), got.typeIds(), () -> "type ids of " + what);
        assertArrayEquals(want.getAttentionMask(), got.attentionMask(), () -> "attention mask of " + what);
        assertArrayEquals(want.getTokens(), got.tokens(), () -> "tokens of " + what);
    }

    private static void assertSameBatches(BertTokenizer graft, HuggingFaceTokenizer hf, List<String> texts, int batchSize) {
        for (int from = 0; from < texts.size(); from += batchSize) {
            List<String> batch = texts.subList(from, Math.min(texts.size(), from + batchSize));
            ai.djl.huggingface.tokenizers.Encoding[] want = hf.batchEncode(batch);
            BatchEncoding got = graft.encodeBatch(batch);
            assertEquals(want.length, got.size());
            long[][] ids = got.ids();
            long[][] types = got.typeIds();
            long[][] mask = got.attentionMask();
            for (int b = 0; b < want.length; b++) {
                String what = "batch row " + b + " " + quote(batch.get(b)) + " (max length " + graft.maxLength() + ")";
                assertEquals(want[b].getIds().length, got.sequenceLength(), what);
                assertArrayEquals(want[b].getIds(), ids[b], what);
                assertArrayEquals(want[b].getTypeIds(), types[b], what);
                assertArrayEquals(want[b].getAttentionMask(), mask[b], what);
            }
        }
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().limit(120).forEach(c -> {
            if (c < 0x20 || (c >= 0x7F && c < 0xA0) || Character.getType(c) == Character.FORMAT) {
                sb.append(String.format("\\u%04X", c));
            } else {
                sb.appendCodePoint(c);
            }
        });
        return sb.append(s.codePointCount(0, s.length()) > 120 ? "…\"" : "\"").toString();
    }

}
