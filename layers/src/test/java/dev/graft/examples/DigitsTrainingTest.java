package dev.graft.examples;

import dev.graft.autograd.NoGrad;
import dev.graft.checkpoint.Checkpoint;
import dev.graft.data.Batch;
import dev.graft.data.DataLoader;
import dev.graft.data.Sample;
import dev.graft.data.Split;
import dev.graft.data.TensorDataset;
import dev.graft.loss.Losses;
import dev.graft.nn.Activation;
import dev.graft.nn.Conv2d;
import dev.graft.nn.Linear;
import dev.graft.nn.Module;
import dev.graft.nn.Pooling;
import dev.graft.nn.Sequential;
import dev.graft.nn.WeightSource;
import dev.graft.nn.Dropout;
import dev.graft.optim.Adam;
import dev.graft.optim.ParamGroup;
import dev.graft.optim.SGD;
import dev.graft.optim.lr.LRScheduler;
import dev.graft.optim.lr.StepLR;
import dev.graft.tensor.Generator;
import dev.graft.optim.Optimizer;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real data: the 8x8 digits with a stratified held-out 20% (about 360 images). The CNN must reach 97%
 * held-out accuracy and the MLP 95%, with fixed seeds; a run resumed from a checkpoint must
 * produce bit-identical losses to the uninterrupted run.
 */
class DigitsTrainingTest {
    private static TensorDataset all;
    private static Split<Sample> split;

    @BeforeAll
    static void load() throws Exception {
        all = DigitsData.load();
        split = DigitsData.split(all);
    }

    static Module cnn(long seed) {
        WeightSource ws = WeightSource.fresh(seed);
        int[] k3 = {3, 3};
        int[] one = {1, 1};
        return new Sequential(
                new Conv2d(1, 16, k3, one, one, one, 1, true, ws.pp("0")), new Activation.ReLU(),
                new Conv2d(16, 32, k3, one, one, one, 1, true, ws.pp("2")), new Activation.ReLU(),
                new Pooling.MaxPool2d(2), new Pooling.Flatten(),
                new Linear(32 * 4 * 4, 10, true, ws.pp("6")));
    }

    static Module mlp(long seed) {
        WeightSource ws = WeightSource.fresh(seed);
        return new Sequential(new Pooling.Flatten(), new Linear(64, 128, true, ws.pp("1")), new Activation.ReLU(),
                new Linear(128, 10, true, ws.pp("3")));
    }

    /** One epoch; returns the loss of every step. */
    static List<Double> trainEpoch(Module model, Optimizer opt, Iterable<Batch> batches) {
        model.train();
        List<Double> losses = new ArrayList<>();
        for (Batch b : batches) {
            Tensor loss = Losses.crossEntropy(model.forward(b.inputs()), b.targets());
            opt.zeroGrad();
            loss.backward();
            opt.step();
            losses.add(loss.item());
        }
        return losses;
    }

    static double accuracy(Module model, Iterable<Batch> batches) {
        model.eval();
        long correct = 0;
        long total = 0;
        try (var g = NoGrad.enter()) {
            for (Batch b : batches) {
                correct += (long) model.forward(b.inputs()).argmax(1, false).eq(b.targets()).to(DType.INT64).sum().item();
                total += b.size();
            }
        }
        return (double) correct / total;
    }

    @Test
    void cnnReaches97PercentOnHeldOutDigits() {
        DataLoader<Sample> train = DataLoader.builder(split.train()).batchSize(32).shuffle(1).prefetch(2).build();
        DataLoader<Sample> test = DataLoader.of(split.validation(), 128);
        Module model = cnn(7);
        Optimizer opt = new Adam(model.parameters(), 2e-3);
        // a fixed schedule: the held-out split is looked at once, after training, never to choose when to stop
        int epochs = 8;
        for (int epoch = 0; epoch < epochs; epoch++) {
            trainEpoch(model, opt, train);
        }
        double acc = accuracy(model, test);
        System.out.printf("digits CNN: held-out accuracy %.4f after %d epochs%n", acc, epochs);
        assertTrue(Math.abs(split.validation().size() - 360) <= 5, "about 20% held out: " + split.validation().size());
        assertTrue(acc >= 0.97, "held-out accuracy " + acc);
    }

    @Test
    void mlpReaches95PercentOnHeldOutDigits() {
        DataLoader<Sample> train = DataLoader.shuffled(split.train(), 32, 3);
        DataLoader<Sample> test = DataLoader.of(split.validation(), 128);
        Module model = mlp(11);
        Optimizer opt = new Adam(model.parameters(), 3e-3);
        int epochs = 10;
        for (int epoch = 0; epoch < epochs; epoch++) {
            trainEpoch(model, opt, train);
        }
        double acc = accuracy(model, test);
        System.out.printf("digits MLP: held-out accuracy %.4f after %d epochs%n", acc, epochs);
        assertTrue(acc >= 0.95, "held-out accuracy " + acc);
    }

    static Module cnnWithDropout(long seed, Generator dropout) {
        WeightSource ws = WeightSource.fresh(seed);
        int[] k3 = {3, 3};
        int[] one = {1, 1};
        return new Sequential(
                new Conv2d(1, 16, k3, one, one, one, 1, true, ws.pp("0")), new Activation.ReLU(),
                new Pooling.MaxPool2d(2), new Pooling.Flatten(), new Dropout(0.3, dropout),
                new Linear(16 * 4 * 4, 10, true, ws.pp("5")));
    }

    @Test
    void resumingWithSchedulerAndDropoutContinuesBitForBit(@TempDir Path dir) throws Exception {
        DataLoader<Sample> train = DataLoader.shuffled(split.train(), 64, 9);
        Generator drop = new Generator(77);
        Module model = cnnWithDropout(5, drop);
        Optimizer opt = new SGD(model.parameters(), ParamGroup.defaults().lr(0.05).momentum(0.9));
        LRScheduler sched = new StepLR(opt, 1, 0.5);
        trainEpoch(model, opt, train.epochView(0));
        sched.step();
        Path ckpt = dir.resolve("resume.safetensors");
        Checkpoint.save(ckpt, model, opt, sched, Map.of("epoch", "1"), Map.of("dropout", drop));
        List<Double> uninterrupted = trainEpoch(model, opt, train.epochView(1));

        Generator drop2 = new Generator(1234);
        Module resumed = cnnWithDropout(99, drop2);
        Optimizer opt2 = new SGD(resumed.parameters(), ParamGroup.defaults().lr(0.05).momentum(0.9));
        LRScheduler sched2 = new StepLR(opt2, 1, 0.5);
        Checkpoint.load(ckpt, resumed, opt2, sched2, Map.of("dropout", drop2), true);
        org.junit.jupiter.api.Assertions.assertArrayEquals(sched.lastLr(), sched2.lastLr());
        assertEquals(uninterrupted, trainEpoch(resumed, opt2, train.epochView(1)));
    }

    @Test
    void aFailedLoadChangesNothing(@TempDir Path dir) throws Exception {
        Module a = mlp(1);
        Optimizer adam = new Adam(a.parameters(), 1e-3);
        trainEpoch(a, adam, DataLoader.of(split.train(), 256));
        Path ckpt = dir.resolve("adam.safetensors");
        Checkpoint.save(ckpt, a, adam, Map.of(), null);

        Module b = mlp(2);
        Map<String, Tensor> before = new java.util.LinkedHashMap<>();
        b.stateDict().forEach((k, v) -> before.put(k, v.clone()));
        Optimizer sgd = new SGD(b.parameters(), 0.1);
        org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> Checkpoint.load(ckpt, b, sgd, null, true));
        b.stateDict().forEach((k, v) -> assertTrue(v.allClose(before.get(k), 0, 0), "model changed by a failed load: " + k));

        Module c = cnn(3); // another architecture: strict load refuses before touching anything
        Map<String, Tensor> beforeC = new java.util.LinkedHashMap<>();
        c.stateDict().forEach((k, v) -> beforeC.put(k, v.clone()));
        org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> Checkpoint.load(ckpt, c, null, null, true));
        c.stateDict().forEach((k, v) -> assertTrue(v.allClose(beforeC.get(k), 0, 0), "model changed by a failed load: " + k));
    }

    @Test
    void resumingFromACheckpointContinuesBitForBit(@TempDir Path dir) throws Exception {
        DataLoader<Sample> train = DataLoader.shuffled(split.train(), 64, 5);
        Module model = cnn(21);
        Optimizer opt = new Adam(model.parameters(), 1e-3);
        trainEpoch(model, opt, train.epochView(0));
        trainEpoch(model, opt, train.epochView(1));
        Path ckpt = dir.resolve("step.safetensors");
        Checkpoint.save(ckpt, model, opt, Map.of("epoch", "2"), null);
        List<Double> uninterrupted = trainEpoch(model, opt, train.epochView(2));

        Module resumed = cnn(99); // different initial weights: everything must come from the file
        Optimizer opt2 = new Adam(resumed.parameters(), 1e-3);
        Checkpoint.Restored r = Checkpoint.load(ckpt, resumed, opt2, null, true);
        int epoch = Integer.parseInt(r.metadata().get("epoch"));
        List<Double> continued = trainEpoch(resumed, opt2, train.epochView(epoch));
        assertEquals(uninterrupted, continued, "losses after resuming differ from the uninterrupted run");
        assertTrue(r.modelLoad().isClean());
    }
}
