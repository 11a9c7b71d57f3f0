package dev.graft.tensor.backend.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.graft.tensor.spi.BinaryOp;
import dev.graft.tensor.spi.UnaryOp;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The float32 loops called directly, on the cases the tensor-level tests do not reach. */
class FloatKernelsTest {

    /** Subnormal inputs whose rescaled mantissa is above sqrt 2 were off by ln 2. */
    @Test
    void logOfSubnormals() {
        int n = 4 * FloatKernels.VL + 3;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) ((1.0 + (double) i / n) * Math.pow(2, -130 - i % 19));
        }
        float[] o = new float[n];
        FloatKernels.unary(UnaryOp.LOG, 0, 0, x, 0, o, 0, n);
        for (int i = 0; i < n; i++) {
            double ref = Math.log(x[i]);
            assertEquals(ref, o[i], 1e-5 * Math.abs(ref), "log(" + x[i] + ")");
        }
    }

    /**
     * Each arithmetic op in each layout (vector op vector, vector op one value, one value op vector):
     * a float32 +, -, *, / rounds once, so the result is exactly the reference's.
     */
    @Test
    void binaryLayoutsExact() {
        Random r = new Random(11);
        int n = 5 * FloatKernels.VL + 7;
        float[] a = new float[n + 2];
        float[] b = new float[n + 3];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian() * 4;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) r.nextGaussian() * 4;
        }
        int[][] layouts = {{1, 1}, {1, 0}, {0, 1}};
        for (BinaryOp op : BinaryOp.values()) {
            if (!FloatKernels.arithmetic(op)) {
                continue;
            }
            for (int[] l : layouts) {
                float[] o = new float[n];
                FloatKernels.binary(op, a, 2, l[0], b, 3, l[1], o, 0, n);
                for (int i = 0; i < n; i++) {
                    float ref = (float) op.apply(a[2 + i * l[0]], b[3 + i * l[1]]);
                    assertEquals(Float.floatToIntBits(ref), Float.floatToIntBits(o[i]), op + " layout " + l[0] + l[1] + " at " + i);
                }
            }
        }
    }
}
