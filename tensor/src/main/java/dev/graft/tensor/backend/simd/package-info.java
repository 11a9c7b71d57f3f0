/**
 * The Vector API backend: SIMD loops for the hot float32 primitives (elementwise, reductions,
 * packed GEMM, im2col), falling back to the reference implementation elsewhere. Only this package
 * touches {@code jdk.incubator.vector}.
 */
package dev.graft.tensor.backend.simd;
