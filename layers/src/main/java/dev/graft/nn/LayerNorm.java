package dev.graft.nn;

import dev.graft.nn.init.Init;
import dev.graft.tensor.Tensor;

import java.util.Arrays;

/** Layer normalisation over the trailing {@code normalizedShape} dims, with optional elementwise affine (weight, bias). */
public class LayerNorm extends Module {
    private final int[] normalizedShape;
    private final double eps;

    public LayerNorm(int size) {
        this(new int[] {size}, 1e-5, true, true, WeightSource.defaults());
    }

    public LayerNorm(int[] normalizedShape, double eps, boolean elementwiseAffine, boolean bias, WeightSource ws) {
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        if (elementwiseAffine) {
            registerParameter("weight", ws.get("weight", normalizedShape, Init.ones()));
            registerParameter("bias", bias ? ws.get("bias", normalizedShape, Init.zeros()) : null);
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.layerNorm(x, normalizedShape, parameter("weight"), parameter("bias"), eps);
    }

    @Override
    protected String extraRepr() {
        return Arrays.toString(normalizedShape) + ", eps=" + eps;
    }
}
