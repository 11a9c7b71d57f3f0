/**
 * The ops behind the nodes {@link dev.graft.onnx.GraphOptimizer} writes when it fuses an exported
 * chain (decomposed LayerNorm, erf GELU, MatMul + bias) into one node of the private domain
 * {@code dev.graft.fused}: a recorded path made of the same Graft ops as the chain (so imported
 * graphs stay differentiable) and a no-grad path on arrays, with Vector API loops when the
 * {@code jdk.incubator.vector} module is present. Depends on the tensor and autograd modules and on
 * {@code dev.graft.onnx.ops} (the op SPI); nothing outside the ONNX executor should need it.
 */
package dev.graft.onnx.fusion;
