package dev.graft.train;

import java.util.List;

/**
 * The epochs of one {@link Trainer#fit} run.
 *
 * @param bestEpoch the epoch early stopping judged best, or the last epoch without early stopping
 * @param stoppedEarly whether early stopping ended the run before the last epoch
 * @param restoredBest whether the best epoch's weights were loaded back into the model at the end
 */
public record History(List<EpochResult> epochs, int bestEpoch, boolean stoppedEarly, boolean restoredBest) {
    public History {
        epochs = List.copyOf(epochs);
    }

    public EpochResult last() {
        if (epochs.isEmpty()) {
            throw new IllegalStateException("History: no epoch ran");
        }
        return epochs.getLast();
    }

    /** The result of epoch {@code epoch} (numbered from 1). */
    public EpochResult epoch(int epoch) {
        if (epoch < 1 || epoch > epochs.size()) {
            throw new IllegalArgumentException("History: epoch " + epoch + " is not in 1.." + epochs.size());
        }
        return epochs.get(epoch - 1);
    }

    /** One metric across epochs. */
    public double[] series(String metric) {
        return epochs.stream().mapToDouble(r -> r.get(metric)).toArray();
    }
}
