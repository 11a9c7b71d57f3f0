package dev.graft.train;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every expected value here is worked out by hand in the comments. */
class MetricsTest {
    private static final double EPS = 1e-12;

    // actual    = 0 0 1 1 2 2 2
    // predicted = 0 1 1 1 0 0 1      (class 2 is never predicted)
    private static final long[] ACTUAL = {0, 0, 1, 1, 2, 2, 2};
    private static final long[] PREDICTED = {0, 1, 1, 1, 0, 0, 1};

    @Test
    void confusionMatrixCountsAndPerClassScores() {
        var cm = new ConfusionMatrix(3);
        cm.add(ACTUAL, PREDICTED);
        assertArrayEquals(new long[][] {{1, 1, 0}, {0, 2, 0}, {2, 1, 0}}, cm.toArray());
        assertEquals(7, cm.total());
        assertEquals(3.0 / 7, cm.accuracy(), EPS);
        // class 0: TP 1, FP 2 (two 2s predicted as 0), FN 1 → P 1/3, R 1/2, F1 = 2·1/(2·1+2+1) = 2/5
        assertEquals(1.0 / 3, cm.precision(0), EPS);
        assertEquals(0.5, cm.recall(0), EPS);
        assertEquals(0.4, cm.f1(0), EPS);
        // class 1: TP 2, FP 2, FN 0 → P 1/2, R 1, F1 = 4/6 = 2/3
        assertEquals(0.5, cm.precision(1), EPS);
        assertEquals(1.0, cm.recall(1), EPS);
        assertEquals(2.0 / 3, cm.f1(1), EPS);
        // class 2: never predicted → precision 0 (zero_division=0), recall 0, F1 0
        assertEquals(0, cm.precision(2), EPS);
        assertEquals(0, cm.recall(2), EPS);
        assertEquals(0, cm.f1(2), EPS);
        // macro-F1 = (2/5 + 2/3 + 0) / 3 = 16/45 (sklearn f1_score(average="macro") gives 0.35555…)
        assertEquals(16.0 / 45, cm.macroF1(), EPS);
        assertTrue(cm.toString().contains("a\\p"));
    }

    @Test
    void macroF1LeavesOutClassesThatAppearNowhere() {
        var cm = new ConfusionMatrix(5); // classes 3 and 4 never occur and are never predicted
        cm.add(ACTUAL, PREDICTED);
        assertEquals(16.0 / 45, cm.macroF1(), EPS);
        assertTrue(Double.isNaN(new ConfusionMatrix(2).macroF1()));
    }

    @Test
    void metricsFromLogitsMatchTheConfusionMatrix() {
        // each row's argmax is PREDICTED
        float[] logits = {
            3, 1, 0,
            0, 2, 1,
            -1, 5, 4,
            0, 1, 0,
            9, 8, 7,
            2, 1, 1.5f,
            0, 3, 2.9f,
        };
        var m = new Metrics().topK(1, 2, 3);
        m.update(Tensor.fromArray(logits, 7, 3), Tensor.fromArray(ACTUAL, 7));
        assertEquals(3.0 / 7, m.accuracy(), EPS);
        assertEquals(16.0 / 45, m.macroF1(), EPS);
        assertArrayEquals(new long[][] {{1, 1, 0}, {0, 2, 0}, {2, 1, 0}}, m.confusionMatrix().toArray());
        // top-2: is the target among the two largest?
        //  row0 t0: 3 largest → yes       row1 t0: 0 is smallest → no     row2 t1: 5 → yes
        //  row3 t1: 1 → yes               row4 t2: 7 is smallest → no     row5 t2: 1.5 second → yes
        //  row6 t2: 2.9 second → yes      → 5/7
        assertEquals(5.0 / 7, m.topKAccuracy(2), EPS);
        assertEquals(m.accuracy(), m.topKAccuracy(1), EPS);
        assertEquals(1.0, m.topKAccuracy(3), EPS);
        assertEquals(5.0 / 7, Metrics.topKAccuracy(Tensor.fromArray(logits, 7, 3), Tensor.fromArray(ACTUAL, 7), 2), EPS);
        assertThrows(IllegalArgumentException.class, () -> m.topKAccuracy(4));
    }

    @Test
    void tiesRankTheLowerClassFirstLikeArgmax() {
        // both rows tie all three classes: argmax is class 0
        var scores = Tensor.zeros(2, 3);
        var targets = Tensor.fromArray(new long[] {0, 2}, 2);
        assertEquals(0.5, Metrics.accuracy(scores, targets), EPS);
        assertEquals(0.5, Metrics.topKAccuracy(scores, targets, 1), EPS);
        assertEquals(0.5, Metrics.topKAccuracy(scores, targets, 2), EPS); // class 2 ranks third
        assertEquals(1.0, Metrics.topKAccuracy(scores, targets, 3), EPS);
    }

    @Test
    void accumulatesOverBatchesWithWeightedLoss() {
        var m = new Metrics(3);
        m.update(Tensor.fromArray(new long[] {0, 1, 1}, 3), Tensor.fromArray(new long[] {0, 0, 1}, 3));
        m.addLoss(1.0, 3);
        m.update(Tensor.fromArray(new long[] {2}, 1), Tensor.fromArray(new long[] {2}, 1));
        m.addLoss(3.0, 1);
        assertEquals(4, m.count());
        assertEquals(0.75, m.accuracy(), EPS);
        assertEquals((1.0 * 3 + 3.0) / 4, m.loss(), EPS);
    }

    @Test
    void binaryLogits() {
        // logit > 0 means class 1
        var out = Tensor.fromArray(new float[] {2.0f, -1.0f, 0.5f, -0.2f}, 4, 1);
        var t = Tensor.fromArray(new long[] {1, 0, 0, 0}, 4);
        var m = new Metrics();
        m.update(out, t);
        assertEquals(0.75, m.accuracy(), EPS);
        assertEquals(2, m.confusionMatrix().numClasses());
        // class 0: TP 2, FP 0, FN 1 → F1 4/5; class 1: TP 1, FP 1, FN 0 → F1 2/3
        assertEquals((0.8 + 2.0 / 3) / 2, m.macroF1(), EPS);
    }

    @Test
    void rejectsInconsistentInput() {
        var m = new Metrics(3);
        assertThrows(IllegalArgumentException.class, () -> m.update(Tensor.zeros(2, 4), Tensor.zeros(DType.INT64, 2)));
        assertThrows(IllegalArgumentException.class, () -> m.update(Tensor.zeros(2, 3), Tensor.zeros(2)));
        assertThrows(IllegalArgumentException.class, () -> m.update(Tensor.zeros(2, 3), Tensor.fromArray(new long[] {0, 3}, 2)));
        assertThrows(IllegalArgumentException.class, () -> new ConfusionMatrix(2).add(2, 0));
        assertTrue(Double.isNaN(new Metrics().accuracy()));
        assertTrue(Double.isNaN(new Metrics().loss()));
    }
}
