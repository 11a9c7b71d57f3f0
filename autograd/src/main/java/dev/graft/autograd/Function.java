package dev.graft.autograd;

import dev.graft.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A user-defined differentiable op with its own forward and backward, like
 * {@code torch.autograd.Function}. Forward runs with grad mode off on detached inputs; anything
 * backward needs goes into the {@link Context}. Example, gradient reversal:
 *
 * <pre>{@code
 * Function reverse = new Function("gradReverse") {
 *     protected Tensor forward(Context ctx, Tensor... x) { return x[0]; }
 *     protected Tensor[] backward(Context ctx, Tensor g) { return new Tensor[] {g.neg()}; }
 * };
 * Tensor y = reverse.apply(features);
 * }</pre>
 */
public abstract class Function {
    private final String name;

    protected Function(String name) {
        this.name = name;
    }

    /** State shared between forward and backward of one call. */
    /**
     * The rule of a user's function: its gradients may be any tensors (saved ones, the caller's), so
     * the engine copies whatever reaches a leaf from it.
     */
    record UserRule(BackwardRule body) implements BackwardRule {
        @Override
        public Tensor[] apply(Node node, Tensor g) {
            return body.apply(node, g);
        }
    }

    public static final class Context {
        private final List<Tensor> saved = new ArrayList<>();
        private final List<Object> values = new ArrayList<>();

        public void saveForBackward(Tensor... tensors) {
            for (Tensor t : tensors) {
                saved.add(t == null ? null : t.detach());
            }
        }

        public List<Tensor> savedTensors() {
            return saved;
        }

        public void put(Object value) {
            values.add(value);
        }

        @SuppressWarnings("unchecked")
        public <T> T get(int i) {
            return (T) values.get(i);
        }
    }

    protected abstract Tensor forward(Context ctx, Tensor... inputs);

    /** One gradient per input of forward (null where none is needed); shapes may be broadcast. */
    protected abstract Tensor[] backward(Context ctx, Tensor gradOutput);

    public final Tensor apply(Tensor... inputs) {
        Context ctx = new Context();
        Tensor[] detached = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            detached[i] = inputs[i] == null ? null : inputs[i].detach();
        }
        Tensor out;
        try (NoGrad ignored = NoGrad.enter()) {
            out = forward(ctx, detached);
        }
        // a fresh tensor object, so attaching a node never touches an input that forward returned as is
        out = out.detach();
        boolean any = false;
        for (Tensor t : inputs) {
            any |= t != null && t.requiresGrad();
        }
        if (GradMode.isEnabled() && any && out.dtype().isFloating()) {
            BackwardRule rule = new UserRule((node, g) -> {
                Tensor[] grads = backward(ctx, g);
                if (grads.length != inputs.length) {
                    throw new IllegalStateException(name + ".backward returned " + grads.length + " gradients for "
                            + inputs.length + " inputs");
                }
                return grads;
            });
            out.setGradFn(new Node(name, rule, inputs.clone(), out, new Object[0]));
            out.requiresGrad(true);
        }
        return out;
    }
}
