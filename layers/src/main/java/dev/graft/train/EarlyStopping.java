package dev.graft.train;

import dev.graft.autograd.NoGrad;
import dev.graft.nn.Module;
import dev.graft.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Stops training when a monitored metric has not improved for {@code patience} epochs, like
 * Keras's {@code EarlyStopping}:
 * <pre>{@code
 * var stop = EarlyStopping.min("val_loss").patience(3).minDelta(1e-4).restoreBestWeights(true);
 * }</pre>
 * A value improves on the best so far when it is lower by more than {@code minDelta} (mode min)
 * or higher by more than {@code minDelta} (mode max); NaN never improves; the first non-NaN value
 * always does. Training stops at the {@code patience}-th epoch in a row without improvement (as in
 * Keras and Lightning, patience 0 behaves like 1). With {@code restoreBestWeights}, each
 * improvement copies the model's state dict, and {@link #restoreBest(Module)} loads it back.
 *
 * <p>Use one instance per run (or call {@link #reset()}).
 */
public final class EarlyStopping {
    public enum Mode { MIN, MAX }

    private final String monitor;
    private final Mode mode;
    private int patience = 0;
    private double minDelta = 0;
    private boolean restoreBestWeights;

    private double best = Double.NaN;
    private int bestEpoch = -1;
    private int wait;
    private boolean lastImproved;
    private int stoppedEpoch = -1;
    private Map<String, Tensor> bestState;

    public EarlyStopping(String monitor, Mode mode) {
        this.monitor = java.util.Objects.requireNonNull(monitor, "monitor");
        this.mode = java.util.Objects.requireNonNull(mode, "mode");
    }

    /** Watches a metric that should fall, such as {@code "val_loss"}. */
    public static EarlyStopping min(String monitor) {
        return new EarlyStopping(monitor, Mode.MIN);
    }

    /** Watches a metric that should rise, such as {@code "val_accuracy"}. */
    public static EarlyStopping max(String monitor) {
        return new EarlyStopping(monitor, Mode.MAX);
    }

    /** Epochs without improvement to tolerate before stopping (default 0: stop at the first). */
    public EarlyStopping patience(int epochs) {
        if (epochs < 0) {
            throw new IllegalArgumentException("EarlyStopping: patience must be >= 0, got " + epochs);
        }
        this.patience = epochs;
        return this;
    }

    /** The smallest change that counts as an improvement (default 0). */
    public EarlyStopping minDelta(double delta) {
        if (!(delta >= 0)) {
            throw new IllegalArgumentException("EarlyStopping: minDelta must be >= 0, got " + delta);
        }
        this.minDelta = delta;
        return this;
    }

    /** Whether to keep a copy of the best weights so that {@link #restoreBest(Module)} can load them. */
    public EarlyStopping restoreBestWeights(boolean on) {
        this.restoreBestWeights = on;
        return this;
    }

    public String monitor() {
        return monitor;
    }

    public Mode mode() {
        return mode;
    }

    public boolean restoresBestWeights() {
        return restoreBestWeights;
    }

    /** Whether {@code value} would improve on the best so far. */
    public boolean isImprovement(double value) {
        if (Double.isNaN(value)) {
            return false;
        }
        if (bestEpoch < 0) {
            return true;
        }
        return mode == Mode.MIN ? value < best - minDelta : value > best + minDelta;
    }

    /** Records the metric of {@code epoch}; true when training should stop now. */
    public boolean observe(int epoch, double value) {
        return observe(epoch, value, null);
    }

    /**
     * Records the metric of {@code epoch} after that epoch's training; with
     * {@code restoreBestWeights}, an improvement snapshots {@code model}'s state dict. True when
     * training should stop now.
     */
    public boolean observe(int epoch, double value, Module model) {
        lastImproved = isImprovement(value);
        if (lastImproved) {
            best = value;
            bestEpoch = epoch;
            wait = 0;
            if (restoreBestWeights && model != null) {
                bestState = snapshot(model);
            }
            return false;
        }
        wait++;
        if (wait >= patience) {
            stoppedEpoch = epoch;
            return true;
        }
        return false;
    }

    private static Map<String, Tensor> snapshot(Module model) {
        Map<String, Tensor> copy = new LinkedHashMap<>();
        try (var _ = NoGrad.enter()) {
            for (var e : model.stateDict().entrySet()) {
                copy.put(e.getKey(), e.getValue().detach().clone());
            }
        }
        return copy;
    }

    /**
     * Loads the best weights seen back into {@code model}; false (and no change) when there is no
     * snapshot (restoreBestWeights off, or no epoch improved).
     */
    public boolean restoreBest(Module model) {
        if (bestState == null) {
            return false;
        }
        model.loadStateDict(bestState, true);
        return true;
    }

    /** The best value so far (NaN before the first finite observation). */
    public double best() {
        return best;
    }

    /** The epoch of the best value, or -1. */
    public int bestEpoch() {
        return bestEpoch;
    }

    /** Epochs since the last improvement. */
    public int epochsWithoutImprovement() {
        return wait;
    }

    /** Whether the last observation improved. */
    public boolean lastImproved() {
        return lastImproved;
    }

    /** The epoch at which {@link #observe} said stop, or -1. */
    public int stoppedEpoch() {
        return stoppedEpoch;
    }

    /** Forgets everything observed (the configuration stays). */
    public void reset() {
        best = Double.NaN;
        bestEpoch = -1;
        wait = 0;
        lastImproved = false;
        stoppedEpoch = -1;
        bestState = null;
    }

    @Override
    public String toString() {
        return "EarlyStopping(" + monitor + ", " + mode.name().toLowerCase() + ", patience " + patience + ", minDelta " + minDelta
                + (restoreBestWeights ? ", restore best" : "") + ")";
    }
}
