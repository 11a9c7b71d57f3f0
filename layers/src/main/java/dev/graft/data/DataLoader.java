package dev.graft.data;

import dev.graft.autograd.NoGrad;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;

import java.lang.ref.Cleaner;
import java.util.Arrays;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Batches of a {@link Dataset}, like {@code torch.utils.data.DataLoader}:
 * <pre>{@code
 * var loader = DataLoader.builder(dataset).batchSize(32).shuffle(42).dropLast(true).prefetch(2).build();
 * for (int epoch = 0; epoch < 10; epoch++) {
 *     for (Batch b : loader) { ... }          // each for-each is the next epoch
 * }
 * }</pre>
 *
 * <p><b>Order.</b> Without shuffling the order is {@code 0..N-1}. With {@code shuffle(seed)},
 * epoch {@code e} visits a permutation drawn from a {@link dev.graft.tensor.Generator} seeded by
 * {@code (seed, e)} alone: the same seed gives the same batches in every run, on every machine,
 * whether or not prefetching is on, and each epoch's order differs. Every example appears exactly
 * once per epoch; with {@code dropLast} the last short batch is skipped.
 *
 * <p><b>Prefetching.</b> With {@code prefetch(n > 0)} a daemon thread builds up to {@code n}
 * batches ahead into a bounded queue (useful when {@code get} decodes or reads files; an in-memory
 * {@link TensorDataset} gathers rows so cheaply that the default, 0, builds each batch on the
 * caller's thread). The thread uses the caller's tensor backend and records no autograd graph.
 * Anything thrown while building a batch there (an exception or an error) is rethrown on the
 * iterating thread, after the batches before it, as a {@link DataLoaderException} that names the
 * epoch, the batch and its dataset indices, with the original as its cause. Without prefetching a
 * {@code RuntimeException} is wrapped the same way and an {@code Error} propagates unchanged.
 * Closing the {@link BatchIterator}, or dropping it (it is then stopped once unreachable), ends
 * the thread.
 *
 * <p>A loader is reusable and may be iterated by several threads, each with its own iterator; the
 * epoch counter behind {@link #iterator()} is atomic.
 */
public final class DataLoader<T> implements Iterable<Batch> {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();

    private final Dataset<T> dataset;
    private final Collator<? super T> collator;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    private final int prefetch;
    private final AtomicInteger nextEpoch = new AtomicInteger();

    private DataLoader(Builder<T> b) {
        this.dataset = b.dataset;
        this.collator = b.collator;
        this.batchSize = b.batchSize;
        this.shuffle = b.shuffle;
        this.seed = b.seed;
        this.dropLast = b.dropLast;
        this.prefetch = b.prefetch;
    }

    public static <T> Builder<T> builder(Dataset<T> dataset) {
        return new Builder<>(dataset);
    }

    /** A loader in dataset order, no prefetching. */
    public static <T> DataLoader<T> of(Dataset<T> dataset, int batchSize) {
        return builder(dataset).batchSize(batchSize).build();
    }

    /** A shuffling loader with the given seed, no prefetching. */
    public static <T> DataLoader<T> shuffled(Dataset<T> dataset, int batchSize, long seed) {
        return builder(dataset).batchSize(batchSize).shuffle(seed).build();
    }

    public Dataset<T> dataset() {
        return dataset;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Batches per epoch. */
    public int numBatches() {
        int n = dataset.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** The epoch the next {@link #iterator()} call will follow. */
    public int epoch() {
        return nextEpoch.get();
    }

    /** Sets the epoch the next {@link #iterator()} call follows (to resume a run at the same order). */
    public void setEpoch(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("DataLoader.setEpoch: epoch must be >= 0, got " + epoch);
        }
        nextEpoch.set(epoch);
    }

    /** The dataset indices in the order epoch {@code epoch} visits them (before {@code dropLast}). */
    public int[] order(int epoch) {
        int n = dataset.size();
        if (!shuffle) {
            int[] o = new int[n];
            Arrays.setAll(o, i -> i);
            return o;
        }
        return Shuffle.permutation(n, Shuffle.forEpoch(seed, epoch));
    }

    /** The batches of the next epoch (advances the epoch counter). */
    @Override
    public BatchIterator iterator() {
        return iterator(nextEpoch.getAndIncrement());
    }

    /** The batches of a given epoch; does not touch the epoch counter. */
    public BatchIterator iterator(int epoch) {
        int[] order = order(epoch);
        int[][] batches = new int[numBatches()][];
        for (int b = 0; b < batches.length; b++) {
            int from = b * batchSize;
            batches[b] = Arrays.copyOfRange(order, from, Math.min(from + batchSize, order.length));
        }
        return prefetch > 0 ? new Prefetching<>(this, epoch, batches) : new Direct<>(this, epoch, batches);
    }

    /** An {@code Iterable} over one fixed epoch, for APIs that take an {@code Iterable<Batch>}. */
    public Iterable<Batch> epochView(int epoch) {
        return () -> iterator(epoch);
    }

    /** Builds one batch on the caller's thread; a RuntimeException is wrapped with the batch's place in the epoch. */
    Batch load(int epoch, int batchIndex, int total, int[] indices) {
        try {
            return collator.collate(dataset, indices);
        } catch (RuntimeException e) {
            throw failure(epoch, batchIndex, total, indices, e);
        }
    }

    static DataLoaderException failure(int epoch, int batchIndex, int total, int[] indices, Throwable cause) {
        return new DataLoaderException(describe(epoch, batchIndex, total, indices) + " failed: " + cause, cause);
    }

    static String describe(int epoch, int batchIndex, int total, int[] indices) {
        String idx = indices.length <= 16 ? Arrays.toString(indices)
                : Arrays.toString(Arrays.copyOf(indices, 16)).replace("]", ", ...]");
        return "DataLoader: epoch " + epoch + ", batch " + batchIndex + " of " + total + " (dataset indices " + idx + ")";
    }

    @Override
    public String toString() {
        return "DataLoader(" + dataset.size() + " examples, batchSize " + batchSize + (shuffle ? ", shuffle seed " + seed : "")
                + (dropLast ? ", dropLast" : "") + (prefetch > 0 ? ", prefetch " + prefetch : "") + ")";
    }

    // ------------------------------------------------------------------ iterators

    /** Builds each batch on the caller's thread when {@code next()} asks for it. */
    private static final class Direct<T> implements BatchIterator {
        private final DataLoader<T> loader;
        private final int epoch;
        private final int[][] batches;
        private int next;
        private boolean closed;

        Direct(DataLoader<T> loader, int epoch, int[][] batches) {
            this.loader = loader;
            this.epoch = epoch;
            this.batches = batches;
        }

        @Override
        public int epoch() {
            return epoch;
        }

        @Override
        public boolean hasNext() {
            return !closed && next < batches.length;
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException("DataLoader: epoch " + epoch + " has no more batches");
            }
            int b = next++;
            return loader.load(epoch, b, batches.length, batches[b]);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** The end-of-epoch marker and the failure wrapper that travel through the queue after the batches. */
    private static final Object END = new Object();

    /** A batch that could not be built, with what the consumer's exception should say. */
    private record Failure(int batchIndex, int[] indices, Throwable error) {
    }

    /**
     * The state shared by a prefetching iterator and its thread. It holds no reference to the
     * iterator, so an abandoned iterator can become unreachable; the {@link Cleaner} then calls
     * {@link #stop()}, which the producer notices within one poll interval.
     */
    private static final class Producer<T> implements Runnable {
        private static final long POLL_MS = 50;

        final BlockingQueue<Object> queue;
        private final DataLoader<T> loader;
        private final int[][] batches;
        private final Backend backend;
        volatile boolean stopped;
        volatile Thread thread;

        Producer(DataLoader<T> loader, int[][] batches, int capacity, Backend backend) {
            this.loader = loader;
            this.batches = batches;
            this.queue = new ArrayBlockingQueue<>(capacity);
            this.backend = backend;
        }

        @Override
        public void run() {
            try (var _ = NoGrad.enter()) {
                Backends.with(backend, this::produce);
            } catch (Throwable t) {
                // not only exceptions: an OutOfMemoryError or a LinkageError must reach the caller too
                put(new Failure(-1, null, t));
            }
        }

        private void produce() {
            for (int b = 0; b < batches.length && !stopped; b++) {
                Batch batch;
                try {
                    batch = loader.collator.collate(loader.dataset, batches[b]);
                } catch (Throwable t) {
                    put(new Failure(b, batches[b], t));
                    return;
                }
                if (!put(batch)) {
                    return;
                }
            }
            put(END);
        }

        /** Waits for room in the queue; false once stopped (the consumer is gone). */
        private boolean put(Object item) {
            try {
                while (!stopped) {
                    if (queue.offer(item, POLL_MS, TimeUnit.MILLISECONDS)) {
                        return true;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        }

        void stop() {
            stopped = true;
            queue.clear();
            Thread t = thread;
            if (t != null) {
                t.interrupt();
            }
        }
    }

    private static final class Prefetching<T> implements BatchIterator {
        private final Producer<T> producer;
        private final Cleaner.Cleanable cleanable;
        private final int epoch;
        private final int total;
        private Object peeked;
        private boolean finished;

        Prefetching(DataLoader<T> loader, int epoch, int[][] batches) {
            this.epoch = epoch;
            this.total = batches.length;
            this.producer = new Producer<>(loader, batches, loader.prefetch, Backends.current());
            Thread t = new Thread(producer, "graft-dataloader-" + THREAD_IDS.incrementAndGet());
            t.setDaemon(true);
            producer.thread = t;
            Producer<T> p = producer; // the cleaning action must not capture this iterator
            this.cleanable = CLEANER.register(this, p::stop);
            t.start();
        }

        @Override
        public int epoch() {
            return epoch;
        }

        @Override
        public boolean hasNext() {
            if (finished) {
                return false;
            }
            if (peeked == null) {
                peeked = take();
            }
            if (peeked == END) {
                close();
                return false;
            }
            if (peeked instanceof Failure f) {
                close();
                if (f.indices() != null) {
                    throw failure(epoch, f.batchIndex(), total, f.indices(), f.error());
                }
                throw new DataLoaderException("DataLoader: epoch " + epoch + ": the prefetch thread failed: " + f.error(), f.error());
            }
            return true;
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException("DataLoader: epoch " + epoch + " has no more batches");
            }
            Batch b = (Batch) peeked;
            peeked = null;
            return b;
        }

        private Object take() {
            try {
                while (true) {
                    Object item = producer.queue.poll(Producer.POLL_MS, TimeUnit.MILLISECONDS);
                    if (item != null) {
                        return item;
                    }
                    if (!producer.thread.isAlive() && producer.queue.isEmpty()) {
                        // the thread ends only after queueing END or a Failure; this is a last line of defence
                        return new Failure(-1, null, new IllegalStateException("the prefetch thread ended without delivering the epoch"));
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new DataLoaderException("DataLoader: interrupted while waiting for batch of epoch " + epoch, e);
            }
        }

        @Override
        public void close() {
            finished = true;
            peeked = null;
            cleanable.clean(); // runs producer.stop() once, and unregisters from the Cleaner
        }

        /** For tests: the thread that builds this iterator's batches. */
        Thread thread() {
            return producer.thread;
        }
    }

    /** For tests: the prefetch thread of an iterator, or null when it builds batches on the caller's thread. */
    static Thread prefetchThread(BatchIterator it) {
        return it instanceof Prefetching<?> p ? p.thread() : null;
    }

    // ------------------------------------------------------------------ builder

    public static final class Builder<T> {
        private final Dataset<T> dataset;
        private Collator<? super T> collator = Collator.auto();
        private int batchSize = 1;
        private boolean shuffle;
        private long seed;
        private boolean dropLast;
        private int prefetch;

        private Builder(Dataset<T> dataset) {
            this.dataset = java.util.Objects.requireNonNull(dataset, "dataset");
        }

        public Builder<T> batchSize(int batchSize) {
            if (batchSize <= 0) {
                throw new IllegalArgumentException("DataLoader: batchSize must be positive, got " + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        /** Shuffles each epoch with a permutation determined by {@code seed} and the epoch number. */
        public Builder<T> shuffle(long seed) {
            this.shuffle = true;
            this.seed = seed;
            return this;
        }

        /** Skips the last batch of an epoch when it is shorter than {@code batchSize}. */
        public Builder<T> dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** Builds up to {@code batches} batches ahead on a daemon thread; 0 (the default) builds on the caller's thread. */
        public Builder<T> prefetch(int batches) {
            if (batches < 0) {
                throw new IllegalArgumentException("DataLoader: prefetch must be >= 0, got " + batches);
            }
            this.prefetch = batches;
            return this;
        }

        public Builder<T> collator(Collator<? super T> collator) {
            this.collator = java.util.Objects.requireNonNull(collator, "collator");
            return this;
        }

        public DataLoader<T> build() {
            return new DataLoader<>(this);
        }
    }
}
