package dev.graft.train;

import dev.graft.autograd.NoGrad;
import dev.graft.nn.Linear;
import dev.graft.nn.WeightSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EarlyStoppingTest {

    /** Feeds values for epochs 1, 2, ... and returns the epoch at which it said stop, or -1. */
    private static int run(EarlyStopping es, double... values) {
        for (int i = 0; i < values.length; i++) {
            if (es.observe(i + 1, values[i])) {
                return i + 1;
            }
        }
        return -1;
    }

    @Test
    void minModeWithPatience() {
        var es = EarlyStopping.min("val_loss").patience(2);
        // best 1.0 (e1), 0.8 (e2); e3 0.85 wait 1; e4 0.9 wait 2 → stop at 4
        assertEquals(4, run(es, 1.0, 0.8, 0.85, 0.9, 0.1));
        assertEquals(2, es.bestEpoch());
        assertEquals(0.8, es.best());
        assertEquals(4, es.stoppedEpoch());
    }

    @Test
    void improvementResetsTheCount() {
        var es = EarlyStopping.min("val_loss").patience(2);
        // e3 worse (wait 1), e4 better (reset), e5 worse (1), e6 worse (2) → stop at 6
        assertEquals(6, run(es, 1.0, 0.9, 0.95, 0.7, 0.75, 0.72, 0.1));
        assertEquals(4, es.bestEpoch());
    }

    @Test
    void maxModeAndMinDelta() {
        var es = EarlyStopping.max("val_accuracy").patience(2).minDelta(0.01);
        // e1 0.50 best; e2 0.505 (< 0.50 + 0.01: no); e3 0.52 (> 0.51: yes, best); e4 0.525 no; e5 0.529 no → stop 5
        assertEquals(5, run(es, 0.50, 0.505, 0.52, 0.525, 0.529));
        assertEquals(3, es.bestEpoch());
        assertEquals(0.52, es.best());
    }

    @Test
    void nanNeverImproves() {
        var es = EarlyStopping.min("val_loss").patience(2);
        // e1 NaN (wait 1), e2 2.0 first real value (best), e3 NaN (1), e4 NaN (2) → stop at 4
        assertEquals(4, run(es, Double.NaN, 2.0, Double.NaN, Double.NaN));
        assertEquals(2, es.bestEpoch());
    }

    @Test
    void patienceZeroStopsAtTheFirstEpochWithoutImprovementAndResetForgets() {
        var es = EarlyStopping.min("val_loss");
        assertEquals(3, run(es, 3, 2, 2)); // equal is not better
        es.reset();
        assertEquals(-1, es.bestEpoch());
        assertEquals(-1, run(es, 3, 2, 1));
        assertFalse(es.isImprovement(1.0));
        assertTrue(es.isImprovement(0.999));
    }

    @Test
    void restoresTheBestWeights() {
        var model = new Linear(2, 1, true, WeightSource.fresh(1));
        var es = EarlyStopping.min("val_loss").patience(1).restoreBestWeights(true);
        setWeights(model, 1f);
        es.observe(1, 0.5, model);
        setWeights(model, 2f);
        es.observe(2, 0.3, model); // best
        setWeights(model, 3f);
        assertTrue(es.observe(3, 0.4, model));
        assertTrue(es.restoreBest(model));
        assertArrayEquals(new float[] {2f, 2f}, model.weight().toFloatArray());
        assertArrayEquals(new float[] {2f}, model.bias().toFloatArray());
        assertTrue(model.weight().requiresGrad(), "restoring copies into the live parameters");
        assertFalse(EarlyStopping.min("x").restoreBest(model), "nothing to restore without the option");
    }

    private static void setWeights(Linear m, float v) {
        try (var _ = NoGrad.enter()) {
            m.weight().fill(v);
            m.bias().fill(v);
        }
    }
}
