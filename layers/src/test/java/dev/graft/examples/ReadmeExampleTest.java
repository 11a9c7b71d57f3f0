package dev.graft.examples;

import dev.graft.checkpoint.Checkpoint;
import dev.graft.data.DataLoader;
import dev.graft.data.Sample;
import dev.graft.data.Split;
import dev.graft.data.Splits;
import dev.graft.data.TensorDataset;
import dev.graft.loss.Losses;
import dev.graft.nn.Activation;
import dev.graft.nn.Conv2d;
import dev.graft.nn.Linear;
import dev.graft.nn.Module;
import dev.graft.nn.Pooling;
import dev.graft.nn.Sequential;
import dev.graft.optim.AdamW;
import dev.graft.safetensors.SafeTensors;
import dev.graft.train.EarlyStopping;
import dev.graft.train.History;
import dev.graft.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's training example, verbatim between the markers, run on the digits. */
class ReadmeExampleTest {
    @Test
    void readmeExampleTrainsAndSaves(@TempDir Path dir) throws Exception {
        TensorDataset digits = DigitsData.load();
        PrintStream console = new PrintStream(new ByteArrayOutputStream());
        Path csv = dir.resolve("train.csv");
        Path png = dir.resolve("curves.png");
        Path weights = dir.resolve("digits.safetensors");
        // README-BEGIN
        Module model = new Sequential(
                new Conv2d(1, 16, 3, 1, 1), new Activation.ReLU(), new Pooling.MaxPool2d(2),
                new Pooling.Flatten(), new Linear(16 * 4 * 4, 10));
        Split<Sample> split = Splits.stratifiedSplit(digits, 0.2, 42); // digits: [N,1,8,8] images, [N] labels
        History history = Trainer.builder(model)
                .optimizer(new AdamW(model.parameters(), 3e-3))
                .loss(Losses::crossEntropy)
                .epochs(20)
                .earlyStopping(EarlyStopping.max("val_accuracy").patience(3).restoreBestWeights(true))
                .progress(console)
                .csvLog(csv).plot(png)
                .build()
                .fit(DataLoader.shuffled(split.train(), 32, 1), DataLoader.of(split.validation(), 256));
        Checkpoint.saveWeights(weights, model, Map.of("val_accuracy", "" + history.series("val_accuracy")[history.bestEpoch() - 1]));
        // README-END
        double best = history.series("val_accuracy")[history.bestEpoch() - 1];
        assertTrue(best >= 0.95, "best validation accuracy " + best);
        assertTrue(Files.size(png) > 1000);
        assertEquals(history.epochs().size() + 1, Files.readAllLines(csv).size());
        assertEquals(model.stateDict().keySet(), SafeTensors.read(weights, false).keySet());
    }
}
