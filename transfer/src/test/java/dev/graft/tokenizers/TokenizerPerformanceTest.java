package dev.graft.tokenizers;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A guard, not a benchmark: 10,000 short sentences must tokenize and pad well inside a second
 * (the vocabulary is a HashMap and no regular expression runs per character). The best of five
 * runs after a warm-up counts, so that a busy machine does not fail it.
 */
class TokenizerPerformanceTest {
    @Test
    void tenThousandShortSentencesTakeWellUnderASecond() {
        BertTokenizer tok = HfOracle.graft(HfOracle.miniLmJson());
        List<String> shortOnes = TokenizerCorpus.sentences().stream().filter(s -> s.length() <= 80).toList();
        List<String> texts = new ArrayList<>(10_000);
        for (int i = 0; i < 10_000; i++) {
            texts.add(shortOnes.get(i % shortOnes.size()));
        }
        for (int i = 0; i < 3; i++) {
            tok.encodeBatch(texts); // warm-up: JIT
        }
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long t0 = System.nanoTime();
            BatchEncoding batch = tok.encodeBatch(texts);
            best = Math.min(best, System.nanoTime() - t0);
            assertEquals(10_000, batch.size());
        }
        double ms = best / 1e6;
        System.out.printf("tokenizer: 10,000 short sentences (%d distinct) in %.1f ms, best of 5%n", shortOnes.size(), ms);
        assertTrue(ms < 1000, "10,000 short sentences took " + ms + " ms; expected well under 1000 ms");
    }
}
