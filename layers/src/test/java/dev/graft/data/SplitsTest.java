package dev.graft.data;

import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SplitsTest {

    private static int[] union(List<Subset<Sample>> parts) {
        int[] all = parts.stream().flatMapToInt(p -> Arrays.stream(p.indices())).toArray();
        Arrays.sort(all);
        return all;
    }

    @Test
    void randomSplitByFractionsDistributesTheRemainderLikePyTorch() {
        var ds = DataLoaderTest.numbered(11);
        // floor(0.7*11)=7, floor(0.2*11)=2, floor(0.1*11)=1 → 10; the one left over goes to the first part
        var parts = Splits.randomSplit(ds, new double[] {0.7, 0.2, 0.1}, 3);
        assertEquals(List.of(8, 2, 1), parts.stream().map(Subset::size).toList());
        assertArrayEquals(IntStream.range(0, 11).toArray(), union(parts), "disjoint and covering");
        assertArrayEquals(new int[] {4, 4, 3}, Splits.sizesOf(new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0}, 11));
    }

    @Test
    void randomSplitIsSeeded() {
        var ds = DataLoaderTest.numbered(30);
        var a = Splits.randomSplit(ds, new int[] {20, 10}, 42);
        var b = Splits.randomSplit(ds, new int[] {20, 10}, 42);
        var c = Splits.randomSplit(ds, new int[] {20, 10}, 43);
        assertArrayEquals(a.get(0).indices(), b.get(0).indices());
        assertFalse(Arrays.equals(a.get(0).indices(), c.get(0).indices()));
        assertArrayEquals(IntStream.range(0, 30).toArray(), union(a));
        // a part is a view: its examples are the parent's
        int first = a.get(1).indices()[0];
        assertEquals(first, (long) a.get(1).get(0).target().item());
    }

    @Test
    void randomSplitRejectsBadSizes() {
        var ds = DataLoaderTest.numbered(10);
        assertThrows(IllegalArgumentException.class, () -> Splits.randomSplit(ds, new int[] {5, 4}, 0));
        assertThrows(IllegalArgumentException.class, () -> Splits.randomSplit(ds, new double[] {0.5, 0.4}, 0));
        assertThrows(IllegalArgumentException.class, () -> Splits.randomSplit(ds, new int[] {11, -1}, 0));
    }

    @Test
    void stratifiedSplitKeepsClassShares() {
        // 50 of class 0, 30 of class 1, 20 of class 2, interleaved
        int n = 100;
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2;
        }
        var ds = new TensorDataset(Tensor.zeros(n, 3), Tensor.fromArray(labels, n));
        Split<Sample> s = Splits.stratifiedSplit(ds, 0.2, 11);
        assertEquals(80, s.train().size());
        assertEquals(20, s.validation().size());
        long[] counts = new long[3];
        for (int i : s.validation().indices()) {
            counts[(int) labels[i]]++;
        }
        assertArrayEquals(new long[] {10, 6, 4}, counts);
        int[] all = IntStream.concat(Arrays.stream(s.train().indices()), Arrays.stream(s.validation().indices())).sorted().toArray();
        assertArrayEquals(IntStream.range(0, n).toArray(), all, "disjoint and covering");

        Split<Sample> again = Splits.stratifiedSplit(ds, 0.2, 11);
        assertArrayEquals(s.validation().indices(), again.validation().indices());
        Split<Sample> other = Splits.stratifiedSplit(ds, 0.2, 12);
        assertFalse(Arrays.equals(s.validation().indices(), other.validation().indices()));

        // the generic path (labels read from each Sample) agrees with the tensor fast path
        Split<Sample> viaSubset = Splits.stratifiedSplit(ds.subset(IntStream.range(0, n).toArray()), 0.2, 11);
        assertArrayEquals(s.validation().indices(), viaSubset.validation().indices());
    }

    @Test
    void singletonClassStaysInTraining() {
        long[] labels = {0, 0, 0, 0, 1};
        var ds = new TensorDataset(Tensor.zeros(5, 1), Tensor.fromArray(labels, 5));
        Split<Sample> s = Splits.stratifiedSplit(ds, 0.5, 0);
        assertEquals(2, s.validation().size());
        assertFalse(Arrays.stream(s.validation().indices()).anyMatch(i -> i == 4));
    }
}
