package dev.graft.train;

import dev.graft.autograd.NoGrad;
import dev.graft.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Classification metrics accumulated over batches: mean loss, accuracy, top-k accuracy,
 * macro-F1 and the {@link ConfusionMatrix}. Usable on its own or through {@link Trainer}:
 * <pre>{@code
 * var m = new Metrics(10).topK(5);  // 10 classes, also track top-5
 * for (Batch b : loader) { m.update(model.forward(b.inputs()), b.targets()); }
 * m.accuracy(); m.topKAccuracy(5); m.macroF1();
 * }</pre>
 *
 * <p>Outputs are logits or probabilities {@code [N, C]} (the prediction is the first index of the
 * largest score, like {@code argmax}), a single binary logit per example ({@code [N]} or
 * {@code [N, 1]} floating: positive means class 1), or predicted class indices ({@code [N]}
 * integer). Targets are class indices {@code [N]}. Top-k counts an example as correct when its
 * class ranks among the first {@code k} in the order (score descending, class index ascending), so
 * top-1 accuracy always equals accuracy.
 */
public final class Metrics {
    private int numClasses;
    private int[] topK = new int[0];
    private long[] topKCorrect = new long[0];
    private ConfusionMatrix confusion;
    private double lossSum;
    private long lossCount;

    /** Classes inferred from the first {@code [N, C]} output (or 2 for binary logits). */
    public Metrics() {
        this(-1);
    }

    /** @param numClasses the number of classes, or -1 to infer it from the first output */
    public Metrics(int numClasses) {
        if (numClasses == 0 || numClasses < -1) {
            throw new IllegalArgumentException("Metrics: numClasses must be positive (or -1 to infer), got " + numClasses);
        }
        this.numClasses = numClasses;
        if (numClasses > 0) {
            confusion = new ConfusionMatrix(numClasses);
        }
    }

    /** Also tracks top-k accuracy for each of {@code ks}; call before the first update. Returns this. */
    public Metrics topK(int... ks) {
        if (count() > 0) {
            throw new IllegalStateException("Metrics.topK: choose the k's before the first update");
        }
        for (int k : ks) {
            if (k <= 0) {
                throw new IllegalArgumentException("Metrics: top-k needs k >= 1, got " + Arrays.toString(ks));
            }
        }
        this.topK = ks.clone();
        this.topKCorrect = new long[ks.length];
        return this;
    }

    /** Adds a batch's mean loss, weighted by its {@code count} examples. */
    public void addLoss(double meanLoss, int count) {
        lossSum += meanLoss * count;
        lossCount += count;
    }

    /** Adds a batch of outputs and class-index targets. */
    public void update(Tensor outputs, Tensor targets) {
        try (var _ = NoGrad.enter()) {
            updateNoGrad(outputs, targets);
        }
    }

    private void updateNoGrad(Tensor outputs, Tensor targets) {
        if (targets.dtype().isFloating() || targets.dim() != 1) {
            throw new IllegalArgumentException("Metrics.update: targets must be 1-D class indices, got shape "
                    + Arrays.toString(targets.shape()) + " of " + targets.dtype());
        }
        int n = targets.size(0);
        if (outputs.dim() == 0 || outputs.size(0) != n) {
            throw new IllegalArgumentException("Metrics.update: outputs " + Arrays.toString(outputs.shape()) + " and targets "
                    + Arrays.toString(targets.shape()) + " disagree on the number of examples");
        }
        long[] actual = targets.toLongArray();
        long[] predicted = new long[n];
        long[] rank = null; // position of the target class in the ranked scores, for top-k
        boolean binary = outputs.dtype().isFloating() && (outputs.dim() == 1 || (outputs.dim() == 2 && outputs.size(1) == 1));
        if (binary) {
            ensureClasses(2);
            float[] s = outputs.toFloatArray();
            rank = new long[n];
            for (int i = 0; i < n; i++) {
                predicted[i] = s[i] > 0 ? 1 : 0;
                rank[i] = predicted[i] == actual[i] ? 0 : 1;
            }
        } else if (outputs.dim() == 1) {
            if (outputs.dtype().isFloating()) {
                throw new IllegalArgumentException("Metrics.update: 1-D floating outputs are read as binary logits; got " + outputs.dtype());
            }
            predicted = outputs.toLongArray();
            if (topK.length > 0) {
                throw new IllegalArgumentException("Metrics.update: top-k accuracy needs scores [N, C], got predicted indices " + Arrays.toString(outputs.shape()));
            }
            if (numClasses < 0) {
                throw new IllegalArgumentException("Metrics.update: give numClasses when the outputs are class indices");
            }
        } else if (outputs.dim() == 2) {
            int c = outputs.size(1);
            ensureClasses(c);
            float[] s = outputs.toFloatArray();
            rank = new long[n];
            for (int i = 0; i < n; i++) {
                int base = i * c;
                int best = 0;
                for (int j = 1; j < c; j++) {
                    if (s[base + j] > s[base + best]) {
                        best = j;
                    }
                }
                predicted[i] = best;
                long t = actual[i];
                if (t < 0 || t >= c) {
                    throw new IllegalArgumentException("Metrics.update: target class " + t + " is out of range for " + c + " output columns");
                }
                float st = s[base + (int) t];
                long r = 0;
                for (int j = 0; j < c; j++) {
                    float sj = s[base + j];
                    if (sj > st || (sj == st && j < t)) {
                        r++;
                    }
                }
                rank[i] = r;
            }
        } else {
            throw new IllegalArgumentException("Metrics.update: outputs must be [N, C] scores, [N] binary logits or [N] class indices, got "
                    + Arrays.toString(outputs.shape()));
        }
        confusion.add(actual, predicted);
        if (rank != null) {
            for (int q = 0; q < topK.length; q++) {
                for (long r : rank) {
                    if (r < topK[q]) {
                        topKCorrect[q]++;
                    }
                }
            }
        }
    }

    private void ensureClasses(int c) {
        if (numClasses < 0) {
            numClasses = c;
            confusion = new ConfusionMatrix(c);
        } else if (numClasses != c) {
            throw new IllegalArgumentException("Metrics.update: outputs have " + c + " classes, expected " + numClasses);
        }
    }

    /** Examples seen by {@link #update}. */
    public long count() {
        return confusion == null ? 0 : confusion.total();
    }

    /** Mean loss per example over {@link #addLoss} calls; NaN when none. */
    public double loss() {
        return lossCount == 0 ? Double.NaN : lossSum / lossCount;
    }

    public double accuracy() {
        return confusion == null ? Double.NaN : confusion.accuracy();
    }

    /** Top-k accuracy for a {@code k} given to the constructor; NaN when empty. */
    public double topKAccuracy(int k) {
        for (int q = 0; q < topK.length; q++) {
            if (topK[q] == k) {
                long n = count();
                return n == 0 ? Double.NaN : (double) topKCorrect[q] / n;
            }
        }
        throw new IllegalArgumentException("Metrics.topKAccuracy: top-" + k + " was not tracked; tracked: " + Arrays.toString(topK));
    }

    public double macroF1() {
        return confusion == null ? Double.NaN : confusion.macroF1();
    }

    /** The confusion matrix so far (live), or null before the first update when the classes are inferred. */
    public ConfusionMatrix confusionMatrix() {
        return confusion;
    }

    /** The tracked values by name: {@code loss, accuracy, top{k}_accuracy..., macro_f1}. */
    public Map<String, Double> toMap() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", loss());
        m.put("accuracy", accuracy());
        for (int k : topK) {
            m.put("top" + k + "_accuracy", count() == 0 ? Double.NaN : topKAccuracy(k));
        }
        m.put("macro_f1", macroF1());
        return m;
    }

    /** Accuracy of one batch of outputs (see the class comment for the accepted shapes). */
    public static double accuracy(Tensor outputs, Tensor targets) {
        Metrics m = new Metrics();
        m.update(outputs, targets);
        return m.accuracy();
    }

    /** Top-k accuracy of one batch of scores {@code [N, C]}. */
    public static double topKAccuracy(Tensor scores, Tensor targets, int k) {
        Metrics m = new Metrics().topK(k);
        m.update(scores, targets);
        return m.topKAccuracy(k);
    }

    @Override
    public String toString() {
        return "Metrics" + toMap();
    }
}
