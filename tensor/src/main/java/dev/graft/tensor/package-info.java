/**
 * Tensors on the Java heap: {@link dev.graft.tensor.Tensor} (a shape/strides/offset view over a
 * {@link dev.graft.tensor.Storage}), dtypes, shapes, seeded random numbers and every op with
 * NumPy/PyTorch semantics. Ops validate their arguments here and run through the backend chosen
 * by {@link dev.graft.tensor.backend.Backends}. Depends on nothing but the JDK (the Vector API
 * incubator module for the SIMD backend).
 */
package dev.graft.tensor;
