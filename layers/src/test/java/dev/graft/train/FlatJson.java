package dev.graft.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A strict parser for one flat JSON object (string keys; numbers, null, booleans, strings without
 * escapes), enough to check that each log line is valid JSON without a JSON library. Numbers
 * follow the JSON grammar exactly, so {@code NaN}, {@code Infinity}, {@code 1.} or {@code .5} fail.
 */
final class FlatJson {
    private final String s;
    private int i;

    private FlatJson(String s) {
        this.s = s;
    }

    static Map<String, Object> parse(String line) {
        FlatJson p = new FlatJson(line);
        Map<String, Object> out = p.object();
        p.ws();
        if (p.i != line.length()) {
            throw p.error("trailing characters");
        }
        return out;
    }

    private Map<String, Object> object() {
        ws();
        expect('{');
        Map<String, Object> m = new LinkedHashMap<>();
        ws();
        if (peek() == '}') {
            i++;
            return m;
        }
        while (true) {
            ws();
            String key = string();
            ws();
            expect(':');
            ws();
            if (m.put(key, value()) != null) {
                throw error("duplicate key " + key);
            }
            ws();
            char c = next();
            if (c == '}') {
                return m;
            }
            if (c != ',') {
                throw error("expected , or }");
            }
        }
    }

    private Object value() {
        char c = peek();
        if (c == '"') {
            return string();
        }
        if (s.startsWith("null", i)) {
            i += 4;
            return null;
        }
        if (s.startsWith("true", i)) {
            i += 4;
            return true;
        }
        if (s.startsWith("false", i)) {
            i += 5;
            return false;
        }
        var m = java.util.regex.Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?").matcher(s).region(i, s.length());
        if (!m.lookingAt()) {
            throw error("not a JSON value");
        }
        i = m.end();
        return Double.parseDouble(m.group());
    }

    private String string() {
        expect('"');
        int start = i;
        while (peek() != '"') {
            if (peek() == '\\') {
                throw error("escapes not supported here");
            }
            i++;
        }
        String out = s.substring(start, i);
        i++;
        return out;
    }

    private void ws() {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
    }

    private char peek() {
        if (i >= s.length()) {
            throw error("unexpected end");
        }
        return s.charAt(i);
    }

    private char next() {
        char c = peek();
        i++;
        return c;
    }

    private void expect(char c) {
        if (next() != c) {
            throw error("expected " + c);
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at " + i + " in: " + s);
    }
}
