package dev.graft.optim.lr;

import dev.graft.optim.Optimizer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Cosine annealing from each group's base rate to {@code etaMin} over {@code tMax} epochs,
 * {@code etaMin + (base - etaMin) (1 + cos(pi epoch / tMax)) / 2} (without restarts; past
 * {@code tMax} the cosine rises again, as torch's does).
 */
public final class CosineAnnealingLR extends LRScheduler {
    private final int tMax;
    private final double etaMin;

    public CosineAnnealingLR(Optimizer optimizer, int tMax) {
        this(optimizer, tMax, 0);
    }

    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        super(optimizer);
        if (tMax <= 0) {
            throw new IllegalArgumentException("CosineAnnealingLR: tMax must be positive, got " + tMax);
        }
        this.tMax = tMax;
        this.etaMin = etaMin;
        start();
    }

    @Override
    protected double lr(int group, double baseLr, int epoch) {
        return etaMin + (baseLr - etaMin) * (1 + Math.cos(Math.PI * epoch / tMax)) / 2;
    }

    @Override
    protected Map<String, String> config() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("t_max", Integer.toString(tMax));
        c.put("eta_min", Double.toString(etaMin));
        return c;
    }
}
