package dev.graft.data;

import java.util.Iterator;

/**
 * The batches of one epoch. Closing it stops the prefetch thread, if any; an iterator abandoned
 * without closing is stopped when it becomes unreachable, so a {@code break} out of a
 * for-each loop never leaves a thread behind for long.
 */
public interface BatchIterator extends Iterator<Batch>, AutoCloseable {
    /** The epoch whose order this iterator follows. */
    int epoch();

    /** Stops background loading; later calls to {@link #hasNext()} return false. Idempotent. */
    @Override
    void close();
}
