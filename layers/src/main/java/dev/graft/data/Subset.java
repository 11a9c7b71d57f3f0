package dev.graft.data;

import java.util.Arrays;

/**
 * The examples of a parent dataset at given indices, in that order (a view: nothing is copied).
 * {@link Collator#auto()} sees through subsets, so a subset of a {@link TensorDataset} still
 * batches by selecting rows.
 */
public final class Subset<T> implements Dataset<T> {
    private final Dataset<T> parent;
    private final int[] indices;

    public Subset(Dataset<T> parent, int[] indices) {
        this.parent = parent;
        this.indices = indices.clone();
        for (int i : this.indices) {
            Dataset.checkIndex(parent, i);
        }
    }

    @Override
    public int size() {
        return indices.length;
    }

    @Override
    public T get(int index) {
        Dataset.checkIndex(this, index);
        return parent.get(indices[index]);
    }

    /** The dataset this is a view of. */
    public Dataset<T> parent() {
        return parent;
    }

    /** The parent's indices, in this subset's order (a copy). */
    public int[] indices() {
        return indices.clone();
    }

    /** The parent index of each of {@code local} indices into this subset. */
    int[] toParent(int[] local) {
        int[] out = new int[local.length];
        for (int i = 0; i < local.length; i++) {
            Dataset.checkIndex(this, local[i]);
            out[i] = indices[local[i]];
        }
        return out;
    }

    @Override
    public String toString() {
        return "Subset(" + indices.length + " of " + parent.size() + (indices.length <= 8 ? ", " + Arrays.toString(indices) : "") + ")";
    }
}
