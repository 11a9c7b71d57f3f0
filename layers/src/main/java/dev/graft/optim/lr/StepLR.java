package dev.graft.optim.lr;

import dev.graft.optim.Optimizer;

import java.util.LinkedHashMap;
import java.util.Map;

/** Decays each group's rate by {@code gamma} every {@code stepSize} epochs: {@code base * gamma^floor(epoch / stepSize)}. */
public final class StepLR extends LRScheduler {
    private final int stepSize;
    private final double gamma;

    /** gamma 0.1, as in torch. */
    public StepLR(Optimizer optimizer, int stepSize) {
        this(optimizer, stepSize, 0.1);
    }

    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        super(optimizer);
        if (stepSize <= 0) {
            throw new IllegalArgumentException("StepLR: stepSize must be positive, got " + stepSize);
        }
        this.stepSize = stepSize;
        this.gamma = gamma;
        start();
    }

    @Override
    protected double lr(int group, double baseLr, int epoch) {
        return baseLr * Math.pow(gamma, epoch / stepSize);
    }

    @Override
    protected Map<String, String> config() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("step_size", Integer.toString(stepSize));
        c.put("gamma", Double.toString(gamma));
        return c;
    }
}
