package dev.graft.tokenizers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads the parts of a Hugging Face {@code tokenizer.json} a BERT WordPiece tokenizer uses, and
 * refuses, naming the file and the field, any file that is not one. Jackson does the JSON: a solved
 * problem not worth a hand parser here (transfer may have dependencies; tensor, autograd and
 * layers may not).
 */
final class TokenizerJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(StreamReadFeature.AUTO_CLOSE_SOURCE) // the caller owns the stream
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final String source;

    private TokenizerJson(String source) {
        this.source = source;
    }

    static BertTokenizer read(InputStream in, String source) throws IOException {
        JsonNode root;
        try {
            root = MAPPER.readTree(in);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        return new TokenizerJson(source).tokenizer(root);
    }

    private BertTokenizer tokenizer(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw fail("expected a Hugging Face tokenizer.json object, found " + describe(root));
        }
        JsonNode model = root.get("model");
        if (model == null || !model.isObject()) {
            throw fail("expected a \"model\" object as in a Hugging Face tokenizer.json, found " + describe(model));
        }
        String type = text(model, "type", null);
        if (!"WordPiece".equals(type)) {
            throw fail("expected a BERT WordPiece tokenizer (model.type \"WordPiece\"), found model.type "
                    + (type == null ? "missing" : "\"" + type + "\""));
        }
        Map<String, Integer> vocab = vocab(model.get("vocab"));
        String unk = text(model, "unk_token", null);
        if (unk == null) {
            throw fail("expected model.unk_token (the token for unknown words, usually \"[UNK]\"), found none");
        }
        if (!vocab.containsKey(unk)) {
            throw fail("the unknown token \"" + unk + "\" (model.unk_token) is not in model.vocab");
        }
        WordPiece wordPiece = new WordPiece(vocab, unk, text(model, "continuing_subword_prefix", "##"),
                integer(model, "max_input_chars_per_word", 100));

        BertNormalizer normalizer = normalizer(root.get("normalizer"));
        preTokenizer(root.get("pre_tokenizer"));

        List<AddedTokens.Token> addedList = addedTokens(root.get("added_tokens"), vocab);
        AddedTokens added = new AddedTokens(addedList, normalizer);
        Map<String, Integer> addedIds = new HashMap<>();
        for (AddedTokens.Token t : addedList) {
            addedIds.putIfAbsent(t.content(), t.id());
        }

        int maxId = -1;
        for (int id : vocab.values()) {
            maxId = Math.max(maxId, id);
        }
        for (AddedTokens.Token t : addedList) {
            maxId = Math.max(maxId, t.id());
        }
        String[] idToToken = new String[maxId + 1];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            idToToken[e.getValue()] = e.getKey();
        }
        Set<String> distinct = new HashSet<>(vocab.keySet());
        for (AddedTokens.Token t : addedList) {
            idToToken[t.id()] = t.content();
            distinct.add(t.content());
        }

        Template template = template(root.get("post_processor"));

        JsonNode truncation = root.get("truncation");
        int maxLength = BertTokenizer.DEFAULT_MAX_LENGTH;
        boolean truncateLeft = false;
        if (truncation != null && !truncation.isNull()) {
            maxLength = integer(truncation, "max_length", BertTokenizer.DEFAULT_MAX_LENGTH);
            truncateLeft = "Left".equals(text(truncation, "direction", "Right"));
        }

        return new BertTokenizer(source, added, normalizer, wordPiece, template, maxLength, truncateLeft,
                padding(root.get("padding")), Map.copyOf(addedIds), idToToken, distinct.size());
    }

    private Map<String, Integer> vocab(JsonNode node) {
        if (node == null || !node.isObject() || node.isEmpty()) {
            throw fail("expected model.vocab, an object of token -> id for WordPiece, found " + describe(node));
        }
        Map<String, Integer> vocab = HashMap.newHashMap(node.size());
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            JsonNode id = e.getValue();
            if (!id.canConvertToInt() || !id.isIntegralNumber() || id.intValue() < 0) {
                throw fail("model.vocab[\"" + e.getKey() + "\"] must be a non-negative integer id, found " + id);
            }
            vocab.put(e.getKey(), id.intValue());
        }
        return vocab;
    }

    private BertNormalizer normalizer(JsonNode node) {
        if (node == null || node.isNull()) {
            return BertNormalizer.IDENTITY;
        }
        String type = text(node, "type", null);
        if (!"BertNormalizer".equals(type)) {
            throw fail("expected normalizer.type \"BertNormalizer\" (or no normalizer), found " + quoted(type));
        }
        boolean lowercase = bool(node, "lowercase", true);
        JsonNode strip = node.get("strip_accents");
        // Hugging Face: strip_accents null means "strip when lowercasing"
        boolean stripAccents = strip == null || strip.isNull() ? lowercase : strip.asBoolean();
        return new BertNormalizer(bool(node, "clean_text", true), bool(node, "handle_chinese_chars", true), stripAccents, lowercase);
    }

    private void preTokenizer(JsonNode node) {
        String type = node == null || node.isNull() ? null : text(node, "type", null);
        if (!"BertPreTokenizer".equals(type)) {
            throw fail("expected pre_tokenizer.type \"BertPreTokenizer\", found " + (node == null || node.isNull() ? "none" : quoted(type)));
        }
    }

    private List<AddedTokens.Token> addedTokens(JsonNode node, Map<String, Integer> vocab) {
        List<AddedTokens.Token> tokens = new ArrayList<>();
        if (node == null || node.isNull()) {
            return tokens;
        }
        if (!node.isArray()) {
            throw fail("expected added_tokens to be an array, found " + describe(node));
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode t = node.get(i);
            String content = text(t, "content", null);
            if (content == null) {
                throw fail("added_tokens[" + i + "] has no \"content\"");
            }
            Integer id = vocab.get(content); // Hugging Face keeps the vocabulary's id for a token it already has
            if (id == null) {
                id = integer(t, "id", -1);
                if (id < 0) {
                    throw fail("added_tokens[" + i + "] (\"" + content + "\") needs a non-negative \"id\"");
                }
            }
            boolean special = bool(t, "special", false);
            tokens.add(new AddedTokens.Token(content, id, bool(t, "single_word", false), bool(t, "lstrip", false), bool(t, "rstrip", false),
                    bool(t, "normalized", !special), special));
        }
        return tokens;
    }

    private Template template(JsonNode node) {
        if (node == null || node.isNull()) {
            return Template.NONE;
        }
        String type = text(node, "type", null);
        if ("BertProcessing".equals(type)) {
            JsonNode cls = node.get("cls");
            JsonNode sep = node.get("sep");
            if (!pair(cls) || !pair(sep)) {
                throw fail("expected post_processor.cls and .sep as [token, id] pairs, found " + cls + " and " + sep);
            }
            return new Template(new int[] {cls.get(1).intValue()}, new String[] {cls.get(0).asText()}, new int[] {0}, 0,
                    new int[] {sep.get(1).intValue()}, new String[] {sep.get(0).asText()}, new int[] {0});
        }
        if (!"TemplateProcessing".equals(type)) {
            throw fail("expected post_processor.type \"TemplateProcessing\" or \"BertProcessing\" (or none), found " + quoted(type));
        }
        JsonNode single = node.get("single");
        if (single == null || !single.isArray()) {
            throw fail("expected post_processor.single, the template for one sequence, found " + describe(single));
        }
        JsonNode specials = node.get("special_tokens");
        List<Integer> ids = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        int sequenceAt = -1;
        int sequenceType = 0;
        for (JsonNode piece : single) {
            if (piece.has("Sequence")) {
                if (sequenceAt >= 0) {
                    throw fail("post_processor.single has more than one Sequence; a single-sequence template has one");
                }
                sequenceAt = ids.size();
                sequenceType = integer(piece.get("Sequence"), "type_id", 0);
            } else if (piece.has("SpecialToken")) {
                JsonNode st = piece.get("SpecialToken");
                String name = text(st, "id", null);
                int typeId = integer(st, "type_id", 0);
                JsonNode def = specials == null ? null : specials.get(name);
                if (def == null || !def.has("ids") || !def.has("tokens") || def.get("ids").size() != def.get("tokens").size()) {
                    throw fail("post_processor.special_tokens has no ids/tokens for \"" + name + "\" used by the template");
                }
                for (int i = 0; i < def.get("ids").size(); i++) {
                    ids.add(def.get("ids").get(i).intValue());
                    tokens.add(def.get("tokens").get(i).asText());
                    types.add(typeId);
                }
            } else {
                throw fail("post_processor.single: expected Sequence or SpecialToken pieces, found " + piece);
            }
        }
        if (sequenceAt < 0) {
            throw fail("post_processor.single has no Sequence piece ($A)");
        }
        int n = ids.size();
        int[] allIds = ids.stream().mapToInt(Integer::intValue).toArray();
        int[] allTypes = types.stream().mapToInt(Integer::intValue).toArray();
        String[] allTokens = tokens.toArray(String[]::new);
        return new Template(Arrays.copyOfRange(allIds, 0, sequenceAt), Arrays.copyOfRange(allTokens, 0, sequenceAt),
                Arrays.copyOfRange(allTypes, 0, sequenceAt), sequenceType, Arrays.copyOfRange(allIds, sequenceAt, n),
                Arrays.copyOfRange(allTokens, sequenceAt, n), Arrays.copyOfRange(allTypes, sequenceAt, n));
    }

    private BertTokenizer.Padding padding(JsonNode node) {
        if (node == null || node.isNull()) {
            return new BertTokenizer.Padding(0, 0, false, 0); // Hugging Face's defaults: id 0 whatever the vocabulary says
        }
        return new BertTokenizer.Padding(integer(node, "pad_id", 0), integer(node, "pad_type_id", 0), "Left".equals(text(node, "direction", "Right")),
                integer(node, "pad_to_multiple_of", 0));
    }

    private static boolean pair(JsonNode n) {
        return n != null && n.isArray() && n.size() == 2 && n.get(0).isTextual() && n.get(1).canConvertToInt();
    }

    private String text(JsonNode node, String field, String absent) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isTextual()) {
            throw fail("expected " + field + " to be a string, found " + v);
        }
        return v.textValue();
    }

    private int integer(JsonNode node, String field, int absent) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw fail("expected " + field + " to be an integer, found " + v);
        }
        return v.intValue();
    }

    private boolean bool(JsonNode node, String field, boolean absent) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isBoolean()) {
            throw fail("expected " + field + " to be true or false, found " + v);
        }
        return v.booleanValue();
    }

    private static String describe(JsonNode n) {
        return n == null || n.isMissingNode() ? "none" : n.isNull() ? "null" : n.getNodeType().toString().toLowerCase(Locale.ROOT);
    }

    private static String quoted(String s) {
        return s == null ? "none" : "\"" + s + "\"";
    }

    private IllegalArgumentException fail(String what) {
        return new IllegalArgumentException(source + ": " + what);
    }
}
