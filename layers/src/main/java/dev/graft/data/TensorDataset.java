package dev.graft.data;

import dev.graft.tensor.Tensor;

import java.util.Arrays;

/**
 * An in-memory dataset: row {@code i} of {@code features} ({@code [N, ...]}) with row {@code i} of
 * {@code targets} ({@code [N]} class indices or {@code [N, ...]}). {@link #get(int)} returns views;
 * {@link #rows(int[])} builds a whole batch with one {@code indexSelect} per tensor instead of
 * stacking {@code B} single examples, which is what {@link Collator#auto()} uses.
 */
public final class TensorDataset implements Dataset<Sample> {
    private final Tensor features;
    private final Tensor targets;

    public TensorDataset(Tensor features, Tensor targets) {
        if (features.dim() == 0 || targets.dim() == 0 || features.size(0) != targets.size(0)) {
            throw new IllegalArgumentException("TensorDataset: features " + Arrays.toString(features.shape()) + " and targets "
                    + Arrays.toString(targets.shape()) + " must have the same leading dimension N (one row per example)");
        }
        if (features.requiresGrad() || targets.requiresGrad()) {
            // a dataset is data, not a graph input: keep batches from recording a graph back into it
            throw new IllegalArgumentException("TensorDataset: features and targets must not require grad; pass detach()ed tensors");
        }
        this.features = features;
        this.targets = targets;
    }

    @Override
    public int size() {
        return features.size(0);
    }

    @Override
    public Sample get(int index) {
        Dataset.checkIndex(this, index);
        return new Sample(features.select(0, index), targets.select(0, index));
    }

    /** The batch of rows {@code indices}, in that order: one row gather per tensor. */
    public Batch rows(int[] indices) {
        long[] idx = new long[indices.length];
        for (int i = 0; i < indices.length; i++) {
            Dataset.checkIndex(this, indices[i]);
            idx[i] = indices[i];
        }
        Tensor index = Tensor.fromArray(idx, idx.length);
        return new Batch(features.indexSelect(0, index), targets.indexSelect(0, index));
    }

    public Tensor features() {
        return features;
    }

    public Tensor targets() {
        return targets;
    }

    @Override
    public String toString() {
        return "TensorDataset(features " + Arrays.toString(features.shape()) + ", targets " + Arrays.toString(targets.shape()) + ")";
    }
}
