package dev.graft.onnx.ops;

import dev.graft.tensor.Tensor;

import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;

import static dev.graft.onnx.ops.MathOps.floatInput;
import static dev.graft.onnx.ops.MathOps.one;

/**
 * ONNX functions for which Graft has no primitive: inverse trigonometric and hyperbolic functions
 * and Det. The inverse hyperbolics compose from log and sqrt; the others compute their values
 * exactly in double and attach a first-order gradient, {@code y = value + (x - stop(x)) * dy/dx},
 * whose value is exactly {@code value} and whose derivative is {@code dy/dx} (second derivatives
 * through these ops are not available).
 */
final class MathOpsSpecial {
    private MathOpsSpecial() {
    }

    static void register(OpRegistry r) {
        r.register("Asin", exact(Math::asin, x -> 1 / Math.sqrt(1 - x * x)));
        r.register("Acos", exact(Math::acos, x -> -1 / Math.sqrt(1 - x * x)));
        r.register("Atan", exact(Math::atan, x -> 1 / (1 + x * x)));
        // asinh(x) = sign(x) log(|x| + sqrt(x^2 + 1)), odd so that large negative x does not cancel
        r.register("Asinh", ctx -> {
            Tensor x = floatInput(ctx);
            Tensor ax = x.abs();
            return one(ax.add(ax.square().add(1).sqrt()).log().mul(x.sign()));
        });
        r.register("Acosh", ctx -> {
            Tensor x = floatInput(ctx);
            return one(x.add(x.square().sub(1).sqrt()).log());
        });
        r.register("Atanh", ctx -> {
            Tensor x = floatInput(ctx);
            return one(x.log1p().sub(x.neg().log1p()).mul(0.5));
        });
        r.register("Det", ctx -> one(det(ctx)));
    }

    private static OnnxOp exact(DoubleUnaryOperator f, DoubleUnaryOperator df) {
        return ctx -> {
            Tensor x = floatInput(ctx);
            double[] v = x.detach().contiguous().toDoubleArray();
            double[] y = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                y[i] = f.applyAsDouble(v[i]);
            }
            Tensor value = Tensor.fromArray(y, x.shape()).to(x.dtype());
            if (!x.requiresGrad()) {
                return one(value);
            }
            double[] d = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                d[i] = df.applyAsDouble(v[i]);
            }
            return one(value.add(x.sub(x.detach()).mul(Tensor.fromArray(d, x.shape()).to(x.dtype()))));
        };
    }

    /** Determinants of [..., M, M] by LU with partial pivoting in double; d det / dA = det * A^-T. */
    private static Tensor det(OpContext ctx) {
        Tensor a = floatInput(ctx);
        int[] s = a.shape();
        if (s.length < 2 || s[s.length - 1] != s[s.length - 2]) {
            throw ctx.error("expects square matrices [..., M, M]");
        }
        int m = s[s.length - 1];
        int[] batch = Arrays.copyOf(s, s.length - 2);
        int count = 1;
        for (int b : batch) {
            count *= b;
        }
        double[] all = a.detach().contiguous().toDoubleArray();
        double[] dets = new double[count];
        double[] grads = new double[all.length];
        int mm = m * m;
        for (int b = 0; b < count; b++) {
            double[] lu = Arrays.copyOfRange(all, b * mm, (b + 1) * mm);
            int[] perm = new int[m];
            double det = lu(lu, m, perm);
            dets[b] = det;
            if (det != 0 && a.requiresGrad()) {
                // column j of A^-1 solves A x = e_j; gradient element (i, j) is det * inv[j][i]
                for (int j = 0; j < m; j++) {
                    double[] x = solve(lu, perm, m, j);
                    for (int i = 0; i < m; i++) {
                        grads[b * mm + j * m + i] = det * x[i];
                    }
                }
            }
        }
        Tensor value = Tensor.fromArray(dets, count).reshape(batch).to(a.dtype());
        if (!a.requiresGrad()) {
            return value;
        }
        Tensor g = Tensor.fromArray(grads, s).to(a.dtype());
        return value.add(a.sub(a.detach()).mul(g).sum(new int[] {s.length - 2, s.length - 1}, false));
    }

    /** In-place LU of an m x m row-major matrix with row pivoting; returns the determinant. */
    private static double lu(double[] a, int m, int[] perm) {
        double det = 1;
        for (int i = 0; i < m; i++) {
            perm[i] = i;
        }
        for (int k = 0; k < m; k++) {
            int p = k;
            for (int i = k + 1; i < m; i++) {
                if (Math.abs(a[i * m + k]) > Math.abs(a[p * m + k])) {
                    p = i;
                }
            }
            if (a[p * m + k] == 0) {
                return 0;
            }
            if (p != k) {
                for (int j = 0; j < m; j++) {
                    double t = a[k * m + j];
                    a[k * m + j] = a[p * m + j];
                    a[p * m + j] = t;
                }
                int t = perm[k];
                perm[k] = perm[p];
                perm[p] = t;
                det = -det;
            }
            double piv = a[k * m + k];
            det *= piv;
            for (int i = k + 1; i < m; i++) {
                double f = a[i * m + k] / piv;
                a[i * m + k] = f;
                for (int j = k + 1; j < m; j++) {
                    a[i * m + j] -= f * a[k * m + j];
                }
            }
        }
        return det;
    }

    /** Solves A x = e_col from the LU factors (P A = L U). */
    private static double[] solve(double[] lu, int[] perm, int m, int col) {
        double[] y = new double[m];
        for (int i = 0; i < m; i++) {
            double v = perm[i] == col ? 1 : 0;
            for (int j = 0; j < i; j++) {
                v -= lu[i * m + j] * y[j];
            }
            y[i] = v;
        }
        double[] x = new double[m];
        for (int i = m - 1; i >= 0; i--) {
            double v = y[i];
            for (int j = i + 1; j < m; j++) {
                v -= lu[i * m + j] * x[j];
            }
            x[i] = v / lu[i * m + i];
        }
        return x;
    }
}
