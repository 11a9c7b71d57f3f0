package dev.graft.train;

import dev.graft.autograd.NoGrad;
import dev.graft.data.Batch;
import dev.graft.data.DataLoader;
import dev.graft.data.Sample;
import dev.graft.data.Split;
import dev.graft.data.Splits;
import dev.graft.data.TensorDataset;
import dev.graft.loss.Losses;
import dev.graft.nn.Linear;
import dev.graft.nn.Module;
import dev.graft.nn.WeightSource;
import dev.graft.optim.SGD;
import dev.graft.optim.lr.ReduceLROnPlateau;
import dev.graft.optim.lr.StepLR;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainerTest {

    /** Three Gaussian blobs in the plane (centres (-3, 0), (3, 0), (0, 3), σ 0.7): linearly separable in practice. */
    static TensorDataset blobs(int perClass, long seed) {
        double[][] centres = {{-3, 0}, {3, 0}, {0, 3}};
        Generator g = new Generator(seed);
        int n = 3 * perClass;
        float[] x = new float[2 * n];
        long[] y = new long[n];
        for (int i = 0; i < n; i++) {
            int c = i % 3;
            x[2 * i] = (float) (centres[c][0] + 0.7 * g.nextGaussian());
            x[2 * i + 1] = (float) (centres[c][1] + 0.7 * g.nextGaussian());
            y[i] = c;
        }
        return new TensorDataset(Tensor.fromArray(x, n, 2), Tensor.fromArray(y, n));
    }

    static ByteArrayOutputStream bytes() {
        return new ByteArrayOutputStream();
    }

    static PrintStream print(ByteArrayOutputStream b) {
        return new PrintStream(b, true, StandardCharsets.UTF_8);
    }

    @Test
    void learnsASeparableProblemAndWritesLogsAndPlot(@TempDir Path dir) throws Exception {
        TensorDataset data = blobs(100, 1);
        Split<Sample> split = Splits.stratifiedSplit(data, 0.2, 2);
        var train = DataLoader.builder(split.train()).batchSize(16).shuffle(3).prefetch(2).build();
        var val = DataLoader.of(split.validation(), 32);
        Module model = new Linear(2, 3, true, WeightSource.fresh(4));
        var out = bytes();
        Trainer trainer = Trainer.builder(model)
                .optimizer(new SGD(model.parameters(), 0.1))
                .epochs(6)
                .topK(2)
                .progress(print(out))
                .csvLog(dir.resolve("log.csv"))
                .jsonLog(dir.resolve("log.jsonl"))
                .plot(dir.resolve("curves.png"))
                .build();
        double before = trainer.evaluate(val).accuracy();
        History h = trainer.fit(train, val);

        assertEquals(6, h.epochs().size());
        assertFalse(h.stoppedEarly());
        double[] trainLoss = h.series(EpochResult.TRAIN_LOSS);
        double[] valAcc = h.series(EpochResult.VAL_ACCURACY);
        assertTrue(trainLoss[5] < trainLoss[0] / 2, "training loss falls: " + java.util.Arrays.toString(trainLoss));
        assertTrue(valAcc[5] > before, "accuracy rises from " + before + " to " + valAcc[5]);
        assertTrue(valAcc[5] >= 0.95, "separable blobs are learned: " + valAcc[5]);
        assertTrue(h.last().get(EpochResult.valTopK(2)) >= valAcc[5]);
        assertTrue(h.last().get(EpochResult.VAL_MACRO_F1) > 0.9);
        assertEquals(60, h.last().confusion().total(), "the validation confusion matrix covers the whole validation split");
        assertEquals(0.1, h.last().lr());
        assertTrue(model.isTraining(), "evaluation restores train mode");

        List<String> csv = Files.readAllLines(dir.resolve("log.csv"));
        assertEquals(7, csv.size());
        assertEquals("epoch,train_loss,train_accuracy,val_loss,val_accuracy,val_top2_accuracy,val_macro_f1,lr,seconds", csv.get(0));
        assertTrue(csv.get(6).startsWith("6,"));
        List<String> jsonl = Files.readAllLines(dir.resolve("log.jsonl"));
        assertEquals(6, jsonl.size());
        for (int e = 0; e < 6; e++) {
            Map<String, Object> row = FlatJson.parse(jsonl.get(e));
            assertEquals((double) (e + 1), row.get("epoch"));
            assertEquals(trainLoss[e], (Double) row.get("train_loss"), 0.0, "logs keep full precision");
        }
        byte[] png = Files.readAllBytes(dir.resolve("curves.png"));
        assertTrue(png.length > 1000);
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);

        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(6, printed.lines().filter(l -> l.startsWith("epoch ")).count(), printed);
        assertTrue(printed.contains("epoch 6/6: train_loss "), printed);
    }

    @Test
    void aHandWrittenUpdateWorksAsWell() {
        TensorDataset data = blobs(50, 5);
        Module model = new Linear(2, 3, true, WeightSource.fresh(6));
        double lr = 0.1;
        OptimizerHandle sgd = OptimizerHandle.of(model::zeroGrad, () -> {
            try (var _ = NoGrad.enter()) {
                for (Tensor p : model.parameters()) {
                    p.addInPlace(p.grad(), -lr);
                }
            }
        }, () -> lr);
        var loader = DataLoader.shuffled(data, 10, 7);
        History h = Trainer.builder(model).optimizer(sgd).epochs(4).progress(ProgressReporter.none()).build().fit(loader, loader.epochView(0));
        assertTrue(h.last().valAccuracy() >= 0.95, "accuracy " + h.last().valAccuracy());
        assertTrue(h.last().trainAccuracy() > h.epoch(1).trainAccuracy() || h.epoch(1).trainAccuracy() >= 0.95);
    }

    @Test
    void earlyStoppingStopsAndRestoresTheBestEpochsWeights() {
        TensorDataset data = blobs(30, 8);
        Module model = new Linear(2, 3, true, WeightSource.fresh(9));
        List<float[]> weightsAfterEpoch = new ArrayList<>();
        var es = EarlyStopping.min("val_loss").patience(2).restoreBestWeights(true);
        History h = Trainer.builder(model)
                .optimizer(new SGD(model.parameters(), 0.05))
                .epochs(20)
                .earlyStopping(es)
                .listener(r -> weightsAfterEpoch.add(((Linear) model).weight().toFloatArray()))
                .progress(ProgressReporter.none())
                .build()
                .fit(DataLoader.shuffled(data, 10, 1), badFrom(data, 3));
        // epochs 1-2 validate on true labels (loss falls), 3+ on wrong ones (loss jumps): best 2, stop at 4
        assertTrue(h.epoch(2).valLoss() < h.epoch(1).valLoss());
        assertEquals(4, h.epochs().size());
        assertTrue(h.stoppedEarly());
        assertEquals(2, h.bestEpoch());
        assertTrue(h.restoredBest());
        assertArrayEquals(weightsAfterEpoch.get(1), ((Linear) model).weight().toFloatArray());
        assertFalse(java.util.Arrays.equals(weightsAfterEpoch.get(3), ((Linear) model).weight().toFloatArray()));
    }

    /** A validation set whose labels are shifted by one class from the {@code from}-th pass on. */
    static Iterable<Batch> badFrom(TensorDataset data, int from) {
        long[] y = data.targets().toLongArray();
        long[] wrong = new long[y.length];
        for (int i = 0; i < y.length; i++) {
            wrong[i] = (y[i] + 1) % 3;
        }
        Tensor bad = Tensor.fromArray(wrong, wrong.length);
        int[] calls = {0};
        return () -> {
            calls[0]++;
            return List.of(new Batch(data.features(), calls[0] >= from ? bad : data.targets())).iterator();
        };
    }

    @Test
    void schedulersStepOncePerEpoch() {
        TensorDataset data = blobs(10, 10);
        Module model = new Linear(2, 3, true, WeightSource.fresh(11));
        var opt = new SGD(model.parameters(), 0.1);
        History h = Trainer.builder(model).optimizer(opt).epochs(3).scheduler(new StepLR(opt, 1, 0.5))
                .progress(ProgressReporter.none()).build().fit(DataLoader.of(data, 10));
        assertArrayEquals(new double[] {0.1, 0.05, 0.025}, h.series(EpochResult.LR), 1e-15);
    }

    @Test
    void plateauSchedulerSeesTheMonitoredMetric() {
        TensorDataset data = blobs(10, 12);
        Module model = new Linear(2, 3, true, WeightSource.fresh(13));
        var opt = new SGD(model.parameters(), 0.1);
        var plateau = ReduceLROnPlateau.builder(opt).patience(0).factor(0.5).build();
        History h = Trainer.builder(model).optimizer(opt).epochs(5).plateau(plateau, "val_loss")
                .progress(ProgressReporter.none()).build().fit(DataLoader.of(data, 10), badFrom(data, 3));
        double[] lr = h.series(EpochResult.LR);
        assertEquals(0.1, lr[0]);
        assertEquals(0.1, lr[2], "epochs 1-3 improve or are first to worsen");
        assertTrue(lr[4] < lr[2], "the plateau halves the rate once val_loss stops falling: " + java.util.Arrays.toString(lr));
    }

    @Test
    void monitoringAMetricTheRunDoesNotRecordFailsBeforeTraining() {
        TensorDataset data = blobs(5, 14);
        Module model = new Linear(2, 3, true, WeightSource.fresh(15));
        float[] w = ((Linear) model).weight().toFloatArray();
        Trainer t = Trainer.builder(model).optimizer(new SGD(model.parameters(), 0.1))
                .earlyStopping(EarlyStopping.min("val_loss")).progress(ProgressReporter.none()).build();
        var e = assertThrows(IllegalArgumentException.class, () -> t.fit(DataLoader.of(data, 5)));
        assertTrue(e.getMessage().contains("no validation loader"), e.getMessage());
        assertArrayEquals(w, ((Linear) model).weight().toFloatArray(), "nothing was trained");
    }

    @Test
    void aNonFiniteLossStopsWithItsEpochAndBatch(@TempDir Path dir) throws Exception {
        TensorDataset data = blobs(5, 16);
        Module model = new Linear(2, 3, true, WeightSource.fresh(17));
        int[] calls = {0};
        Trainer t = Trainer.builder(model).optimizer(new SGD(model.parameters(), 0.1)).epochs(3)
                .loss((o, y) -> ++calls[0] == 5 ? Losses.crossEntropy(o, y).mul(Double.NaN) : Losses.crossEntropy(o, y))
                .csvLog(dir.resolve("log.csv"))
                .progress(ProgressReporter.none()).build();
        var e = assertThrows(IllegalStateException.class, () -> t.fit(DataLoader.of(data, 5)));
        assertTrue(e.getMessage().contains("epoch 2, batch 2"), e.getMessage());
        assertEquals(2, Files.readAllLines(dir.resolve("log.csv")).size(), "epoch 1 was logged before the failure");
    }

    @Test
    void regressionRecordsLossAndNaNAccuracy() {
        Generator g = new Generator(18);
        Tensor x = Tensor.randn(g, 40, 3);
        Tensor y = x.matmul(Tensor.fromArray(new float[] {1, -2, 0.5f}, 3, 1)).detach();
        Module model = new Linear(3, 1, true, WeightSource.fresh(19));
        History h = Trainer.builder(model).optimizer(new SGD(model.parameters(), 0.1)).epochs(5).loss(Losses::mse)
                .progress(ProgressReporter.none()).build().fit(DataLoader.shuffled(new TensorDataset(x, y), 8, 1), DataLoader.of(new TensorDataset(x, y), 40));
        assertTrue(h.last().valLoss() < h.epoch(1).valLoss() / 4, "mse falls");
        assertTrue(Double.isNaN(h.last().valAccuracy()));
        assertTrue(Double.isNaN(h.last().trainAccuracy()));
    }

    @Test
    void progressBarShowsRunningLossAndEpochLines() {
        assertTrue(ProgressReporter.progressBarAvailable());
        TensorDataset data = blobs(20, 20);
        Module model = new Linear(2, 3, true, WeightSource.fresh(21));
        var out = bytes();
        ProgressReporter bar = ProgressReporter.console(print(out));
        Trainer.builder(model).optimizer(new SGD(model.parameters(), 0.1)).epochs(2).progress(bar).build()
                .fit(DataLoader.of(data, 6));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("epoch 1/2"), printed);
        assertTrue(printed.contains("10/10"), "bar reaches the number of batches: " + printed);
        assertTrue(printed.contains("loss "), printed);
        assertTrue(printed.lines().anyMatch(l -> l.startsWith("epoch 2/2: train_loss ")), printed);
        assertNotNull(bar);
    }
}
