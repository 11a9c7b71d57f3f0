package dev.graft.nn;

/** BatchNorm over [N, C] or [N, C, L]. */
public class BatchNorm1d extends BatchNorm {
    public BatchNorm1d(int numFeatures) {
        this(numFeatures, 1e-5, 0.1, true, true, WeightSource.defaults());
    }

    public BatchNorm1d(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats, WeightSource ws) {
        super(numFeatures, eps, momentum, affine, trackRunningStats, ws);
    }

    @Override
    protected boolean acceptsRank(int rank) {
        return rank == 2 || rank == 3;
    }
}
