package dev.graft.nn;

import dev.graft.autograd.NoGrad;
import dev.graft.nn.init.Init;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.TensorShapeException;

import java.util.Arrays;

/**
 * Batch normalisation over channel dimension 1, PyTorch semantics: in training, normalise with the
 * batch's biased variance and update running_mean/running_var (unbiased) with {@code momentum}
 * (or a cumulative average when momentum is NaN); in eval, use the running statistics. Buffers
 * {@code running_mean}, {@code running_var}, {@code num_batches_tracked} as in PyTorch checkpoints.
 */
public abstract class BatchNorm extends Module {
    private final int numFeatures;
    private final double eps;
    private final double momentum;
    private final boolean trackRunningStats;

    protected BatchNorm(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats, WeightSource ws) {
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.trackRunningStats = trackRunningStats;
        if (affine) {
            registerParameter("weight", ws.get("weight", new int[] {numFeatures}, Init.ones()));
            registerParameter("bias", ws.get("bias", new int[] {numFeatures}, Init.zeros()));
        }
        if (trackRunningStats) {
            registerBuffer("running_mean", ws.contains("running_mean") ? ws.get("running_mean", new int[] {numFeatures}, Init.zeros())
                    : Tensor.zeros(numFeatures), true);
            registerBuffer("running_var", ws.contains("running_var") ? ws.get("running_var", new int[] {numFeatures}, Init.ones())
                    : Tensor.ones(numFeatures), true);
            registerBuffer("num_batches_tracked", Tensor.zeros(DType.INT64), true);
        }
    }

    /** The input ranks this variant accepts. */
    protected abstract boolean acceptsRank(int rank);

    @Override
    public Tensor forward(Tensor x) {
        if (!acceptsRank(x.dim()) || x.size(1) != numFeatures) {
            throw new TensorShapeException(getClass().getSimpleName() + ": expected input with " + numFeatures
                    + " channels in dimension 1, got " + Arrays.toString(x.shape()));
        }
        int[] axes = new int[x.dim() - 1];
        axes[0] = 0;
        for (int i = 2; i < x.dim(); i++) {
            axes[i - 1] = i;
        }
        int[] cshape = new int[x.dim()];
        Arrays.fill(cshape, 1);
        cshape[1] = numFeatures;
        boolean useBatch = isTraining() || !trackRunningStats;
        Tensor mean;
        Tensor var;
        if (useBatch) {
            int n = x.numel() / numFeatures;
            if (isTraining() && n <= 1) {
                throw new TensorShapeException(getClass().getSimpleName() + ": training needs more than one value per channel, got input "
                        + Arrays.toString(x.shape()));
            }
            mean = x.mean(axes, true);
            var = x.sub(mean).square().mean(axes, true);
            if (isTraining() && trackRunningStats) {
                try (var g = NoGrad.enter()) {
                    Tensor nbt = buffer("num_batches_tracked");
                    nbt.fill(nbt.item() + 1);
                    double m = Double.isNaN(momentum) ? 1.0 / nbt.item() : momentum;
                    Tensor unbiased = var.detach().mul((double) n / (n - 1)).reshape(numFeatures);
                    Tensor rm = buffer("running_mean");
                    Tensor rv = buffer("running_var");
                    rm.copyFrom(rm.mul(1 - m).add(mean.detach().reshape(numFeatures).mul(m)));
                    rv.copyFrom(rv.mul(1 - m).add(unbiased.mul(m)));
                }
            }
        } else {
            mean = buffer("running_mean").reshape(cshape);
            var = buffer("running_var").reshape(cshape);
        }
        Tensor y = x.sub(mean).mul(var.add(eps).rsqrt());
        Tensor w = parameter("weight");
        Tensor b = parameter("bias");
        if (w != null) {
            y = y.mul(w.reshape(cshape)).add(b.reshape(cshape));
        }
        return y;
    }

    public int numFeatures() {
        return numFeatures;
    }

    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + eps + ", momentum=" + momentum + ", affine=" + (parameter("weight") != null)
                + ", track_running_stats=" + trackRunningStats;
    }
}
