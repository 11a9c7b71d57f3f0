package dev.graft.tokenizers;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * 10,000 short sentences in one padded batch: every row holds the sentence's own encoding followed
 * by masked padding. The time (best of five after warm-up) is printed for a reader, not asserted:
 * speed goals are benchmarks, never timed tests.
 */
class TokenizerPerformanceTest {
    @Test
    void tenThousandShortSentencesInOneBatch() {
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
        // the time is reported, not asserted (speed goals are benchmarks, not timed tests)
        System.out.printf("tokenizer: 10,000 short sentences (%d distinct) in %.1f ms, best of 5%n", shortOnes.size(), ms);
        // each row of the big padded batch holds the sentence's own encoding, then padding
        BatchEncoding batch = tok.encodeBatch(texts);
        for (int i = 0; i < shortOnes.size(); i++) {
            long[] single = tok.encode(texts.get(i)).ids();
            long[] row = batch.ids()[i];
            assertArrayEquals(single, java.util.Arrays.copyOf(row, single.length), "row " + i);
            for (int j = single.length; j < row.length; j++) {
                assertEquals(0, batch.attentionMask()[i][j], "row " + i + " padding at " + j);
            }
        }
    }
}
