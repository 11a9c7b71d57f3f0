package dev.graft.optim.lr;

import dev.graft.optim.Optimizer;

import java.util.Map;

/** Decays each group's rate by {@code gamma} every epoch: {@code base * gamma^epoch}. */
public final class ExponentialLR extends LRScheduler {
    private final double gamma;

    public ExponentialLR(Optimizer optimizer, double gamma) {
        super(optimizer);
        this.gamma = gamma;
        start();
    }

    @Override
    protected double lr(int group, double baseLr, int epoch) {
        return baseLr * Math.pow(gamma, epoch);
    }

    @Override
    protected Map<String, String> config() {
        return Map.of("gamma", Double.toString(gamma));
    }
}
