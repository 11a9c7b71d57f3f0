package dev.graft.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EpochLogTest {

    static EpochResult result(int epoch, double trainLoss, double valLoss, double valAcc, double lr, double seconds) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(EpochResult.TRAIN_LOSS, trainLoss);
        m.put(EpochResult.TRAIN_ACCURACY, Double.NaN);
        m.put(EpochResult.VAL_LOSS, valLoss);
        m.put(EpochResult.VAL_ACCURACY, valAcc);
        m.put(EpochResult.LR, lr);
        return new EpochResult(epoch, m, seconds, null);
    }

    @Test
    void csvHasAHeaderAndOneRowPerEpochFlushedAsItGoes(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("sub/log.csv");
        try (EpochLog log = EpochLog.csv(csv)) {
            log.onEpochEnd(result(1, 0.5, 0.25, 0.75, 0.1, 1.5));
            // flushed per epoch: readable while the run goes on
            assertEquals(2, Files.readAllLines(csv).size());
            log.onEpochEnd(result(2, 0.125, Double.NaN, 1.0, 1e-4, 2.0));
        }
        List<String> lines = Files.readAllLines(csv);
        assertEquals(List.of(
                "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds",
                "1,0.5,,0.25,0.75,0.1,1.5",
                "2,0.125,,,1.0,1.0E-4,2.0"), lines);
    }

    @Test
    void jsonLinesAreValidJsonObjects(@TempDir Path dir) throws Exception {
        Path jsonl = dir.resolve("log.jsonl");
        try (EpochLog log = EpochLog.jsonLines(jsonl)) {
            log.onEpochEnd(result(1, 0.5, 0.25, 0.75, 0.1, 1.5));
            log.onEpochEnd(result(2, 0.125, Double.POSITIVE_INFINITY, 1.0, 1e-4, 2.0));
        }
        List<String> lines = Files.readAllLines(jsonl);
        assertEquals(2, lines.size());
        Map<String, Object> first = FlatJson.parse(lines.get(0));
        assertEquals(List.of("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds"), List.copyOf(first.keySet()));
        assertEquals(1.0, first.get("epoch"));
        assertEquals(0.5, first.get("train_loss"));
        assertNull(first.get("train_accuracy"));
        assertEquals(0.75, first.get("val_accuracy"));
        Map<String, Object> second = FlatJson.parse(lines.get(1));
        assertNull(second.get("val_loss"), "infinity is written as null");
        assertEquals(1e-4, second.get("lr"));
        assertThrows(IllegalArgumentException.class, () -> FlatJson.parse("{\"a\":NaN}"), "the checker itself is strict");
    }
}
