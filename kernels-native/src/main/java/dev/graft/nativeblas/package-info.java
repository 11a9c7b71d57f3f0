/**
 * Native matrix libraries through the FFM API, offered to the tensor core as the {@code blas}
 * backend ({@link dev.graft.nativeblas.BlasBackendProvider}, found by {@code ServiceLoader}).
 * {@link dev.graft.nativeblas.Cblas} binds {@code cblas_sgemm}/{@code cblas_dgemm} of the library
 * {@code BlasLocator} finds (-Dgraft.blas.library, a system OpenBLAS/MKL/BLIS, or the OpenBLAS
 * inside {@code org.bytedeco:openblas}); {@link dev.graft.nativeblas.GemmArgs} checks every call
 * before it reaches native code; {@link dev.graft.nativeblas.BlasBackend} routes float matmul to it
 * where it measured faster and everything else to the Java backend. CUDA and cuBLAS are in
 * {@code dev.graft.nativeblas.cuda}.
 *
 * <p>Depends only on {@code graft-tensor} (and, at run time, the OpenBLAS jar); nothing depends on
 * this module.
 */
package dev.graft.nativeblas;
