package dev.graft.autograd;

import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;

import java.util.Arrays;
import java.util.function.Function;

/**
 * Compares autograd's gradients with central finite differences in float64. The output is reduced
 * to a scalar with fixed random weights, {@code L = sum(f(x) * w)}, so every output element takes
 * part; each input element is perturbed by ±eps and {@code (L(x+eps) - L(x-eps)) / 2eps} is
 * compared with the analytic {@code dL/dx}.
 */
public final class GradCheck {
    private GradCheck() {
    }

    /** The worst element found: which input, where, both values, and whether it passed. */
    public record Result(boolean passed, int input, int[] index, double analytic, double numeric, double error,
                         String function) {
        @Override
        public String toString() {
            return (passed ? "gradcheck passed" : "gradcheck FAILED") + " for " + function + ": worst element input " + input
                    + " at " + Arrays.toString(index) + ", analytic " + analytic + ", numeric " + numeric
                    + ", |diff| " + error;
        }
    }

    public static Result check(String name, Function<Tensor[], Tensor> fn, Tensor... inputs) {
        return check(name, fn, 1e-6, 1e-5, 1e-4, inputs);
    }

    /**
     * Inputs must be float64 leaves; those with requiresGrad are checked. Passes when every element
     * satisfies |analytic - numeric| &lt;= atol + rtol * |numeric|.
     */
    public static Result check(String name, Function<Tensor[], Tensor> fn, double eps, double atol, double rtol, Tensor... inputs) {
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].requiresGrad() && inputs[i].dtype() != DType.FLOAT64) {
                throw new IllegalArgumentException("gradcheck " + name + ": input " + i + " is " + inputs[i].dtype()
                        + "; finite differences need float64");
            }
        }
        for (Tensor t : inputs) {
            t.setGrad(null);
        }
        Tensor out = fn.apply(inputs);
        Tensor w = Tensor.uniform(new Generator(1234), 0.5, 1.5, DType.FLOAT64, out.shape());
        Tensor loss = out.mul(w).sum();
        loss.backward();
        Result worst = new Result(true, -1, new int[0], 0, 0, 0, name);
        double worstRatio = -1;
        for (int i = 0; i < inputs.length; i++) {
            Tensor x = inputs[i];
            if (!x.requiresGrad()) {
                continue;
            }
            Tensor grad = x.grad();
            int[] shape = x.shape();
            int n = x.numel();
            int[] idx = new int[shape.length];
            for (int e = 0; e < n; e++) {
                unravel(e, shape, idx);
                double orig = x.get(idx);
                double plus;
                double minus;
                try (NoGrad ignored = NoGrad.enter()) {
                    setRaw(x, orig + eps, idx);
                    plus = fn.apply(inputs).mul(w).sum().item();
                    setRaw(x, orig - eps, idx);
                    minus = fn.apply(inputs).mul(w).sum().item();
                    setRaw(x, orig, idx);
                }
                double numeric = (plus - minus) / (2 * eps);
                double analytic = grad == null ? 0 : grad.get(idx);
                double err = Math.abs(analytic - numeric);
                double allowed = atol + rtol * Math.abs(numeric);
                double ratio = err / allowed;
                if (ratio > worstRatio || Double.isNaN(err)) {
                    worstRatio = Double.isNaN(err) ? Double.POSITIVE_INFINITY : ratio;
                    worst = new Result(ratio <= 1, i, idx.clone(), analytic, numeric, err, name);
                }
            }
        }
        return worst;
    }

    /** Like {@link #check} but throws AssertionError with the worst element when it fails. */
    public static void assertGradients(String name, Function<Tensor[], Tensor> fn, Tensor... inputs) {
        Result r = check(name, fn, inputs);
        if (!r.passed()) {
            throw new AssertionError(r.toString());
        }
    }

    private static void setRaw(Tensor x, double v, int[] idx) {
        // perturbs the leaf's storage without bumping its version or tripping the in-place guard
        x.detach().set(v, idx);
    }

    private static void unravel(int i, int[] shape, int[] pos) {
        int r = i;
        for (int d = shape.length - 1; d >= 0; d--) {
            pos[d] = r % shape[d];
            r /= shape[d];
        }
    }
}
