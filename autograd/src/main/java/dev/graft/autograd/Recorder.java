package dev.graft.autograd;

import dev.graft.tensor.Tensor;
import dev.graft.tensor.spi.GradRecorder;

/**
 * The tensor core's view of autograd (registered with {@link java.util.ServiceLoader}). Records a
 * {@link Node} on an op's output when grad mode is on, some input requires grad and the output is
 * floating; forbids in-place writes that would corrupt a graph.
 */
public final class Recorder implements GradRecorder {
    @Override
    public void record(String op, Tensor output, Tensor[] inputs, Object[] attrs) {
        if (!GradMode.isEnabled() || !output.dtype().isFloating()) {
            return;
        }
        boolean any = false;
        for (Tensor t : inputs) {
            if (t != null && t.requiresGrad()) {
                any = true;
                break;
            }
        }
        if (!any) {
            return;
        }
        for (Tensor t : inputs) {
            if (t == output) {
                throw new IllegalStateException("autograd: op '" + op + "' returned one of its inputs; it cannot be recorded");
            }
        }
        BackwardRule rule = Rules.get(op);
        if (rule == null) {
            throw new UnsupportedOperationException("autograd: op '" + op + "' is not differentiable (no backward rule);"
                    + " run it on detached inputs or inside NoGrad.enter()");
        }
        output.setGradFn(new Node(op, rule, inputs.clone(), output, attrs));
        output.requiresGrad(true);
    }

    @Override
    public void checkInPlace(String op, Tensor target) {
        if (GradMode.isEnabled() && target.requiresGrad()) {
            throw new IllegalStateException(op + ": in-place modification of a tensor that requires grad (shape "
                    + java.util.Arrays.toString(target.shape()) + (target.isLeaf() ? ", a leaf" : ", produced by '"
                    + ((Node) target.gradFn()).op() + "'") + "); do it inside NoGrad.enter() (as optimizers do) or on a clone");
        }
    }

    @Override
    public void backward(Tensor root, Tensor seed) {
        Engine.backward(root, seed, false);
    }
}
