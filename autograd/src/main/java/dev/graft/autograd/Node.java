package dev.graft.autograd;

import dev.graft.tensor.Tensor;

/**
 * One recorded op: what produced a non-leaf tensor. Holds the inputs, the output and the op's
 * non-tensor arguments until backward has used them, then drops them so the graph's memory can be
 * collected even while the user keeps the output.
 */
public final class Node {
    private final String op;
    private final BackwardRule rule;
    private Tensor[] inputs;
    private int[] inputVersions;
    private Tensor output;
    private Object[] attrs;
    private boolean released;

    Node(String op, BackwardRule rule, Tensor[] inputs, Tensor output, Object[] attrs) {
        this.op = op;
        this.rule = rule;
        this.inputs = inputs;
        this.output = output;
        this.attrs = attrs;
        this.inputVersions = new int[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            inputVersions[i] = inputs[i] == null ? 0 : inputs[i].storage().version();
        }
    }

    /** The op's name as the tensor core reports it (e.g. {@code "matmul"}). */
    public String op() {
        return op;
    }

    public Tensor input(int i) {
        requireLive();
        return inputs[i];
    }

    public int inputCount() {
        requireLive();
        return inputs.length;
    }

    public Tensor output() {
        requireLive();
        return output;
    }

    /** Non-tensor argument {@code i}, as recorded. */
    @SuppressWarnings("unchecked")
    public <T> T attr(int i) {
        requireLive();
        return (T) attrs[i];
    }

    boolean released() {
        return released;
    }

    BackwardRule rule() {
        return rule;
    }

    Tensor[] inputsForEngine() {
        return inputs;
    }

    /** Fails if a saved input was modified in place after this op recorded it. */
    void checkVersions() {
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] != null && inputs[i].storage().version() != inputVersions[i]) {
                throw new IllegalStateException("backward: input " + i + " of '" + op + "' (shape "
                        + java.util.Arrays.toString(inputs[i].shape()) + ") was modified in place after '" + op
                        + "' used it (storage version " + inputs[i].storage().version() + ", expected "
                        + inputVersions[i] + "); clone it before modifying it");
            }
        }
    }

    void release() {
        inputs = null;
        output = null;
        attrs = null;
        released = true;
    }

    private void requireLive() {
        if (released) {
            throw new IllegalStateException("backward: the graph through '" + op
                    + "' has already been freed by an earlier backward; pass retainGraph=true to the first backward to run it twice");
        }
    }

    @Override
    public String toString() {
        return "Node(" + op + (released ? ", released" : "") + ")";
    }
}
