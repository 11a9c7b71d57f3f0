/**
 * Models: {@link dev.graft.nn.Module} trees with PyTorch's parameter names, the layers built on it,
 * {@link dev.graft.nn.Functional} (their stateless computations) and
 * {@link dev.graft.nn.WeightSource} (fresh or pretrained weights through one constructor). Depends on
 * {@code graft-tensor} and {@code graft-autograd} only; nothing outside the JDK.
 */
package dev.graft.nn;
