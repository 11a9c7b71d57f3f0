package dev.graft.optim.lr;

import dev.graft.optim.Optimizer;
import dev.graft.optim.ParamGroup;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A learning-rate schedule over an optimizer's param groups, PyTorch's {@code _LRScheduler}:
 * construct it after the optimizer (it sets each group's lr for epoch 0 at once), then call
 * {@link #step()} after every {@code optimizer.step()} (per epoch or per iteration, as the
 * schedule is meant).
 *
 * <p>Every group is scheduled from its own base rate, its {@code initial_lr} (set to the group's
 * lr when the first scheduler is created, as torch does), with the closed form
 * {@code lr = f(base, epoch)}; groups with different rates (a slow backbone, a fast head) keep
 * their ratio. The closed forms give torch's values for these schedules (its recursive forms
 * agree up to rounding).
 *
 * <p>A subclass implements {@link #lr(int, double, int)} and {@link #config()}, and calls
 * {@link #start()} at the end of its constructor.
 */
public abstract class LRScheduler {
    protected final Optimizer optimizer;
    private final double[] baseLrs;
    private int lastEpoch;
    private double[] lastLr;
    private boolean started;

    protected LRScheduler(Optimizer optimizer) {
        this.optimizer = optimizer;
        List<ParamGroup> groups = optimizer.paramGroups();
        baseLrs = new double[groups.size()];
        for (int i = 0; i < baseLrs.length; i++) {
            ParamGroup g = groups.get(i);
            if (!g.has(ParamGroup.INITIAL_LR)) {
                g.set(ParamGroup.INITIAL_LR, g.lr());
            }
            baseLrs[i] = g.get(ParamGroup.INITIAL_LR);
        }
    }

    /** Sets every group's lr for epoch 0; subclasses call it last in their constructor. */
    protected final void start() {
        if (started) {
            throw new IllegalStateException(name() + ": start() called twice");
        }
        started = true;
        lastEpoch = 0;
        apply();
    }

    /** The schedule's name in messages and checkpoints: its class's simple name. */
    public String name() {
        return getClass().getSimpleName();
    }

    /** Advances one epoch (or iteration) and sets every group's lr. */
    public void step() {
        if (!started) {
            throw new IllegalStateException(name() + ": the subclass constructor did not call start()");
        }
        lastEpoch++;
        apply();
    }

    /** The learning rate of group {@code group} at {@code epoch}, from its base rate. */
    protected abstract double lr(int group, double baseLr, int epoch);

    /** Hook for schedules that set more than lr (one-cycle's momentum); called after lr is set. */
    protected void applyExtras(int group, ParamGroup paramGroup, int epoch) {
    }

    /** The schedule's settings as strings; a saved state only loads into a scheduler with the same settings. */
    protected abstract Map<String, String> config();

    /** State beyond the epoch and base rates that {@link #loadState} restores rather than checks (keys without prefix). */
    protected Map<String, String> extraState() {
        return Map.of();
    }

    /** Validates and restores what {@link #extraState()} saved; throws before changing anything if it cannot. */
    protected void loadExtraState(Map<String, String> metadata) {
    }

    private void apply() {
        List<ParamGroup> groups = optimizer.paramGroups();
        if (groups.size() != baseLrs.length) {
            throw new IllegalStateException(name() + ": the optimizer has " + groups.size() + " param groups but the"
                    + " scheduler was created for " + baseLrs.length + "; create the scheduler after adding every group");
        }
        double[] lrs = new double[baseLrs.length];
        for (int i = 0; i < lrs.length; i++) {
            lrs[i] = lr(i, baseLrs[i], lastEpoch);
            groups.get(i).lr(lrs[i]);
            applyExtras(i, groups.get(i), lastEpoch);
        }
        lastLr = lrs;
    }

    /** The rates set by the last step (or by construction), one per group. */
    public double[] lastLr() {
        return lastLr.clone();
    }

    /** The base rate of every group. */
    public double[] baseLrs() {
        return baseLrs.clone();
    }

    /** Steps taken since construction (PyTorch's {@code last_epoch}). */
    public int lastEpoch() {
        return lastEpoch;
    }

    /**
     * The state as strings: {@code scheduler.class}, {@code scheduler.last_epoch},
     * {@code scheduler.base_lrs} and the settings ({@code scheduler.<setting>}).
     */
    public Map<String, String> stateMetadata() {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("scheduler.class", name());
        out.put("scheduler.last_epoch", Integer.toString(lastEpoch));
        out.put("scheduler.base_lrs", Schedules.join(baseLrs));
        for (Map.Entry<String, String> e : config().entrySet()) {
            out.put("scheduler." + e.getKey(), e.getValue());
        }
        for (Map.Entry<String, String> e : extraState().entrySet()) {
            out.put("scheduler." + e.getKey(), e.getValue());
        }
        return out;
    }

    /**
     * Restores the epoch and base rates saved by {@link #stateMetadata()} and sets every group's lr
     * for that epoch (the value it had when saved). The class and settings must match; keys
     * outside {@code scheduler.*} are ignored.
     */
    public void loadState(Map<String, String> metadata) {
        Schedules.checkClassAndConfig(name(), metadata, config());
        int epoch = Schedules.parseInt(name(), metadata, "scheduler.last_epoch");
        double[] base = Schedules.parseDoubles(name(), metadata, "scheduler.base_lrs");
        if (base.length != baseLrs.length) {
            throw new IllegalArgumentException(name() + ".loadState: the state has " + base.length + " base rates "
                    + Arrays.toString(base) + ", the optimizer has " + baseLrs.length + " param groups");
        }
        loadExtraState(metadata);
        System.arraycopy(base, 0, baseLrs, 0, base.length);
        List<ParamGroup> groups = optimizer.paramGroups();
        for (int i = 0; i < base.length && i < groups.size(); i++) {
            groups.get(i).set(ParamGroup.INITIAL_LR, base[i]);
        }
        lastEpoch = epoch;
        started = true;
        apply();
    }
}
