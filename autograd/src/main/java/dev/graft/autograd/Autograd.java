package dev.graft.autograd;

import dev.graft.tensor.Tensor;

import java.util.function.UnaryOperator;

/** Entry points beyond {@link Tensor#backward()}: retained graphs, hooks, retain-grad, zeroing. */
public final class Autograd {
    private Autograd() {
    }

    /** Backpropagates from {@code root}; with retainGraph the graph can be walked again. */
    public static void backward(Tensor root, Tensor upstream, boolean retainGraph) {
        Engine.backward(root, upstream, retainGraph);
    }

    /** A registered hook; {@link #remove()} unregisters it. */
    @FunctionalInterface
    public interface HookHandle {
        void remove();
    }

    /**
     * Calls {@code hook} with the gradient of {@code t} whenever one is computed; a non-null return
     * value replaces the gradient (same shape). For leaves the hook sees the gradient summed over
     * all paths of one backward pass, before it is added to {@code grad()}.
     */
    public static HookHandle registerHook(Tensor t, UnaryOperator<Tensor> hook) {
        if (!t.requiresGrad()) {
            throw new IllegalStateException("registerHook: tensor of shape " + java.util.Arrays.toString(t.shape())
                    + " does not require grad, so no gradient will reach the hook");
        }
        return Hooks.register(t, hook);
    }

    /** Keeps the gradient of a non-leaf tensor in its {@code grad()} after backward (leaves always keep theirs). */
    public static Tensor retainGrad(Tensor t) {
        if (!t.requiresGrad()) {
            throw new IllegalStateException("retainGrad: tensor does not require grad");
        }
        if (!t.isLeaf()) {
            Hooks.retain(t);
        }
        return t;
    }

    /** Clears the gradients of the given tensors (sets them to null, like PyTorch's set_to_none=True). */
    public static void zeroGrad(Iterable<Tensor> tensors) {
        for (Tensor t : tensors) {
            t.setGrad(null);
        }
    }

    public static void zeroGrad(Tensor... tensors) {
        zeroGrad(java.util.Arrays.asList(tensors));
    }
}
