/**
 * The seams of the tensor core: {@link dev.graft.tensor.spi.Backend}, the closed set of primitives
 * every backend implements, found through {@link dev.graft.tensor.spi.BackendProvider}; the op
 * enums whose {@code apply} methods define elementwise semantics; and
 * {@link dev.graft.tensor.spi.GradRecorder}, through which the autograd module observes ops.
 * Implementations live in other packages and modules ({@code kernels-native} adds BLAS/cuBLAS).
 */
package dev.graft.tensor.spi;
