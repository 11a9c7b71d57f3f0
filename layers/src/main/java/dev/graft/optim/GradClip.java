package dev.graft.optim;

import dev.graft.autograd.NoGrad;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Gradient clipping, PyTorch's {@code torch.nn.utils.clip_grad_norm_} and {@code clip_grad_value_}.
 * Both change the gradients in place and skip parameters without one.
 */
public final class GradClip {
    private GradClip() {
    }

    /** {@link #clipGradNorm(Iterable, double, double, boolean)} with the 2-norm. */
    public static double clipGradNorm(Iterable<Tensor> params, double maxNorm) {
        return clipGradNorm(params, maxNorm, 2, false);
    }

    public static double clipGradNorm(Iterable<Tensor> params, double maxNorm, double normType) {
        return clipGradNorm(params, maxNorm, normType, false);
    }

    /**
     * Scales all gradients together so that their joint {@code normType}-norm (the norm of the
     * vector of every gradient element; {@link Double#POSITIVE_INFINITY} for the largest absolute
     * value) is at most about {@code maxNorm}: each is multiplied by
     * {@code min(1, maxNorm / (total + 1e-6))}, as torch does. The norm is accumulated in float64.
     *
     * @param errorIfNonfinite throw instead of scaling by NaN when the norm is NaN or infinite
     * @return the total norm before clipping (0 when no parameter has a gradient)
     */
    public static double clipGradNorm(Iterable<Tensor> params, double maxNorm, double normType, boolean errorIfNonfinite) {
        if (!(normType > 0)) {
            throw new IllegalArgumentException("clipGradNorm: normType must be positive or infinity, got " + normType);
        }
        if (!(maxNorm >= 0)) {
            throw new IllegalArgumentException("clipGradNorm: maxNorm must be >= 0, got " + maxNorm);
        }
        List<Tensor> grads = gradients(params);
        if (grads.isEmpty()) {
            return 0;
        }
        double total;
        try (var _ = NoGrad.enter()) {
            if (normType == Double.POSITIVE_INFINITY) {
                total = 0;
                for (Tensor g : grads) {
                    if (g.numel() > 0) {
                        total = Math.max(total, g.abs().max().item()); // Math.max keeps NaN
                    }
                }
            } else {
                double sum = 0;
                for (Tensor g : grads) {
                    Tensor a = g.to(DType.FLOAT64).abs();
                    sum += (normType == 1 ? a : normType == 2 ? a.square() : a.pow(normType)).sum().item();
                }
                total = normType == 1 ? sum : normType == 2 ? Math.sqrt(sum) : Math.pow(sum, 1 / normType);
            }
            if (errorIfNonfinite && !Double.isFinite(total)) {
                throw new IllegalStateException("clipGradNorm: the total " + normType + "-norm of the gradients of "
                        + grads.size() + " parameters is " + total + ", so they cannot be clipped;"
                        + " pass errorIfNonfinite=false to scale them anyway");
            }
            // NaN stays NaN, as torch's clamp(max=1) leaves it
            double coef = Math.min(maxNorm / (total + 1e-6), 1.0);
            for (Tensor g : grads) {
                g.mulInPlace(coef);
            }
        }
        return total;
    }

    /** Clamps every gradient element into [-clipValue, clipValue]. */
    public static void clipGradValue(Iterable<Tensor> params, double clipValue) {
        if (!(clipValue >= 0)) {
            throw new IllegalArgumentException("clipGradValue: clipValue must be >= 0, got " + clipValue);
        }
        try (var _ = NoGrad.enter()) {
            for (Tensor g : gradients(params)) {
                g.copyFrom(g.clamp(-clipValue, clipValue));
            }
        }
    }

    private static List<Tensor> gradients(Iterable<Tensor> params) {
        List<Tensor> grads = new ArrayList<>();
        for (Tensor p : params) {
            if (p != null && p.grad() != null) {
                grads.add(p.grad());
            }
        }
        return grads;
    }
}
