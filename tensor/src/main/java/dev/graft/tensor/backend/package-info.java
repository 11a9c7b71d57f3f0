/**
 * Backend selection ({@link dev.graft.tensor.backend.Backends}), the shared kernel thread pool
 * ({@link dev.graft.tensor.backend.Parallel}) and the strided iteration every elementwise kernel
 * uses ({@link dev.graft.tensor.backend.StridedLoop}). Sub-packages hold the two pure-Java backends:
 * {@code scalar}, the executable specification, and {@code simd}, the Vector API implementation.
 */
package dev.graft.tensor.backend;
