/**
 * NumPy {@code .npy} files: {@link dev.graft.npy.Npy} reads them into Graft tensors and writes
 * tensors as them, so that models imported into Graft can exchange inputs and outputs with Python.
 * Depends only on the tensor module.
 */
package dev.graft.npy;
