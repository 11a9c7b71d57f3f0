package dev.graft.data;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataLoaderTest {

    /** Row i of the features is [i, 10 i]; target i is i, so a batch tells which examples it holds. */
    static TensorDataset numbered(int n) {
        float[] f = new float[2 * n];
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            f[2 * i] = i;
            f[2 * i + 1] = 10 * i;
            t[i] = i;
        }
        return new TensorDataset(Tensor.fromArray(f, n, 2), Tensor.fromArray(t, n));
    }

    static List<long[]> epoch(Iterable<Batch> loader) {
        List<long[]> out = new ArrayList<>();
        for (Batch b : loader) {
            long[] ids = b.targets().toLongArray();
            float[] x = b.inputs().toFloatArray();
            for (int i = 0; i < ids.length; i++) {
                assertEquals(ids[i], x[2 * i], "input row belongs to its target");
                assertEquals(10 * ids[i], x[2 * i + 1]);
            }
            out.add(ids);
        }
        return out;
    }

    static long[] flat(List<long[]> batches) {
        return batches.stream().flatMapToLong(Arrays::stream).toArray();
    }

    @Test
    void sameSeedGivesSameBatchesEveryRun() {
        var a = DataLoader.builder(numbered(50)).batchSize(8).shuffle(1234).build();
        var b = DataLoader.builder(numbered(50)).batchSize(8).shuffle(1234).build();
        for (int e = 0; e < 3; e++) {
            List<long[]> ea = epoch(a);
            List<long[]> eb = epoch(b);
            assertEquals(ea.size(), eb.size());
            for (int i = 0; i < ea.size(); i++) {
                assertArrayEquals(ea.get(i), eb.get(i), "epoch " + e + " batch " + i);
            }
        }
        // fixed reference: the first epoch's order is a function of the seed alone, not of the JVM or machine
        assertArrayEquals(a.order(0), DataLoader.builder(numbered(50)).shuffle(1234).build().order(0));
    }

    @Test
    void epochsDifferAndDifferentSeedsDiffer() {
        var loader = DataLoader.builder(numbered(40)).batchSize(40).shuffle(7).build();
        long[] e0 = flat(epoch(loader));
        long[] e1 = flat(epoch(loader));
        assertFalse(Arrays.equals(e0, e1), "epoch 0 and epoch 1 are shuffled differently");
        assertEquals(2, loader.epoch());
        var other = DataLoader.builder(numbered(40)).batchSize(40).shuffle(8).build();
        assertFalse(Arrays.equals(e0, flat(epoch(other))));
        // iterator(epoch) replays an epoch without moving the counter
        assertArrayEquals(e0, flat(epoch(loader.epochView(0))));
        assertEquals(2, loader.epoch());
        loader.setEpoch(1);
        assertArrayEquals(e1, flat(epoch(loader)));
    }

    @Test
    void everyExampleExactlyOncePerEpoch() {
        for (int prefetch : new int[] {0, 3}) {
            var loader = DataLoader.builder(numbered(37)).batchSize(5).shuffle(99).prefetch(prefetch).build();
            for (int e = 0; e < 4; e++) {
                long[] seen = flat(epoch(loader));
                long[] sorted = seen.clone();
                Arrays.sort(sorted);
                long[] expected = new long[37];
                Arrays.setAll(expected, i -> i);
                assertArrayEquals(expected, sorted, "prefetch " + prefetch + " epoch " + e);
                assertFalse(Arrays.equals(expected, seen), "shuffled");
            }
        }
    }

    @Test
    void unshuffledIsDatasetOrder() {
        long[] seen = flat(epoch(DataLoader.of(numbered(7), 3)));
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6}, seen);
    }

    @Test
    void dropLastBatchSizes() {
        var keep = DataLoader.builder(numbered(10)).batchSize(3).shuffle(1).build();
        assertEquals(4, keep.numBatches());
        assertEquals(List.of(3, 3, 3, 1), epoch(keep).stream().map(b -> b.length).toList());
        var drop = DataLoader.builder(numbered(10)).batchSize(3).shuffle(1).dropLast(true).build();
        assertEquals(3, drop.numBatches());
        List<long[]> batches = epoch(drop);
        assertEquals(List.of(3, 3, 3), batches.stream().map(b -> b.length).toList());
        // the dropped example is the last one of the epoch's order
        assertArrayEquals(Arrays.stream(drop.order(0)).limit(9).asLongStream().toArray(), flat(batches));
        var exact = DataLoader.builder(numbered(9)).batchSize(3).dropLast(true).build();
        assertEquals(3, exact.numBatches());
        assertEquals(0, DataLoader.builder(numbered(2)).batchSize(3).dropLast(true).build().numBatches());
    }

    @Test
    void prefetchingGivesTheSameBatchesAsDirect() {
        var direct = DataLoader.builder(numbered(23)).batchSize(4).shuffle(5).build();
        var pre = DataLoader.builder(numbered(23)).batchSize(4).shuffle(5).prefetch(2).build();
        for (int e = 0; e < 2; e++) {
            List<long[]> a = epoch(direct);
            List<long[]> b = epoch(pre);
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(a.get(i), b.get(i));
            }
        }
    }

    @Test
    void rowGatherEqualsStackingAndSeesThroughSubsets() {
        TensorDataset ds = numbered(12);
        int[] idx = {11, 0, 5, 5, 3};
        Batch gathered = Collator.auto().collate(ds, idx);
        Batch stacked = Collator.<Sample>of(Collator::stack).collate(ds, idx);
        assertArrayEquals(new int[] {5, 2}, gathered.inputs().shape());
        assertArrayEquals(new int[] {5}, gathered.targets().shape());
        assertEquals(DType.INT64, gathered.targets().dtype());
        assertArrayEquals(stacked.inputs().toFloatArray(), gathered.inputs().toFloatArray());
        assertArrayEquals(stacked.targets().toLongArray(), gathered.targets().toLongArray());

        Subset<Sample> sub = ds.subset(new int[] {4, 6, 8, 10}).subset(new int[] {3, 1});
        Batch b = Collator.auto().collate(sub, new int[] {0, 1, 0});
        assertArrayEquals(new long[] {10, 6, 10}, b.targets().toLongArray());
    }

    @Test
    void multiDimensionalTargetsAndGenericSampleDatasets() {
        Tensor x = Tensor.arange(24).reshape(6, 2, 2).to(DType.FLOAT32);
        Tensor y = Tensor.arange(12).reshape(6, 2).to(DType.FLOAT32);
        Batch b = Collator.auto().collate(new TensorDataset(x, y), new int[] {2, 4});
        assertArrayEquals(new int[] {2, 2, 2}, b.inputs().shape());
        assertArrayEquals(new float[] {4, 5, 8, 9}, b.targets().toFloatArray());

        Dataset<Sample> lazy = new Dataset<>() {
            public int size() {
                return 3;
            }

            public Sample get(int i) {
                return new Sample(Tensor.full(i, 2), Tensor.scalar(i, DType.INT64));
            }
        };
        Batch c = Collator.auto().collate(lazy, new int[] {2, 0});
        assertArrayEquals(new int[] {2, 2}, c.inputs().shape());
        assertArrayEquals(new long[] {2, 0}, c.targets().toLongArray());

        Dataset<String> words = new Dataset<>() {
            public int size() {
                return 1;
            }

            public String get(int i) {
                return "x";
            }
        };
        var e = assertThrows(DataLoaderException.class, () -> DataLoader.of(words, 1).iterator().next());
        assertTrue(e.getCause().getMessage().contains("not a Sample"), e.getCause().getMessage());
    }

    // ------------------------------------------------------------------ prefetch thread: errors and lifetime

    static final class Boom extends RuntimeException {
        Boom(String m) {
            super(m);
        }
    }

    /** A dataset whose example {@code bad} fails to load. */
    static Dataset<Sample> failingAt(int n, int bad, RuntimeException failure) {
        TensorDataset inner = numbered(n);
        return new Dataset<>() {
            public int size() {
                return n;
            }

            public Sample get(int i) {
                if (i == bad) {
                    throw failure;
                }
                return inner.get(i);
            }
        };
    }

    @Test
    void prefetchFailureSurfacesOnTheCallerWithItsCause() throws Exception {
        Boom boom = new Boom("cannot decode example 7");
        var loader = DataLoader.builder(failingAt(20, 7, boom)).batchSize(2).prefetch(2).build();
        BatchIterator it = loader.iterator();
        Thread producer = DataLoader.prefetchThread(it);
        assertNotNull(producer);
        assertTrue(producer.isDaemon());
        List<long[]> before = new ArrayList<>();
        DataLoaderException e = assertThrows(DataLoaderException.class, () -> {
            while (it.hasNext()) {
                before.add(it.next().targets().toLongArray());
            }
        });
        assertSame(boom, e.getCause(), "the original exception is the cause");
        assertTrue(e.getMessage().contains("batch 3 of 10"), e.getMessage());
        assertTrue(e.getMessage().contains("[6, 7]"), e.getMessage());
        assertTrue(e.getMessage().contains("cannot decode example 7"), e.getMessage());
        assertEquals(3, before.size(), "the batches before the failing one were delivered");
        assertFalse(it.hasNext());
        producer.join(5_000);
        assertFalse(producer.isAlive());
    }

    @Test
    void directFailureHasTheSameShape() {
        Boom boom = new Boom("bad");
        var it = DataLoader.builder(failingAt(4, 1, boom)).batchSize(2).build().iterator();
        var e = assertThrows(DataLoaderException.class, it::next);
        assertSame(boom, e.getCause());
        assertTrue(e.getMessage().contains("batch 0 of 2"));
    }

    @Test
    void errorsThatAreNotExceptionsAlsoSurface() {
        Dataset<Sample> ds = new Dataset<>() {
            public int size() {
                return 4;
            }

            public Sample get(int i) {
                throw new StackOverflowError("deep");
            }
        };
        var it = DataLoader.builder(ds).batchSize(2).prefetch(1).build().iterator();
        var e = assertThrows(DataLoaderException.class, it::hasNext);
        assertTrue(e.getCause() instanceof StackOverflowError);
        assertTrue(e.getMessage().contains("epoch 0, batch 0 of 2"), e.getMessage());
    }

    @Test
    void closingAnIterationMidwayStopsTheThread() throws Exception {
        var loader = DataLoader.builder(numbered(1000)).batchSize(1).prefetch(2).build();
        BatchIterator it = loader.iterator();
        Thread producer = DataLoader.prefetchThread(it);
        it.next();
        it.next();
        it.close();
        producer.join(5_000);
        assertFalse(producer.isAlive(), "closed iterator's thread has ended");
        assertFalse(it.hasNext());
    }

    @Test
    void abandoningAnIterationMidwayDoesNotLeakTheThread() throws Exception {
        var loader = DataLoader.builder(numbered(1000)).batchSize(1).prefetch(2).build();
        Thread producer = startAndAbandon(loader);
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (producer.isAlive() && System.nanoTime() < deadline) {
            System.gc();
            producer.join(100);
        }
        assertFalse(producer.isAlive(), "the thread of an unreachable iterator ends");
    }

    /** A for-each loop that breaks after two batches, returning only the thread. */
    private static Thread startAndAbandon(DataLoader<Sample> loader) {
        BatchIterator it = loader.iterator();
        Thread t = DataLoader.prefetchThread(it);
        int n = 0;
        while (it.hasNext()) {
            it.next();
            if (++n == 2) {
                break;
            }
        }
        assertTrue(t.isAlive(), "still loading ahead when abandoned");
        return t;
    }

    @Test
    void rejectsBadArguments() {
        var ds = numbered(3);
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(ds).batchSize(0));
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(ds).prefetch(-1));
        assertThrows(IllegalArgumentException.class, () -> new TensorDataset(Tensor.zeros(3, 2), Tensor.zeros(4)));
        assertThrows(IndexOutOfBoundsException.class, () -> ds.get(3));
        assertThrows(IndexOutOfBoundsException.class, () -> ds.subset(new int[] {0, 5}));
    }
}
