package dev.graft.tensor.backend;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * The one thread pool kernels share. Work is split into chunks whose boundaries depend only on
 * the problem size and the configured thread count, and each output element is computed by one
 * chunk, so results are the same run after run for a fixed thread count (and, for every kernel
 * in this project, for any thread count). Nested calls from inside the pool run serially rather
 * than oversubscribing.
 *
 * <p>Thread count: {@code -Dgraft.threads=N}, else the number of available processors; changeable
 * at run time with {@link #setThreads(int)}.
 */
public final class Parallel {
    private static volatile int threads = initialThreads();
    private static volatile ForkJoinPool pool = newPool(threads);
    /** Set while a caller runs its own chunk, so that nested calls from it run serially, as from the pool. */
    private static final ThreadLocal<boolean[]> CALLER_BUSY = ThreadLocal.withInitial(() -> new boolean[1]);

    private Parallel() {
    }

    private static int initialThreads() {
        String p = System.getProperty("graft.threads");
        if (p != null && !p.isBlank()) {
            try {
                int n = Integer.parseInt(p.trim());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // fall through to the clear error below
            }
            throw new IllegalArgumentException("-Dgraft.threads must be a positive integer, got '" + p + "'");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    private static ForkJoinPool newPool(int n) {
        return n <= 1 ? null : new ForkJoinPool(n, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("graft-kernel-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, false);
    }

    public static int threads() {
        return threads;
    }

    /** Changes the kernel thread count (1 = everything on the calling thread). */
    public static synchronized void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + n);
        }
        if (n == threads) {
            return;
        }
        ForkJoinPool old = pool;
        threads = n;
        pool = newPool(n);
        if (old != null) {
            old.shutdown();
        }
    }

    /** A body that handles the index range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /**
     * Runs body over [0, n) in contiguous chunks of at least {@code grain} indices, in parallel when
     * there is enough work. Chunk boundaries depend only on n, grain and the thread count.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        ForkJoinPool p = pool;
        int chunks = p == null ? 1 : (int) Math.min(threads, Math.max(1, (long) n / Math.max(1, grain)));
        if (chunks <= 1 || ForkJoinTask.inForkJoinPool() || CALLER_BUSY.get()[0]) {
            body.run(0, n);
            return;
        }
        // the calling thread runs the first chunk itself instead of sleeping while the pool works:
        // one thread fewer to wake, which is most of the cost of a small parallel call
        RecursiveAction[] tasks = new RecursiveAction[chunks - 1];
        for (int c = 1; c < chunks; c++) {
            int from = (int) ((long) n * c / chunks);
            int to = (int) ((long) n * (c + 1) / chunks);
            tasks[c - 1] = new RecursiveAction() {
                @Override
                protected void compute() {
                    body.run(from, to);
                }
            };
            p.execute(tasks[c - 1]);
        }
        boolean[] busy = CALLER_BUSY.get();
        busy[0] = true;
        try {
            body.run(0, (int) ((long) n / chunks));
        } finally {
            busy[0] = false;
            for (RecursiveAction t : tasks) {
                t.join();
            }
        }
    }
}
