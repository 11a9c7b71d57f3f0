package dev.graft.nn;

import dev.graft.nn.init.Init;
import dev.graft.tensor.Tensor;

/** Group normalisation: channels split into groups, each normalised over its channels and positions. */
public class GroupNorm extends Module {
    private final int groups;
    private final double eps;

    public GroupNorm(int groups, int channels) {
        this(groups, channels, 1e-5, true, WeightSource.defaults());
    }

    public GroupNorm(int groups, int channels, double eps, boolean affine, WeightSource ws) {
        if (groups <= 0 || channels % groups != 0) {
            throw new IllegalArgumentException("GroupNorm: " + channels + " channels cannot be split into " + groups + " groups");
        }
        this.groups = groups;
        this.eps = eps;
        if (affine) {
            registerParameter("weight", ws.get("weight", new int[] {channels}, Init.ones()));
            registerParameter("bias", ws.get("bias", new int[] {channels}, Init.zeros()));
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.groupNorm(x, groups, parameter("weight"), parameter("bias"), eps);
    }
}
