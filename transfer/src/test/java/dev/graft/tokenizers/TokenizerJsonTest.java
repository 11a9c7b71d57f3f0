package dev.graft.tokenizers;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading tokenizer.json: the all-MiniLM-L6-v2 file from the langchain4j artifact, and files that are not BERT WordPiece. */
class TokenizerJsonTest {
    @Test
    void readsTheMiniLmTokenizerFromTheLangchain4jArtifact() throws IOException {
        BertTokenizer tok;
        try (InputStream in = TokenizerJsonTest.class.getResourceAsStream(HfOracle.MINILM_RESOURCE)) {
            assertTrue(in != null, HfOracle.MINILM_RESOURCE + " should be on the test class path");
            tok = BertTokenizer.fromJson(in);
        }
        assertEquals(30522, tok.vocabSize());
        assertEquals(128, tok.maxLength(), "the file's truncation.max_length");
        assertEquals(101, tok.tokenToId("[CLS]").orElseThrow());
        assertEquals(102, tok.tokenToId("[SEP]").orElseThrow());
        assertEquals(100, tok.tokenToId("[UNK]").orElseThrow());
        assertEquals(0, tok.tokenToId("[PAD]").orElseThrow());
        assertEquals("[SEP]", tok.idToToken(102).orElseThrow());
        assertTrue(tok.idToToken(30522).isEmpty());
        // ids checked against Hugging Face by WordPieceOracleTest; here one sentence by hand
        assertEquals(List.of("[CLS]", "hello", ",", "world", "!", "[SEP]"), List.of(tok.encode("Hello, World!").tokens()));
        assertArrayEquals(new long[] {101, 7592, 1010, 2088, 999, 102}, tok.encode("Hello, World!").ids());
    }

    @Test
    void readsAFileAndNamesItInErrors(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, HfOracle.miniLmJson());
        BertTokenizer tok = BertTokenizer.fromJson(file);
        assertEquals(30522, tok.vocabSize());
        assertTrue(tok.toString().contains(file.toString()), tok.toString());

        Path bpe = dir.resolve("gpt2-tokenizer.json");
        Files.writeString(bpe, HfOracle.miniLmJson().replace("\"type\": \"WordPiece\",\n    \"unk_token\"", "\"type\": \"BPE\",\n    \"unk_token\""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BertTokenizer.fromJson(bpe));
        assertEquals(bpe + ": expected a BERT WordPiece tokenizer (model.type \"WordPiece\"), found model.type \"BPE\"", e.getMessage());

        assertThrows(NoSuchFileException.class, () -> BertTokenizer.fromJson(dir.resolve("missing.json")));
    }

    @Test
    void refusesWhatIsNotABertWordPieceTokenizer() {
        String tiny = WordPieceUnitTest.TINY;
        assertRefused("[1, 2]", "expected a Hugging Face tokenizer.json object, found array");
        assertRefused("{\"vocab\": {}}", "expected a \"model\" object as in a Hugging Face tokenizer.json, found none");
        assertRefused("{not json", "not valid JSON");
        assertRefused(WordPieceUnitTest.TINY + " {}", "not valid JSON");
        assertRefused(tiny.replace("\"type\": \"WordPiece\", \"unk_token\"", "\"type\": \"Unigram\", \"unk_token\""),
                "expected a BERT WordPiece tokenizer (model.type \"WordPiece\"), found model.type \"Unigram\"");
        assertRefused(tiny.replace("\"type\": \"WordPiece\", \"unk_token\"", "\"unk_token\""),
                "expected a BERT WordPiece tokenizer (model.type \"WordPiece\"), found model.type missing");
        assertRefused(tiny.replaceAll("\"vocab\": \\{[^}]*}", "\"vocab\": {}"), "expected model.vocab, an object of token -> id for WordPiece, found object");
        assertRefused(tiny.replaceAll(",\\s*\"vocab\": \\{[^}]*}", ""), "expected model.vocab, an object of token -> id for WordPiece, found none");
        assertRefused(tiny.replace("\"[UNK]\": 1, ", ""), "the unknown token \"[UNK]\" (model.unk_token) is not in model.vocab");
        assertRefused(tiny.replace("\"unk_token\": \"[UNK]\", ", ""), "expected model.unk_token");
        assertRefused(tiny.replace("\"hello\": 8", "\"hello\": \"eight\""), "model.vocab[\"hello\"] must be a non-negative integer id, found \"eight\"");
        assertRefused(tiny.replace("\"type\": \"BertNormalizer\"", "\"type\": \"Lowercase\""),
                "expected normalizer.type \"BertNormalizer\" (or no normalizer), found \"Lowercase\"");
        assertRefused(tiny.replace("\"type\": \"BertPreTokenizer\"", "\"type\": \"ByteLevel\""),
                "expected pre_tokenizer.type \"BertPreTokenizer\", found \"ByteLevel\"");
        assertRefused(tiny.replace("\"type\": \"TemplateProcessing\"", "\"type\": \"RobertaProcessing\""),
                "expected post_processor.type \"TemplateProcessing\" or \"BertProcessing\" (or none), found \"RobertaProcessing\"");
        assertRefused(tiny.replace("\"ids\": [2], \"tokens\": [\"[CLS]\"]", "\"ids\": [2], \"tokens\": []"),
                "post_processor.special_tokens has no ids/tokens for \"[CLS]\"");
        assertRefused(tiny.replace("\"max_input_chars_per_word\": 12", "\"max_input_chars_per_word\": true"),
                "expected max_input_chars_per_word to be an integer, found true");
        assertRefused(tiny.replace("\"truncation\": null", "\"truncation\": {\"max_length\": 1}"),
                "max length 1 leaves no room for the 2 special tokens");
    }

    @Test
    void readsAStreamAndLeavesItOpen() throws IOException {
        boolean[] closed = {false};
        InputStream in = new ByteArrayInputStream(WordPieceUnitTest.TINY.getBytes(StandardCharsets.UTF_8)) {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        BertTokenizer tok = BertTokenizer.fromJson(in);
        assertEquals(26, tok.vocabSize());
        assertFalse(closed[0], "the caller closes the stream it opened");
        assertThrows(NullPointerException.class, () -> BertTokenizer.fromJson((Path) null));
        assertThrows(NullPointerException.class, () -> BertTokenizer.fromJson((InputStream) null));
    }

    private static void assertRefused(String json, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BertTokenizer.fromJson(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8))));
        assertTrue(e.getMessage().startsWith("tokenizer.json stream: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), () -> "expected \"" + expected + "\" in: " + e.getMessage());
    }
}
