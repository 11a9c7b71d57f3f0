package dev.graft.train;

import java.util.function.DoubleSupplier;

/**
 * What {@link Trainer} needs from an optimizer: clear gradients, take a step, and (for logs)
 * report the current learning rate. {@link Trainer.Builder#optimizer(dev.graft.optim.Optimizer)}
 * adapts Graft's optimizers; {@link #of} wraps a hand-written update.
 */
public interface OptimizerHandle {
    void zeroGrad();

    void step();

    /** The learning rate in use (of the first parameter group); NaN when unknown. */
    default double lr() {
        return Double.NaN;
    }

    /** A handle from plain functions, e.g. a hand-written SGD update. */
    static OptimizerHandle of(Runnable zeroGrad, Runnable step, DoubleSupplier lr) {
        return new OptimizerHandle() {
            @Override
            public void zeroGrad() {
                zeroGrad.run();
            }

            @Override
            public void step() {
                step.run();
            }

            @Override
            public double lr() {
                return lr.getAsDouble();
            }
        };
    }
}
