package dev.graft.autograd;

import dev.graft.tensor.Storage;
import dev.graft.tensor.Tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Backpropagation: a topological order of the nodes behind the root, then one pass in reverse
 * that calls each node's rule with the summed gradient of its output. Leaves receive their
 * summed gradient at the end (after their hooks), added to any gradient they already hold.
 * Runs with grad mode off, so second-order gradients are not recorded.
 */
final class Engine {
    private Engine() {
    }

    static void backward(Tensor root, Tensor seed, boolean retainGraph) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward: tensor of shape " + Arrays.toString(root.shape())
                    + " does not require grad (no input of the ops that produced it requires grad)");
        }
        Tensor g0;
        if (seed == null) {
            if (root.numel() != 1) {
                throw new IllegalStateException("backward: a gradient can be implied only for a single-element output; this one has shape "
                        + Arrays.toString(root.shape()) + ", so pass the upstream gradient");
            }
            g0 = Tensor.onesLike(root).to(root.device());
        } else {
            if (!Arrays.equals(seed.shape(), root.shape())) {
                throw new IllegalArgumentException("backward: upstream gradient of shape " + Arrays.toString(seed.shape())
                        + " does not match the output shape " + Arrays.toString(root.shape()));
            }
            g0 = seed.detach().to(root.dtype()).to(root.device());
        }
        try (NoGrad ignored = NoGrad.enter()) {
            Map<Tensor, Tensor> leafGrads = new IdentityHashMap<>();
            boolean[] foreign = {false};
            List<Tensor> leafOrder = new ArrayList<>();
            if (root.isLeaf()) {
                addLeaf(leafGrads, leafOrder, root, g0);
            } else {
                run((Node) root.gradFn(), g0, retainGraph, leafGrads, leafOrder, foreign);
            }
            // A leaf's first gradient is stored without a copy when nothing else can see its storage:
            // computed in this backward (not the caller's seed, not a hook's result), dense, and not
            // also given to another leaf (an add passes one tensor to both inputs).
            Map<Storage, Integer> owners = new IdentityHashMap<>();
            for (Tensor g : leafGrads.values()) {
                owners.merge(g.storage(), 1, Integer::sum);
            }
            for (Tensor leaf : leafOrder) {
                Tensor computed = leafGrads.get(leaf);
                Tensor g = Hooks.apply(leaf, computed);
                Tensor prev = leaf.grad();
                if (prev != null) {
                    leaf.setGrad(prev.detach().add(g));
                } else if (!foreign[0] && g == computed && owners.get(g.storage()) == 1 && g.storage() != g0.storage() && g.isContiguous()
                        && g.offset() == 0 && g.storage().length() == g.numel()) {
                    leaf.setGrad(g.detach());
                } else {
                    leaf.setGrad(g.detach().clone());
                }
            }
        }
    }

    private static void run(Node rootNode, Tensor g0, boolean retainGraph, Map<Tensor, Tensor> leafGrads, List<Tensor> leafOrder,
            boolean[] foreign) {
        List<Node> order = topologicalOrder(rootNode);
        Map<Node, Tensor> pending = new IdentityHashMap<>();
        pending.put(rootNode, g0);
        for (Node node : order) {
            Tensor g = pending.remove(node);
            if (g == null) {
                continue;
            }
            if (node.released()) {
                node.output(); // throws the "already freed" error naming the op
            }
            node.checkVersions();
            Tensor out = node.output();
            Tensor hooked = Hooks.apply(out, g);
            if (hooked != g) {
                foreign[0] = true; // a hook's tensor may reach a leaf through pass-through rules
            }
            g = hooked;
            if (Hooks.retainsGrad(out)) {
                Tensor prev = out.grad();
                out.setGrad(prev == null ? g.detach().clone() : prev.add(g));
            }
            Tensor[] inputs = node.inputsForEngine();
            if (node.rule() instanceof Function.UserRule) {
                foreign[0] = true; // a user's backward may return tensors others hold
            }
            Tensor[] grads = node.rule().apply(node, g);
            for (int i = 0; i < inputs.length; i++) {
                Tensor in = inputs[i];
                if (in == null || !in.requiresGrad() || i >= grads.length || grads[i] == null) {
                    continue;
                }
                Tensor gi = conform(node.op(), grads[i], in);
                if (in.isLeaf()) {
                    addLeaf(leafGrads, leafOrder, in, gi);
                } else {
                    pending.merge((Node) in.gradFn(), gi, Tensor::add);
                }
            }
            if (!retainGraph) {
                node.release();
            }
        }
    }

    private static void addLeaf(Map<Tensor, Tensor> leafGrads, List<Tensor> leafOrder, Tensor leaf, Tensor g) {
        Tensor prev = leafGrads.get(leaf);
        if (prev == null) {
            leafOrder.add(leaf);
            leafGrads.put(leaf, g);
        } else {
            leafGrads.put(leaf, prev.add(g));
        }
    }

    /** Nodes reachable from root, each after every node that consumes its output (iterative, so deep graphs do not overflow the stack). */
    private static List<Node> topologicalOrder(Node root) {
        List<Node> post = new ArrayList<>();
        Map<Node, Boolean> visited = new IdentityHashMap<>();
        Deque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        visited.put(root, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Node n = (Node) frame[0];
            int next = (Integer) frame[1];
            Tensor[] inputs = n.released() ? new Tensor[0] : n.inputsForEngine();
            boolean pushed = false;
            while (next < inputs.length) {
                Tensor in = inputs[next++];
                if (in != null && in.requiresGrad() && !in.isLeaf()) {
                    Node child = (Node) in.gradFn();
                    if (visited.put(child, Boolean.TRUE) == null) {
                        frame[1] = next;
                        stack.push(new Object[] {child, 0});
                        pushed = true;
                        break;
                    }
                }
            }
            if (!pushed) {
                frame[1] = next;
                stack.pop();
                post.add(n);
            }
        }
        List<Node> order = new ArrayList<>(post.size());
        for (int i = post.size() - 1; i >= 0; i--) {
            order.add(post.get(i));
        }
        return order;
    }

    /** Sums a gradient down to the input's (pre-broadcast) shape and converts it to the input's dtype. */
    static Tensor conform(String op, Tensor g, Tensor input) {
        int[] target = input.shape();
        Tensor r = g;
        if (!Arrays.equals(g.shape(), target)) {
            r = sumToShape(op, g, target);
        }
        if (r.dtype() != input.dtype()) {
            r = r.to(input.dtype());
        }
        if (!r.device().equals(input.device())) {
            r = r.to(input.device()); // toDevice: the gradient goes back where the input lives
        }
        return r;
    }

    static Tensor sumToShape(String op, Tensor g, int[] target) {
        int[] gs = g.shape();
        int lead = gs.length - target.length;
        if (lead < 0) {
            throw new IllegalStateException("autograd: rule for '" + op + "' produced a gradient of shape " + Arrays.toString(gs)
                    + " for an input of shape " + Arrays.toString(target));
        }
        List<Integer> axes = new ArrayList<>();
        for (int i = 0; i < gs.length; i++) {
            if (i < lead) {
                axes.add(i);
            } else if (target[i - lead] == 1 && gs[i] != 1) {
                axes.add(i);
            } else if (target[i - lead] != gs[i]) {
                throw new IllegalStateException("autograd: rule for '" + op + "' produced a gradient of shape " + Arrays.toString(gs)
                        + " that does not broadcast to the input shape " + Arrays.toString(target));
            }
        }
        Tensor r = axes.isEmpty() ? g : g.sum(axes.stream().mapToInt(Integer::intValue).toArray(), true);
        return r.reshape(target);
    }
}
