package dev.graft.nn;

import dev.graft.nn.init.Init;
import dev.graft.tensor.Tensor;

/** y = x W^T + b with W [out, in] (PyTorch's layout and default initialisation). */
public class Linear extends Module {
    private final int inFeatures;
    private final int outFeatures;

    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true, WeightSource.defaults());
    }

    public Linear(int inFeatures, int outFeatures, boolean bias, WeightSource ws) {
        if (inFeatures < 0 || outFeatures < 0) {
            throw new IllegalArgumentException("Linear: feature counts must be >= 0, got in=" + inFeatures + ", out=" + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        registerParameter("weight", ws.get("weight", new int[] {outFeatures, inFeatures}, Init.torchDefaultWeight()));
        registerParameter("bias", bias ? ws.get("bias", new int[] {outFeatures}, Init.torchDefaultBias(inFeatures)) : null);
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.linear(x, parameter("weight"), parameter("bias"));
    }

    public Tensor weight() {
        return parameter("weight");
    }

    public Tensor bias() {
        return parameter("bias");
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias() != null);
    }
}
