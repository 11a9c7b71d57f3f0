package dev.graft.optim.lr;

import dev.graft.optim.Optimizer;
import dev.graft.optim.ParamGroup;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Multiplies every group's rate by {@code factor} when a metric has stopped improving for more
 * than {@code patience} epochs, PyTorch's {@code ReduceLROnPlateau}: call {@link #step(double)}
 * with the validation metric after each epoch. Every group is scaled by the same factor, so
 * discriminative rates keep their ratio until a group reaches its {@code minLr}.
 *
 * <p>Improvement means {@code metric < best * (1 - threshold)} (mode MIN, threshold REL),
 * {@code metric < best - threshold} (MIN, ABS), {@code metric > best * (1 + threshold)} (MAX, REL)
 * or {@code metric > best + threshold} (MAX, ABS). After a reduction, {@code cooldown} epochs
 * pass before bad epochs count again; a reduction smaller than {@code eps} is skipped.
 * Defaults are torch's: MIN, factor 0.1, patience 10, threshold 1e-4 REL, cooldown 0, minLr 0,
 * eps 1e-8.
 */
public final class ReduceLROnPlateau {
    public enum Mode { MIN, MAX }

    public enum ThresholdMode { REL, ABS }

    private final Optimizer optimizer;
    private final Mode mode;
    private final double factor;
    private final int patience;
    private final double threshold;
    private final ThresholdMode thresholdMode;
    private final int cooldown;
    private final double[] minLrs;
    private final double eps;

    private double best;
    private int numBadEpochs;
    private int cooldownCounter;
    private int lastEpoch;
    private double[] lastLr;

    private ReduceLROnPlateau(Builder b) {
        this.optimizer = b.optimizer;
        this.mode = b.mode;
        this.factor = b.factor;
        this.patience = b.patience;
        this.threshold = b.threshold;
        this.thresholdMode = b.thresholdMode;
        this.cooldown = b.cooldown;
        this.eps = b.eps;
        int n = optimizer.paramGroups().size();
        if (b.minLrs != null) {
            if (b.minLrs.length != n) {
                throw new IllegalArgumentException("ReduceLROnPlateau: " + b.minLrs.length + " values of minLrs for " + n
                        + " param groups");
            }
            minLrs = b.minLrs.clone();
        } else {
            minLrs = new double[n];
            java.util.Arrays.fill(minLrs, b.minLr);
        }
        best = mode == Mode.MIN ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
        lastLr = currentLrs();
    }

    /** A plateau scheduler with torch's defaults. */
    public ReduceLROnPlateau(Optimizer optimizer) {
        this(new Builder(optimizer));
    }

    public static Builder builder(Optimizer optimizer) {
        return new Builder(optimizer);
    }

    /** Records one epoch's metric and reduces the rates if it has plateaued. */
    public void step(double metric) {
        lastEpoch++;
        if (isBetter(metric)) {
            best = metric;
            numBadEpochs = 0;
        } else {
            numBadEpochs++;
        }
        if (cooldownCounter > 0) {
            cooldownCounter--;
            numBadEpochs = 0; // bad epochs in cooldown do not count
        }
        if (numBadEpochs > patience) {
            reduce();
            cooldownCounter = cooldown;
            numBadEpochs = 0;
        }
        lastLr = currentLrs();
    }

    private boolean isBetter(double a) {
        return switch (mode) {
            case MIN -> thresholdMode == ThresholdMode.REL ? a < best * (1 - threshold) : a < best - threshold;
            case MAX -> thresholdMode == ThresholdMode.REL ? a > best * (threshold + 1) : a > best + threshold;
        };
    }

    private void reduce() {
        List<ParamGroup> groups = optimizer.paramGroups();
        if (groups.size() != minLrs.length) {
            throw new IllegalStateException("ReduceLROnPlateau: the optimizer has " + groups.size() + " param groups but the"
                    + " scheduler was created for " + minLrs.length + "; create the scheduler after adding every group");
        }
        for (int i = 0; i < groups.size(); i++) {
            double old = groups.get(i).lr();
            double lr = Math.max(old * factor, minLrs[i]);
            if (old - lr > eps) {
                groups.get(i).lr(lr);
            }
        }
    }

    private double[] currentLrs() {
        List<ParamGroup> groups = optimizer.paramGroups();
        double[] lrs = new double[groups.size()];
        for (int i = 0; i < lrs.length; i++) {
            lrs[i] = groups.get(i).lr();
        }
        return lrs;
    }

    /** Every group's rate after the last step. */
    public double[] lastLr() {
        return lastLr.clone();
    }

    public int lastEpoch() {
        return lastEpoch;
    }

    /** The best metric seen (infinity before the first step in mode MIN). */
    public double best() {
        return best;
    }

    public int numBadEpochs() {
        return numBadEpochs;
    }

    /** Whether bad epochs are being ignored after a reduction. */
    public boolean inCooldown() {
        return cooldownCounter > 0;
    }

    /** The counters and settings as strings ({@code scheduler.*}); the rates themselves are in the optimizer's state. */
    public Map<String, String> stateMetadata() {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("scheduler.class", getClass().getSimpleName());
        out.put("scheduler.last_epoch", Integer.toString(lastEpoch));
        out.put("scheduler.best", Double.toString(best));
        out.put("scheduler.num_bad_epochs", Integer.toString(numBadEpochs));
        out.put("scheduler.cooldown_counter", Integer.toString(cooldownCounter));
        for (Map.Entry<String, String> e : config().entrySet()) {
            out.put("scheduler." + e.getKey(), e.getValue());
        }
        return out;
    }

    /** Restores the counters saved by {@link #stateMetadata()}; the settings must match. */
    public void loadState(Map<String, String> metadata) {
        String name = getClass().getSimpleName();
        Schedules.checkClassAndConfig(name, metadata, config());
        int epoch = Schedules.parseInt(name, metadata, "scheduler.last_epoch");
        double b = Schedules.parseDouble(name, metadata, "scheduler.best");
        int bad = Schedules.parseInt(name, metadata, "scheduler.num_bad_epochs");
        int cool = Schedules.parseInt(name, metadata, "scheduler.cooldown_counter");
        lastEpoch = epoch;
        best = b;
        numBadEpochs = bad;
        cooldownCounter = cool;
        lastLr = currentLrs();
    }

    private Map<String, String> config() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("mode", mode.name().toLowerCase(Locale.ROOT));
        c.put("factor", Double.toString(factor));
        c.put("patience", Integer.toString(patience));
        c.put("threshold", Double.toString(threshold));
        c.put("threshold_mode", thresholdMode.name().toLowerCase(Locale.ROOT));
        c.put("cooldown", Integer.toString(cooldown));
        c.put("min_lrs", Schedules.join(minLrs));
        c.put("eps", Double.toString(eps));
        return c;
    }

    /** Options of {@link ReduceLROnPlateau}, torch's defaults unless set. */
    public static final class Builder {
        private final Optimizer optimizer;
        private Mode mode = Mode.MIN;
        private double factor = 0.1;
        private int patience = 10;
        private double threshold = 1e-4;
        private ThresholdMode thresholdMode = ThresholdMode.REL;
        private int cooldown;
        private double minLr;
        private double[] minLrs;
        private double eps = 1e-8;

        private Builder(Optimizer optimizer) {
            this.optimizer = optimizer;
        }

        public Builder mode(Mode v) { mode = v; return this; }
        /** The factor rates are multiplied by, in [0, 1). */
        public Builder factor(double v) { factor = v; return this; }
        public Builder patience(int v) { patience = v; return this; }
        public Builder threshold(double v) { threshold = v; return this; }
        public Builder thresholdMode(ThresholdMode v) { thresholdMode = v; return this; }
        public Builder cooldown(int v) { cooldown = v; return this; }
        /** The same lower bound for every group. */
        public Builder minLr(double v) { minLr = v; return this; }
        /** One lower bound per group. */
        public Builder minLrs(double... v) { minLrs = v.clone(); return this; }
        public Builder eps(double v) { eps = v; return this; }

        public ReduceLROnPlateau build() {
            if (!(factor >= 0 && factor < 1)) {
                throw new IllegalArgumentException("ReduceLROnPlateau: factor must be in [0, 1), got " + factor);
            }
            if (patience < 0 || cooldown < 0) {
                throw new IllegalArgumentException("ReduceLROnPlateau: patience and cooldown must be >= 0, got "
                        + patience + " and " + cooldown);
            }
            return new ReduceLROnPlateau(this);
        }
    }
}
