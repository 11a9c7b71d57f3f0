/**
 * Data loading: {@link dev.graft.data.Dataset} (indexed examples), the in-memory
 * {@link dev.graft.data.TensorDataset}, {@link dev.graft.data.Subset} views and seeded
 * {@link dev.graft.data.Splits}, and the {@link dev.graft.data.DataLoader}, which batches with a
 * {@link dev.graft.data.Collator}, shuffles deterministically per (seed, epoch) and can prefetch on
 * a daemon thread.
 *
 * <p>Depends on {@code graft-tensor} and {@code graft-autograd} only; nothing outside the JDK.
 * Nothing in {@code dev.graft.nn}, {@code loss} or {@code optim} depends on it; {@code dev.graft.train} does.
 */
package dev.graft.data;
