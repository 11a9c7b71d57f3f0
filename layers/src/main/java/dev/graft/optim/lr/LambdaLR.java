package dev.graft.optim.lr;

import dev.graft.optim.Optimizer;

import java.util.List;
import java.util.Map;
import java.util.function.IntToDoubleFunction;

/**
 * Each group's base rate times a factor of the epoch, {@code base * lambda(epoch)}, PyTorch's
 * {@code LambdaLR}; also the warmup schedules of Hugging Face transformers
 * ({@link #linearScheduleWithWarmup}, {@link #cosineScheduleWithWarmup}), stepped once per
 * optimizer step.
 *
 * <p>A lambda cannot be saved; the state records the epoch, the base rates and a description,
 * and loads only into a scheduler with the same description (the factories describe their
 * arguments; a custom lambda is described by the caller or as "custom").
 */
public final class LambdaLR extends LRScheduler {
    private final List<IntToDoubleFunction> lambdas;
    private final String description;

    /** One factor function for every group. */
    public LambdaLR(Optimizer optimizer, IntToDoubleFunction lambda) {
        this(optimizer, lambda, "custom");
    }

    public LambdaLR(Optimizer optimizer, IntToDoubleFunction lambda, String description) {
        this(optimizer, java.util.Collections.nCopies(optimizer.paramGroups().size(), lambda), description);
    }

    /** One factor function per group. */
    public LambdaLR(Optimizer optimizer, List<IntToDoubleFunction> lambdas, String description) {
        super(optimizer);
        if (lambdas.size() != optimizer.paramGroups().size()) {
            throw new IllegalArgumentException("LambdaLR: " + lambdas.size() + " lambdas for " + optimizer.paramGroups().size()
                    + " param groups; give one per group, or a single one for all");
        }
        this.lambdas = List.copyOf(lambdas);
        this.description = description;
        start();
    }

    /**
     * Linear warmup from 0 to the base rate over {@code numWarmupSteps}, then linear decay to 0 at
     * {@code numTrainingSteps} (transformers' {@code get_linear_schedule_with_warmup}).
     */
    public static LambdaLR linearScheduleWithWarmup(Optimizer optimizer, int numWarmupSteps, int numTrainingSteps) {
        checkSteps("linearScheduleWithWarmup", numWarmupSteps, numTrainingSteps);
        IntToDoubleFunction f = step -> {
            if (step < numWarmupSteps) {
                return (double) step / Math.max(1, numWarmupSteps);
            }
            return Math.max(0.0, (double) (numTrainingSteps - step) / Math.max(1, numTrainingSteps - numWarmupSteps));
        };
        return new LambdaLR(optimizer, f, "linear_with_warmup(" + numWarmupSteps + ", " + numTrainingSteps + ")");
    }

    /** Cosine with half a cycle, from the base rate to 0. */
    public static LambdaLR cosineScheduleWithWarmup(Optimizer optimizer, int numWarmupSteps, int numTrainingSteps) {
        return cosineScheduleWithWarmup(optimizer, numWarmupSteps, numTrainingSteps, 0.5);
    }

    /**
     * Linear warmup from 0 over {@code numWarmupSteps}, then a cosine of {@code numCycles} cycles
     * (0.5: one decay to 0) until {@code numTrainingSteps} (transformers'
     * {@code get_cosine_schedule_with_warmup}); factors never go below 0.
     */
    public static LambdaLR cosineScheduleWithWarmup(Optimizer optimizer, int numWarmupSteps, int numTrainingSteps,
                                                    double numCycles) {
        checkSteps("cosineScheduleWithWarmup", numWarmupSteps, numTrainingSteps);
        IntToDoubleFunction f = step -> {
            if (step < numWarmupSteps) {
                return (double) step / Math.max(1, numWarmupSteps);
            }
            double progress = (double) (step - numWarmupSteps) / Math.max(1, numTrainingSteps - numWarmupSteps);
            return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * numCycles * 2.0 * progress)));
        };
        return new LambdaLR(optimizer, f, "cosine_with_warmup(" + numWarmupSteps + ", " + numTrainingSteps + ", "
                + numCycles + ")");
    }

    private static void checkSteps(String what, int warmup, int total) {
        if (warmup < 0 || total < 0) {
            throw new IllegalArgumentException("LambdaLR." + what + ": step counts must be >= 0, got warmup " + warmup
                    + " and total " + total);
        }
    }

    @Override
    protected double lr(int group, double baseLr, int epoch) {
        return baseLr * lambdas.get(group).applyAsDouble(epoch);
    }

    @Override
    protected Map<String, String> config() {
        return Map.of("lambda", description);
    }
}
