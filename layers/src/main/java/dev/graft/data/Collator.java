package dev.graft.data;

import dev.graft.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Turns the examples at some indices of a dataset into one {@link Batch}. It receives the dataset
 * and the indices rather than a list of examples so that an in-memory dataset can gather rows in
 * one op instead of materialising and stacking each example.
 *
 * @param <T> the example type it understands
 */
@FunctionalInterface
public interface Collator<T> {
    Batch collate(Dataset<? extends T> dataset, int[] indices);

    /**
     * The default: a {@link TensorDataset} (also behind any chain of {@link Subset}s) gathers rows
     * with {@code indexSelect}; any other dataset of {@link Sample}s stacks inputs and targets along
     * a new leading dimension. Datasets of other example types need their own collator.
     */
    static Collator<Object> auto() {
        return Collator::autoCollate;
    }

    /** A collator from a function of the fetched examples, for datasets of your own example type. */
    static <T> Collator<T> of(Function<List<T>, Batch> fn) {
        return (dataset, indices) -> {
            List<T> examples = new ArrayList<>(indices.length);
            for (int i : indices) {
                examples.add(dataset.get(i));
            }
            return fn.apply(examples);
        };
    }

    /** Stacks {@link Sample}s: inputs {@code [B, ...]}, targets {@code [B, ...]} ({@code [B]} for 0-d targets). */
    static Batch stack(List<Sample> samples) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("Collator.stack: no samples to stack");
        }
        Tensor[] inputs = new Tensor[samples.size()];
        Tensor[] targets = new Tensor[samples.size()];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = samples.get(i).input();
            targets[i] = samples.get(i).target();
        }
        return new Batch(Tensor.stack(0, inputs), Tensor.stack(0, targets));
    }

    private static Batch autoCollate(Dataset<?> dataset, int[] indices) {
        Dataset<?> d = dataset;
        int[] idx = indices;
        while (d instanceof Subset<?> s) {
            idx = s.toParent(idx);
            d = s.parent();
        }
        if (d instanceof TensorDataset td) {
            return td.rows(idx);
        }
        List<Sample> samples = new ArrayList<>(indices.length);
        for (int i : indices) {
            Object example = dataset.get(i);
            if (!(example instanceof Sample sample)) {
                throw new IllegalArgumentException("Collator.auto: " + dataset.getClass().getSimpleName() + " returned a "
                        + (example == null ? "null" : example.getClass().getName()) + " at index " + i
                        + ", not a Sample; give the DataLoader a Collator for this example type");
            }
            samples.add(sample);
        }
        return stack(samples);
    }
}
