package dev.graft.optim.lr;

import dev.graft.optim.Optimizer;
import dev.graft.optim.ParamGroup;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The 1cycle policy, PyTorch's {@code OneCycleLR}, stepped once per batch: each group's rate
 * rises from {@code maxLr / divFactor} to {@code maxLr} over the first {@code pctStart} of
 * {@code totalSteps}, then anneals to {@code maxLr / divFactor / finalDivFactor} (with
 * {@code threePhase}: back to the initial rate first, then down). Momentum (SGD, RMSprop) or
 * {@code beta1} (Adam, AdamW) cycles inversely between {@code maxMomentum} and
 * {@code baseMomentum} unless {@code cycleMomentum(false)}.
 *
 * <p>Defaults are torch's: cosine annealing, pctStart 0.3, divFactor 25, finalDivFactor 1e4,
 * momentum 0.85 to 0.95. Each group's peak rate is, in order of precedence, the one given by
 * {@link Builder#maxLrs}, the single {@link Builder#maxLr} for all groups (torch's usual call), or
 * the group's own lr when the scheduler is built, so discriminative rates keep their ratio (those
 * peaks are saved with the state and restored by {@link #loadState}).
 * Stepping past {@code totalSteps} is an error, as in torch.
 *
 * <pre>{@code
 * var sched = OneCycleLR.builder(opt, epochs * batchesPerEpoch).maxLr(0.01).build();
 * }</pre>
 */
public final class OneCycleLR extends LRScheduler {
    /** How the rate moves within a phase. */
    public enum Anneal { COS, LINEAR }

    private final int totalSteps;
    private final double pctStart;
    private final Anneal anneal;
    private final boolean cycleMomentum;
    private final boolean threePhase;
    private final double divFactor;
    private final double finalDivFactor;
    private final double[] maxLrs;
    private final boolean maxLrsFromGroups;
    private final double[] baseMomentums;
    private final double[] maxMomentums;
    private final String momentumOption;
    private final Phase[] phases;

    /** A phase ends at {@code endStep}; which of initial/max/min rate and base/max momentum it goes from and to. */
    private record Phase(double endStep, int startLr, int endLr, boolean momentumFromMax) {
    }

    private static final int INITIAL = 0;
    private static final int MAX = 1;
    private static final int MIN = 2;

    private OneCycleLR(Builder b, double[] maxLrs, boolean maxLrsFromGroups, String momentumOption) {
        super(withInitialLrs(b.optimizer, maxLrs, b.divFactor));
        this.totalSteps = b.totalSteps;
        this.pctStart = b.pctStart;
        this.anneal = b.anneal;
        this.cycleMomentum = b.cycleMomentum;
        this.threePhase = b.threePhase;
        this.divFactor = b.divFactor;
        this.finalDivFactor = b.finalDivFactor;
        this.maxLrs = maxLrs;
        this.maxLrsFromGroups = maxLrsFromGroups;
        int n = maxLrs.length;
        this.baseMomentums = perGroup("baseMomentum", b.baseMomentums, b.baseMomentum, n);
        this.maxMomentums = perGroup("maxMomentum", b.maxMomentums, b.maxMomentum, n);
        if (threePhase) {
            phases = new Phase[] {
                new Phase(pctStart * totalSteps - 1, INITIAL, MAX, true),
                new Phase(2 * pctStart * totalSteps - 2, MAX, INITIAL, false),
                new Phase(totalSteps - 1, INITIAL, MIN, true),
            };
        } else {
            phases = new Phase[] {
                new Phase(pctStart * totalSteps - 1, INITIAL, MAX, true),
                new Phase(totalSteps - 1, MAX, MIN, false),
            };
        }
        this.momentumOption = momentumOption;
        start();
    }

    private static Optimizer withInitialLrs(Optimizer optimizer, double[] maxLrs, double divFactor) {
        List<ParamGroup> groups = optimizer.paramGroups();
        for (int i = 0; i < groups.size(); i++) {
            groups.get(i).set(ParamGroup.INITIAL_LR, maxLrs[i] / divFactor);
        }
        return optimizer;
    }

    private static double[] perGroup(String what, double[] given, double single, int n) {
        if (given == null) {
            double[] a = new double[n];
            java.util.Arrays.fill(a, single);
            return a;
        }
        if (given.length != n) {
            throw new IllegalArgumentException("OneCycleLR: " + given.length + " values of " + what + " for " + n
                    + " param groups");
        }
        return given.clone();
    }

    public static Builder builder(Optimizer optimizer, int totalSteps) {
        return new Builder(optimizer, totalSteps);
    }

    @Override
    protected double lr(int group, double baseLr, int epoch) {
        if (epoch > totalSteps) {
            throw new IllegalStateException("OneCycleLR: tried to step " + (epoch + 1) + " times; the specified number of"
                    + " total steps is " + totalSteps);
        }
        double[] rates = {baseLr, maxLrs[group], baseLr / finalDivFactor};
        double start = 0;
        for (int i = 0; i < phases.length; i++) {
            Phase p = phases[i];
            if (epoch <= p.endStep() || i == phases.length - 1) {
                double pct = (epoch - start) / (p.endStep() - start);
                return anneal(rates[p.startLr()], rates[p.endLr()], pct);
            }
            start = p.endStep();
        }
        throw new AssertionError("unreachable");
    }

    @Override
    protected void applyExtras(int group, ParamGroup paramGroup, int epoch) {
        if (momentumOption == null) {
            return;
        }
        double start = 0;
        for (int i = 0; i < phases.length; i++) {
            Phase p = phases[i];
            if (epoch <= p.endStep() || i == phases.length - 1) {
                double pct = (epoch - start) / (p.endStep() - start);
                double from = p.momentumFromMax() ? maxMomentums[group] : baseMomentums[group];
                double to = p.momentumFromMax() ? baseMomentums[group] : maxMomentums[group];
                if (threePhase && i == 2) {
                    from = maxMomentums[group];
                    to = maxMomentums[group];
                }
                paramGroup.set(momentumOption, anneal(from, to, pct));
                return;
            }
            start = p.endStep();
        }
    }

    private double anneal(double start, double end, double pct) {
        if (anneal == Anneal.COS) {
            double cosOut = Math.cos(Math.PI * pct) + 1;
            return end + (start - end) / 2.0 * cosOut;
        }
        return (end - start) * pct + start;
    }

    @Override
    protected Map<String, String> config() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("total_steps", Integer.toString(totalSteps));
        // peaks taken from the groups' rates are state, not settings: on resume the groups hold scheduled rates
        c.put("max_lrs", maxLrsFromGroups ? "param_groups" : Schedules.join(maxLrs));
        c.put("pct_start", Double.toString(pctStart));
        c.put("anneal_strategy", anneal.name().toLowerCase(java.util.Locale.ROOT));
        c.put("div_factor", Double.toString(divFactor));
        c.put("final_div_factor", Double.toString(finalDivFactor));
        c.put("three_phase", Boolean.toString(threePhase));
        c.put("cycle_momentum", Boolean.toString(cycleMomentum));
        if (cycleMomentum) {
            c.put("base_momentums", Schedules.join(baseMomentums));
            c.put("max_momentums", Schedules.join(maxMomentums));
        }
        return c;
    }

    @Override
    protected Map<String, String> extraState() {
        return maxLrsFromGroups ? Map.of("group_max_lrs", Schedules.join(maxLrs)) : Map.of();
    }

    @Override
    protected void loadExtraState(Map<String, String> metadata) {
        if (maxLrsFromGroups) {
            double[] saved = Schedules.parseDoubles(name(), metadata, "scheduler.group_max_lrs");
            if (saved.length != maxLrs.length) {
                throw new IllegalArgumentException(name() + ".loadState: the state has " + saved.length
                        + " peak rates, the optimizer has " + maxLrs.length + " param groups");
            }
            System.arraycopy(saved, 0, maxLrs, 0, saved.length);
        }
    }

    /** Options of {@link OneCycleLR}, torch's defaults unless set. */
    public static final class Builder {
        private final Optimizer optimizer;
        private final int totalSteps;
        private double maxLr = Double.NaN;
        private double[] maxLrs;
        private double pctStart = 0.3;
        private Anneal anneal = Anneal.COS;
        private boolean cycleMomentum = true;
        private double baseMomentum = 0.85;
        private double maxMomentum = 0.95;
        private double[] baseMomentums;
        private double[] maxMomentums;
        private double divFactor = 25;
        private double finalDivFactor = 1e4;
        private boolean threePhase;

        private Builder(Optimizer optimizer, int totalSteps) {
            if (totalSteps <= 0) {
                throw new IllegalArgumentException("OneCycleLR: totalSteps must be positive, got " + totalSteps);
            }
            this.optimizer = optimizer;
            this.totalSteps = totalSteps;
        }

        /** The same peak rate for every group (torch's {@code max_lr=float}). */
        public Builder maxLr(double v) { maxLr = v; return this; }
        /** One peak rate per group. */
        public Builder maxLrs(double... v) { maxLrs = v.clone(); return this; }
        public Builder pctStart(double v) { pctStart = v; return this; }
        public Builder anneal(Anneal v) { anneal = v; return this; }
        public Builder cycleMomentum(boolean v) { cycleMomentum = v; return this; }
        public Builder baseMomentum(double v) { baseMomentum = v; return this; }
        public Builder maxMomentum(double v) { maxMomentum = v; return this; }
        public Builder baseMomentums(double... v) { baseMomentums = v.clone(); return this; }
        public Builder maxMomentums(double... v) { maxMomentums = v.clone(); return this; }
        public Builder divFactor(double v) { divFactor = v; return this; }
        public Builder finalDivFactor(double v) { finalDivFactor = v; return this; }
        public Builder threePhase(boolean v) { threePhase = v; return this; }

        public OneCycleLR build() {
            if (!(pctStart >= 0 && pctStart <= 1)) {
                throw new IllegalArgumentException("OneCycleLR: pctStart must be in [0, 1], got " + pctStart);
            }
            if (!(divFactor > 0) || !(finalDivFactor > 0)) {
                throw new IllegalArgumentException("OneCycleLR: divFactor and finalDivFactor must be positive, got "
                        + divFactor + " and " + finalDivFactor);
            }
            List<ParamGroup> groups = optimizer.paramGroups();
            double[] peaks;
            if (maxLrs != null) {
                if (maxLrs.length != groups.size()) {
                    throw new IllegalArgumentException("OneCycleLR: " + maxLrs.length + " values of maxLrs for "
                            + groups.size() + " param groups");
                }
                peaks = maxLrs.clone();
            } else {
                peaks = new double[groups.size()];
                for (int i = 0; i < peaks.length; i++) {
                    peaks[i] = Double.isNaN(maxLr) ? groups.get(i).lr() : maxLr;
                }
            }
            String momentumOption = null;
            if (cycleMomentum) {
                Map<String, Double> d = optimizer.defaults();
                // torch prefers betas when an optimizer has both
                if (d.containsKey(ParamGroup.BETA1)) {
                    momentumOption = ParamGroup.BETA1;
                } else if (d.containsKey(ParamGroup.MOMENTUM)) {
                    momentumOption = ParamGroup.MOMENTUM;
                } else {
                    throw new IllegalArgumentException("OneCycleLR: cycleMomentum needs an optimizer with momentum or beta1,"
                            + " and " + optimizer.name() + " has neither; build with cycleMomentum(false)");
                }
            }
            return new OneCycleLR(this, peaks, maxLrs == null && Double.isNaN(maxLr), momentumOption);
        }
    }
}
