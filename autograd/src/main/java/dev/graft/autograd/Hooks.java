package dev.graft.autograd;

import dev.graft.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.UnaryOperator;

/**
 * Per-tensor gradient hooks and retain-grad marks, kept beside the tensors (weakly, by identity)
 * so the tensor core needs no slot for them.
 */
final class Hooks {
    private static final Map<Tensor, List<UnaryOperator<Tensor>>> HOOKS = Collections.synchronizedMap(new WeakHashMap<>());
    private static final Set<Tensor> RETAIN = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

    private Hooks() {
    }

    static Autograd.HookHandle register(Tensor t, UnaryOperator<Tensor> hook) {
        HOOKS.computeIfAbsent(t, k -> Collections.synchronizedList(new ArrayList<>())).add(hook);
        return () -> {
            List<UnaryOperator<Tensor>> list = HOOKS.get(t);
            if (list != null) {
                list.remove(hook);
            }
        };
    }

    static Tensor apply(Tensor t, Tensor g) {
        List<UnaryOperator<Tensor>> list = HOOKS.get(t);
        if (list == null) {
            return g;
        }
        Tensor r = g;
        for (UnaryOperator<Tensor> h : List.copyOf(list)) {
            Tensor next = h.apply(r);
            if (next != null) {
                if (!java.util.Arrays.equals(next.shape(), r.shape())) {
                    throw new IllegalStateException("gradient hook changed the gradient's shape from "
                            + java.util.Arrays.toString(r.shape()) + " to " + java.util.Arrays.toString(next.shape()));
                }
                r = next;
            }
        }
        return r;
    }

    static void retain(Tensor t) {
        RETAIN.add(t);
    }

    static boolean retainsGrad(Tensor t) {
        return RETAIN.contains(t);
    }
}
