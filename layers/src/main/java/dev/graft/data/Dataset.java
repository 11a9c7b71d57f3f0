package dev.graft.data;

/**
 * An indexed collection of examples, like {@code torch.utils.data.Dataset}: {@link #size()} of them,
 * each fetched by {@link #get(int)}. Implementations decide what an example is; the
 * {@link DataLoader} turns indices into batches through a {@link Collator}.
 *
 * @param <T> the type of one example ({@link Sample} for the in-memory {@link TensorDataset})
 */
public interface Dataset<T> {
    /** The number of examples. */
    int size();

    /** The example at {@code index}, {@code 0 <= index < size()}. */
    T get(int index);

    /** A view of the examples at {@code indices} (in that order), without copying them. */
    default Subset<T> subset(int[] indices) {
        return new Subset<>(this, indices);
    }

    /** Checks an index and says which dataset and size when it is out of range. */
    static void checkIndex(Dataset<?> dataset, int index) {
        if (index < 0 || index >= dataset.size()) {
            throw new IndexOutOfBoundsException(dataset.getClass().getSimpleName() + ": index " + index
                    + " is out of range for a dataset of size " + dataset.size());
        }
    }
}
