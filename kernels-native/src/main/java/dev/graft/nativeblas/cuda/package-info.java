/**
 * CUDA runtime and cuBLAS through the FFM API.
 *
 * <p>Device tensors: {@link dev.graft.nativeblas.cuda.CudaDeviceRuntime} is the
 * {@link dev.graft.tensor.spi.DeviceRuntime} of type {@code "cuda"} that {@code tensor.to(Device.cuda(i))}
 * finds with ServiceLoader. Its memory is {@link dev.graft.nativeblas.cuda.CudaMemory} (any dtype,
 * released by a {@code DeviceScope} or a Cleaner); matmul runs in cuBLAS (SGEMM,
 * TF32 GemmEx or DGEMM, strided batched, reading transposed and broadcast views in place as
 * {@code GemmLayout} plans them), the elementwise primitives, where, copies, fills and reductions
 * in Graft's own kernels ({@code elementwise.cu}, compiled by NVRTC on first use and launched
 * through the driver API: {@code CudaKernels}, {@code CudaElementwise}, {@code KernelArgs}). Every
 * device runs one stream and one cuBLAS handle.
 *
 * <p>Lower level: {@link dev.graft.nativeblas.cuda.CudaRuntime} (devices, memory, copies, streams),
 * {@link dev.graft.nativeblas.cuda.DeviceBuffer} (float32 device memory freed by {@code close()},
 * with a Cleaner as the safety net), {@link dev.graft.nativeblas.cuda.CublasHandle} (GEMM on device
 * memory) and {@link dev.graft.nativeblas.cuda.CudaBlas} (availability, and SGEMM on host arrays:
 * copy in, multiply, copy out). {@link dev.graft.nativeblas.cuda.GpuCheck} is what
 * {@code kernels-native/gpu-check.sh} runs on a GPU machine.
 */
package dev.graft.nativeblas.cuda;
