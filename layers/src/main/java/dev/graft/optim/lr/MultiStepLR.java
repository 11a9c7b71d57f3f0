package dev.graft.optim.lr;

import dev.graft.optim.Optimizer;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Decays each group's rate by {@code gamma} at every milestone epoch: {@code base * gamma^k} with
 * {@code k} the number of milestones {@code <= epoch} (a milestone listed twice counts twice, as in torch).
 */
public final class MultiStepLR extends LRScheduler {
    private final int[] milestones;
    private final double gamma;

    /** gamma 0.1, as in torch. */
    public MultiStepLR(Optimizer optimizer, int[] milestones) {
        this(optimizer, milestones, 0.1);
    }

    public MultiStepLR(Optimizer optimizer, int[] milestones, double gamma) {
        super(optimizer);
        this.milestones = milestones.clone();
        Arrays.sort(this.milestones);
        this.gamma = gamma;
        start();
    }

    @Override
    protected double lr(int group, double baseLr, int epoch) {
        int passed = 0;
        for (int m : milestones) {
            if (m <= epoch) {
                passed++;
            }
        }
        return baseLr * Math.pow(gamma, passed);
    }

    @Override
    protected Map<String, String> config() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("milestones", Schedules.join(milestones));
        c.put("gamma", Double.toString(gamma));
        return c;
    }
}
