package dev.graft.train;

/**
 * Called by {@link Trainer} after each epoch, in the order registered: logs, plots, learning-rate
 * schedules ({@code r -> scheduler.step()}, {@code r -> plateau.step(r.get("val_loss"))}) and your
 * own hooks. {@link #close()} runs once when the run ends, normally or not.
 */
@FunctionalInterface
public interface EpochListener extends AutoCloseable {
    void onEpochEnd(EpochResult result) throws java.io.IOException;

    @Override
    default void close() throws java.io.IOException {
    }
}
