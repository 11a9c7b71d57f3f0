package dev.graft.train;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What one epoch of {@link Trainer#fit} measured. Epochs are numbered from 1. The metrics map has
 * the same keys, in the same order, for every epoch of a run (NaN where a value does not apply,
 * such as accuracy of a regression model):
 * {@code train_loss, train_accuracy, val_loss, val_accuracy, val_top{k}_accuracy..., val_macro_f1, lr}
 * (the {@code val_} keys only when there is a validation loader).
 *
 * @param confusion the validation confusion matrix, or null without validation
 */
public record EpochResult(int epoch, Map<String, Double> metrics, double seconds, ConfusionMatrix confusion) {
    public static final String TRAIN_LOSS = "train_loss";
    public static final String TRAIN_ACCURACY = "train_accuracy";
    public static final String VAL_LOSS = "val_loss";
    public static final String VAL_ACCURACY = "val_accuracy";
    public static final String VAL_MACRO_F1 = "val_macro_f1";
    public static final String LR = "lr";

    /** The key of validation top-k accuracy. */
    public static String valTopK(int k) {
        return "val_top" + k + "_accuracy";
    }

    public EpochResult {
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }

    /** A metric by name; the message lists the known names when it is missing. */
    public double get(String name) {
        Double v = metrics.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no metric \"" + name + "\" in epoch " + epoch + "; known: " + metrics.keySet());
        }
        return v;
    }

    public boolean has(String name) {
        return metrics.containsKey(name);
    }

    public double trainLoss() {
        return get(TRAIN_LOSS);
    }

    /** Training accuracy, NaN when the model is not a classifier. */
    public double trainAccuracy() {
        return metrics.getOrDefault(TRAIN_ACCURACY, Double.NaN);
    }

    /** Validation loss, NaN without validation. */
    public double valLoss() {
        return metrics.getOrDefault(VAL_LOSS, Double.NaN);
    }

    /** Validation accuracy, NaN without validation. */
    public double valAccuracy() {
        return metrics.getOrDefault(VAL_ACCURACY, Double.NaN);
    }

    /** The learning rate used during this epoch (NaN if the optimizer does not say). */
    public double lr() {
        return metrics.getOrDefault(LR, Double.NaN);
    }

    /** The metrics that apply, for people: {@code train_loss 0.4123, val_accuracy 0.86, lr 0.1, 1.2s}. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        for (var e : metrics.entrySet()) {
            if (!Double.isNaN(e.getValue())) {
                sb.append(e.getKey()).append(' ').append(display(e.getValue())).append(", ");
            }
        }
        return sb.append(String.format(Locale.ROOT, "%.1fs", seconds)).toString();
    }

    /** Four significant digits without trailing zeros: 0.4123, 0.1, 1.0E-4 style only when tiny. */
    static String display(double v) {
        if (v == 0 || !Double.isFinite(v)) {
            return Double.toString(v);
        }
        if (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6) {
            return String.format(Locale.ROOT, "%.3e", v);
        }
        String s = new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString();
        return s;
    }

    @Override
    public String toString() {
        return "epoch " + epoch + ": " + summary();
    }
}
