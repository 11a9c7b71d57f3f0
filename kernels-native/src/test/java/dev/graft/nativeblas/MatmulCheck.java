package dev.graft.nativeblas;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.backend.scalar.ScalarBackendProvider;
import dev.graft.tensor.spi.Backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The reference every matmul here is compared with: the scalar backend (Graft's executable
 * specification) in float64. Tolerance per output element, as in the tensor module's MatmulTest:
 * {@code 1e-6 + K u sum_k |a_ik b_kj|}, with u = 2^-24 for float32 and 2^-53 for float64 (the
 * worst-case error of a K-term dot product in any summation order, FMA or not).
 */
final class MatmulCheck {
    static final Backend SCALAR = new ScalarBackendProvider().create().orElseThrow();

    private MatmulCheck() {
    }

    /** Asserts {@code actual} (the result of a @ b in a's dtype) is within tolerance of the float64 reference. */
    static void assertProduct(String what, Tensor a, Tensor b, Tensor actual) {
        Tensor a64 = a.to(DType.FLOAT64);
        Tensor b64 = b.to(DType.FLOAT64);
        Tensor ref = Backends.with(SCALAR, () -> a64.matmul(b64));
        Tensor mag = Backends.with(SCALAR, () -> a64.abs().matmul(b64.abs()));
        assertArrayEquals(ref.shape(), actual.shape(), what + ": shape");
        int k = a.shape()[a.dim() - 1];
        double u = a.dtype() == DType.FLOAT32 ? 0x1p-24 : 0x1p-53;
        double[] r = ref.contiguous().toDoubleArray();
        double[] m = mag.contiguous().toDoubleArray();
        double[] x = actual.contiguous().toDoubleArray();
        for (int i = 0; i < r.length; i++) {
            double tol = 1e-6 + k * u * m[i] + 1e-300;
            if (!(Math.abs(x[i] - r[i]) <= tol)) {
                fail(what + ": element " + i + " is " + x[i] + ", reference " + r[i] + " (tolerance " + tol + ", K = " + k + ")");
            }
        }
    }
}
