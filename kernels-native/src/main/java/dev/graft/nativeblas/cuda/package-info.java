/**
 * CUDA runtime and cuBLAS through the FFM API: {@link dev.graft.nativeblas.cuda.CudaRuntime}
 * (devices, memory, copies), {@link dev.graft.nativeblas.cuda.DeviceBuffer} (device memory freed by
 * {@code close()}, with a Cleaner as the safety net), {@link dev.graft.nativeblas.cuda.CublasHandle}
 * (SGEMM on device buffers) and {@link dev.graft.nativeblas.cuda.CudaBlas} (SGEMM on host arrays:
 * copy in, multiply, copy out; the first usable path). Tensors do not live on the GPU yet:
 * {@code tensor.to(Device.cuda())} is not implemented. {@link dev.graft.nativeblas.cuda.GpuCheck}
 * is what {@code kernels-native/gpu-check.sh} runs on a GPU machine.
 */
package dev.graft.nativeblas.cuda;
