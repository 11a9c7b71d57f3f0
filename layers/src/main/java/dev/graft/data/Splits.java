package dev.graft.data;

import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * Seeded splits of a dataset into {@link Subset}s: {@code randomSplit} (like
 * {@code torch.utils.data.random_split}) and a stratified train/validation split that keeps each
 * class's share in both parts. The same seed gives the same split on every run and machine.
 */
public final class Splits {
    private Splits() {
    }

    /**
     * Splits into parts of the given sizes (which must add up to the dataset's size), each a
     * random selection, in one random permutation.
     */
    public static <T> List<Subset<T>> randomSplit(Dataset<T> dataset, int[] sizes, long seed) {
        long total = 0;
        for (int s : sizes) {
            if (s < 0) {
                throw new IllegalArgumentException("randomSplit: sizes must be >= 0, got " + Arrays.toString(sizes));
            }
            total += s;
        }
        if (total != dataset.size()) {
            throw new IllegalArgumentException("randomSplit: sizes " + Arrays.toString(sizes) + " add up to " + total
                    + ", but the dataset has " + dataset.size() + " examples");
        }
        int[] perm = Shuffle.permutation(dataset.size(), new Generator(seed));
        List<Subset<T>> parts = new ArrayList<>(sizes.length);
        int from = 0;
        for (int s : sizes) {
            parts.add(new Subset<>(dataset, Arrays.copyOfRange(perm, from, from + s)));
            from += s;
        }
        return List.copyOf(parts);
    }

    /**
     * Splits into parts whose sizes are the given fractions of the dataset (which must add up to 1).
     * Sizes are {@code floor(fraction * N)}; the examples left over go one each to the first parts
     * in turn, as PyTorch does, so the sizes always add up to {@code N}.
     */
    public static <T> List<Subset<T>> randomSplit(Dataset<T> dataset, double[] fractions, long seed) {
        return randomSplit(dataset, sizesOf(fractions, dataset.size()), seed);
    }

    static int[] sizesOf(double[] fractions, int n) {
        double sum = 0;
        for (double f : fractions) {
            if (!(f >= 0 && f <= 1)) {
                throw new IllegalArgumentException("randomSplit: fractions must lie in [0, 1], got " + Arrays.toString(fractions));
            }
            sum += f;
        }
        if (Math.abs(sum - 1) > 1e-6) {
            throw new IllegalArgumentException("randomSplit: fractions " + Arrays.toString(fractions) + " add up to " + sum + ", not 1");
        }
        int[] sizes = new int[fractions.length];
        int assigned = 0;
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = (int) Math.floor(fractions[i] * n);
            assigned += sizes[i];
        }
        for (int i = 0; assigned < n; i = (i + 1) % sizes.length) {
            sizes[i]++;
            assigned++;
        }
        return sizes;
    }

    /**
     * A stratified split: of each class's {@code n_c} examples, {@code round(n_c * validationFraction)}
     * chosen at random go to validation, the rest to training (a class with one example stays in
     * training). Both parts list indices in ascending order; shuffle them with the loader.
     *
     * @param labels the class of each example, {@code labels.length == dataset.size()}
     */
    public static <T> Split<T> stratifiedSplit(Dataset<T> dataset, long[] labels, double validationFraction, long seed) {
        if (labels.length != dataset.size()) {
            throw new IllegalArgumentException("stratifiedSplit: " + labels.length + " labels for a dataset of " + dataset.size() + " examples");
        }
        if (!(validationFraction >= 0 && validationFraction <= 1)) {
            throw new IllegalArgumentException("stratifiedSplit: validationFraction must lie in [0, 1], got " + validationFraction);
        }
        Map<Long, List<Integer>> byClass = new TreeMap<>(); // sorted: the split must not depend on hash order
        for (int i = 0; i < labels.length; i++) {
            byClass.computeIfAbsent(labels[i], k -> new ArrayList<>()).add(i);
        }
        Generator g = new Generator(seed);
        boolean[] toValidation = new boolean[labels.length];
        for (List<Integer> members : byClass.values()) {
            int[] m = members.stream().mapToInt(Integer::intValue).toArray();
            Shuffle.shuffle(m, g);
            int nVal = members.size() < 2 ? 0 : (int) Math.round(m.length * validationFraction);
            for (int k = 0; k < nVal; k++) {
                toValidation[m[k]] = true;
            }
        }
        int nVal = 0;
        for (boolean v : toValidation) {
            nVal += v ? 1 : 0;
        }
        int[] train = new int[labels.length - nVal];
        int[] val = new int[nVal];
        int ti = 0;
        int vi = 0;
        for (int i = 0; i < labels.length; i++) {
            if (toValidation[i]) {
                val[vi++] = i;
            } else {
                train[ti++] = i;
            }
        }
        return new Split<>(new Subset<>(dataset, train), new Subset<>(dataset, val));
    }

    /** A stratified split with each example's label read by {@code labelOf} (which fetches every example once). */
    public static <T> Split<T> stratifiedSplit(Dataset<T> dataset, ToLongFunction<? super T> labelOf, double validationFraction, long seed) {
        long[] labels = new long[dataset.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = labelOf.applyAsLong(dataset.get(i));
        }
        return stratifiedSplit(dataset, labels, validationFraction, seed);
    }

    /**
     * A stratified split of {@link Sample}s by their 0-d integer targets (class indices). A
     * {@link TensorDataset}'s labels are read from its targets tensor in one copy.
     */
    public static Split<Sample> stratifiedSplit(Dataset<Sample> dataset, double validationFraction, long seed) {
        if (dataset instanceof TensorDataset td) {
            Tensor t = td.targets();
            if (t.dim() != 1 || t.dtype().isFloating()) {
                throw new IllegalArgumentException("stratifiedSplit: targets must be 1-D class indices, got shape "
                        + Arrays.toString(t.shape()) + " of " + t.dtype());
            }
            return stratifiedSplit(dataset, t.toLongArray(), validationFraction, seed);
        }
        return stratifiedSplit(dataset, (Sample s) -> {
            Tensor t = s.target();
            if (t.numel() != 1 || t.dtype().isFloating()) {
                throw new IllegalArgumentException("stratifiedSplit: each target must be one integer class index, got shape "
                        + Arrays.toString(t.shape()) + " of " + t.dtype());
            }
            return (long) t.item();
        }, validationFraction, seed);
    }
}
