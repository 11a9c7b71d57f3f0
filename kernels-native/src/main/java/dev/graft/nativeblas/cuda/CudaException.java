package dev.graft.nativeblas.cuda;

/**
 * A CUDA runtime or cuBLAS call returned an error status. The message names the call, the status
 * code, its symbolic name and the library's own description, e.g.
 * {@code cudaMalloc(17179869184 bytes): cudaErrorMemoryAllocation (2): out of memory}.
 */
public final class CudaException extends RuntimeException {
    private final String call;
    private final int status;

    CudaException(String call, int status, String name, String description) {
        super(call + ": " + name + " (" + status + ")" + (description.isEmpty() ? "" : ": " + description));
        this.call = call;
        this.status = status;
    }

    /** The call that failed, with its arguments where they help. */
    public String call() {
        return call;
    }

    /** The status code the call returned (cudaError_t or cublasStatus_t). */
    public int status() {
        return status;
    }
}
