package dev.graft.transfer.models;

import dev.graft.nn.Activation;
import dev.graft.nn.Conv2d;
import dev.graft.nn.Linear;
import dev.graft.nn.Module;
import dev.graft.nn.Pooling;
import dev.graft.nn.Sequential;
import dev.graft.nn.WeightSource;

/**
 * The two small models every speed comparison in the project uses (the layers and fast-kernels
 * issues, PyTorch's bench/compare_pytorch.py): defined once here for `graft bench train` and the
 * JMH TrainStepBench.
 */
public final class ReferenceModels {
    private ReferenceModels() {
    }

    /** MLP 784-512-512-10 with ReLU. */
    public static Module mlp(long seed) {
        WeightSource ws = WeightSource.fresh(seed);
        return new Sequential(new Linear(784, 512, true, ws.pp("0")), new Activation.ReLU(), new Linear(512, 512, true, ws.pp("2")),
                new Activation.ReLU(), new Linear(512, 10, true, ws.pp("4")));
    }

    /** conv3x3(32, pad 1)-relu-maxpool2-conv3x3(64, pad 1)-relu-maxpool2-linear(10) on 1x28x28. */
    public static Module cnn(long seed) {
        WeightSource ws = WeightSource.fresh(seed);
        int[] k = {3, 3};
        int[] one = {1, 1};
        return new Sequential(new Conv2d(1, 32, k, one, one, one, 1, true, ws.pp("0")), new Activation.ReLU(), new Pooling.MaxPool2d(2),
                new Conv2d(32, 64, k, one, one, one, 1, true, ws.pp("3")), new Activation.ReLU(), new Pooling.MaxPool2d(2),
                new Pooling.Flatten(), new Linear(64 * 7 * 7, 10, true, ws.pp("7")));
    }
}
