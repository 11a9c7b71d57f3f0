/**
 * Native matrix libraries (BLAS, CUDA/cuBLAS) bound with the FFM API and offered to the tensor core
 * as backends through {@code dev.graft.tensor.spi.BackendProvider}. Depends only on
 * {@code graft-tensor}; nothing depends on this module. (Empty until the kernels-native issue.)
 */
package dev.graft.nativeblas;
