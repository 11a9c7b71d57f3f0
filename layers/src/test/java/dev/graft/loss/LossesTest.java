package dev.graft.loss;

import dev.graft.autograd.GradCheck;
import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.TensorShapeException;
import dev.graft.tensor.TensorTypeException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Errors and edge cases of {@link Losses}, and gradients against central finite differences
 * (float64, {@link GradCheck}: |analytic - numeric| &lt;= 1e-5 + 1e-4 |numeric|), a reference
 * independent of the PyTorch fixtures.
 */
class LossesTest {
    private static Tensor randn(long seed, int... shape) {
        return Tensor.normal(new Generator(seed), 0, 1, DType.FLOAT64, shape);
    }

    private static Tensor idx(long... v) {
        return Tensor.fromArray(v, v.length);
    }

    @Test
    void targetOutOfRangeNamesTheClassAndShape() {
        Tensor logits = randn(1, 4, 10);
        var e = assertThrows(TensorShapeException.class, () -> Losses.crossEntropy(logits, idx(1, 12, 3, 0)));
        assertEquals("crossEntropy: target class 12 is out of range for 10 classes (target shape [4])", e.getMessage());
        var neg = assertThrows(TensorShapeException.class, () -> Losses.nll(logits, idx(1, -1, 3, 0)));
        assertEquals("nll: target class -1 is out of range for 10 classes (target shape [4]; ignoreIndex is -100)", neg.getMessage());
    }

    @Test
    void shapeMismatchesAreNamed() {
        var e = assertThrows(TensorShapeException.class, () -> Losses.crossEntropy(randn(1, 4, 10), idx(1, 2, 3)));
        assertEquals("crossEntropy: target shape [3] does not match input shape [4, 10]; expected [4] (the input shape"
                + " without class dimension 1)", e.getMessage());
        var p = assertThrows(TensorShapeException.class, () -> Losses.crossEntropy(randn(1, 4, 10), randn(2, 4, 9)));
        assertTrue(p.getMessage().startsWith("crossEntropy: floating target (class probabilities) of shape [4, 9] must have"
                + " the input's shape [4, 10]"), p.getMessage());
        var m = assertThrows(TensorShapeException.class, () -> Losses.mse(randn(1, 4, 1), randn(2, 4)));
        assertEquals("mse: target shape [4] does not match input shape [4, 1]", m.getMessage());
        var w = assertThrows(TensorShapeException.class,
                () -> Losses.crossEntropy(randn(1, 4, 10), idx(1, 2, 3, 4), randn(3, 9), -100, Reduction.MEAN, 0));
        assertTrue(w.getMessage().startsWith("crossEntropy: class weights must have shape [10] for 10 classes, got [9]"),
                w.getMessage());
        var pw = assertThrows(TensorShapeException.class,
                () -> Losses.bceWithLogits(randn(1, 4, 3), randn(2, 4, 3), null, randn(3, 2), Reduction.MEAN));
        assertEquals("bceWithLogits: posWeight of shape [2] does not broadcast to the input shape [4, 3]", pw.getMessage());
        var c = assertThrows(TensorShapeException.class,
                () -> Losses.cosineEmbedding(randn(1, 4, 3), randn(2, 4, 3), idx(1, -1)));
        assertTrue(c.getMessage().startsWith("cosineEmbedding: expected inputs [N, D] with target [N]"), c.getMessage());
    }

    @Test
    void argumentErrors() {
        assertEquals("mse: reduction BATCHMEAN is only defined for klDiv; use MEAN, SUM or NONE",
                assertThrows(IllegalArgumentException.class, () -> Losses.mse(randn(1, 3), randn(2, 3), Reduction.BATCHMEAN))
                        .getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Losses.crossEntropy(randn(1, 2, 3), randn(2, 2, 3).softmax(1), null, 0, Reduction.MEAN, 0))
                .getMessage().startsWith("crossEntropy: ignoreIndex 0 is not supported with probability targets"));
        assertEquals("cosineEmbedding: target values must be 1 or -1, found 0.0 (target shape [2])",
                assertThrows(IllegalArgumentException.class,
                        () -> Losses.cosineEmbedding(randn(1, 2, 3), randn(2, 2, 3), idx(1, 0))).getMessage());
        assertTrue(assertThrows(TensorTypeException.class, () -> Losses.nll(randn(1, 2, 3), randn(2, 2)))
                .getMessage().startsWith("nll: target must hold class indices"));
        assertTrue(assertThrows(TensorTypeException.class,
                () -> Losses.mse(Tensor.fromArray(new long[] {1, 2}, 2), randn(2, 2)))
                .getMessage().startsWith("mse: input must be float32 or float64, got int64"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Losses.crossEntropy(randn(1, 2, 3), idx(0, 1), null, -100, Reduction.MEAN, 1.5))
                .getMessage().startsWith("crossEntropy: labelSmoothing must be in [0, 1]"));
    }

    @Test
    void everyTargetIgnoredGivesNaNForTheMeanAsInTorch() {
        Tensor logits = randn(1, 2, 3);
        assertTrue(Double.isNaN(Losses.crossEntropy(logits, idx(-100, -100)).item()));
        assertEquals(0.0, Losses.crossEntropy(logits, idx(-100, -100), Reduction.SUM).item());
    }

    @Test
    void int32TargetsAndFloat32InputsKeepTheirDtype() {
        Tensor logits = Tensor.randn(new Generator(3), 3, 4);
        Tensor l64 = Losses.crossEntropy(logits, idx(0, 3, 2));
        Tensor l32 = Losses.crossEntropy(logits, Tensor.fromArray(new int[] {0, 3, 2}, 3));
        assertEquals(DType.FLOAT32, l64.dtype());
        assertEquals(l64.item(), l32.item());
        assertEquals(DType.FLOAT32, Losses.crossEntropy(logits, idx(0, 3, 2), Tensor.ones(4).to(DType.FLOAT64),
                -100, Reduction.MEAN, 0.1).dtype());
    }

    @Test
    void crossEntropyIsNllOfLogSoftmax() {
        Tensor x = randn(5, 6, 5);
        Tensor t = idx(0, 4, 2, 2, 1, 3);
        assertEquals(Losses.nll(x.logSoftmax(1), t).item(), Losses.crossEntropy(x, t).item(), 1e-15);
    }

    @Test
    void huberIsDeltaTimesSmoothL1() {
        Tensor a = randn(6, 4, 5);
        Tensor b = randn(7, 4, 5);
        assertEquals(Losses.smoothL1(a, b, Reduction.SUM, 0.8).item() * 0.8, Losses.huber(a, b, Reduction.SUM, 0.8).item(), 1e-12);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Tensor t = idx(0, 3, -100, 1, 2);
        Tensor w = Tensor.fromArray(new double[] {0.5, 2, 1, 1.5}, 4);
        GradCheck.assertGradients("crossEntropy", x -> Losses.crossEntropy(x[0], t, x[1], -100, Reduction.MEAN, 0.2),
                randn(10, 5, 4).requiresGrad(true), w.clone().requiresGrad(true));
        Tensor probs = randn(11, 5, 4).softmax(1);
        GradCheck.assertGradients("crossEntropy probs", x -> Losses.crossEntropy(x[0], x[1], w, -100, Reduction.SUM, 0.1),
                randn(12, 5, 4).requiresGrad(true), probs.requiresGrad(true));
        Tensor y = randn(13, 4, 3).sigmoid();
        GradCheck.assertGradients("bceWithLogits", x -> Losses.bceWithLogits(x[0], y, x[1], x[2], Reduction.MEAN),
                randn(14, 4, 3).mul(3).requiresGrad(true), randn(15, 3).abs().requiresGrad(true),
                randn(16, 3).abs().add(0.5).requiresGrad(true));
        Tensor target = randn(17, 4, 3);
        GradCheck.assertGradients("smoothL1", x -> Losses.smoothL1(x[0], target, Reduction.MEAN, 0.5),
                randn(18, 4, 3).requiresGrad(true));
        GradCheck.assertGradients("huber", x -> Losses.huber(x[0], target, Reduction.SUM, 0.7), randn(19, 4, 3).requiresGrad(true));
        Tensor p = randn(20, 3, 5).softmax(1);
        GradCheck.assertGradients("klDiv", x -> Losses.klDiv(x[0], x[1], Reduction.BATCHMEAN, false),
                randn(21, 3, 5).logSoftmax(1).requiresGrad(true), p.requiresGrad(true));
        GradCheck.assertGradients("klDiv logTarget", x -> Losses.klDiv(x[0], x[1], Reduction.MEAN, true),
                randn(22, 3, 5).logSoftmax(1).requiresGrad(true), randn(23, 3, 5).logSoftmax(1).requiresGrad(true));
        GradCheck.assertGradients("cosineEmbedding", x -> Losses.cosineEmbedding(x[0], x[1], idx(1, -1, -1), -0.5, Reduction.MEAN),
                randn(24, 3, 4).requiresGrad(true), randn(25, 3, 4).requiresGrad(true));
    }

    @Test
    void bceStaysFiniteForHugeLogits() {
        Tensor x = Tensor.fromArray(new float[] {1000, -1000, 0}, 3).requiresGrad(true);
        Tensor y = Tensor.fromArray(new float[] {0, 1, 1}, 3);
        Tensor l = Losses.bceWithLogits(x, y, null, null, Reduction.NONE);
        assertEquals(1000, l.get(0), 1e-3);
        assertEquals(1000, l.get(1), 1e-3);
        assertEquals(Math.log(2), l.get(2), 1e-6);
        l.sum().backward();
        // d/dx = sigmoid(x) - y
        assertEquals(1, x.grad().get(0), 1e-6);
        assertEquals(-1, x.grad().get(1), 1e-6);
        assertEquals(-0.5, x.grad().get(2), 1e-6);
    }
}
