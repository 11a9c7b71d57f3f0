package dev.graft.onnx.ops;

import dev.graft.tensor.Tensor;

/**
 * The optimizer steps of the {@code ai.onnx.preview.training} domain: Adagrad, Momentum (standard
 * and Nesterov) and Adam. Each takes a learning rate R and step count T, then n tensors X, their
 * gradients G and one or two state tensors per X, and returns the updated X and states in the
 * same grouped order. Computed in each X's dtype.
 */
final class MathOpsTraining {
    private MathOpsTraining() {
    }

    private static final String DOMAIN = "ai.onnx.preview.training";

    static void register(OpRegistry r) {
        r.register(DOMAIN, "Adagrad", ctx -> {
            int n = groups(ctx, 3);
            double lr = scalar(ctx, 0, "R");
            double t = scalar(ctx, 1, "T");
            double decay = ctx.attrFloat("decay_factor", 0f);
            double eps = ctx.attrFloat("epsilon", 1e-6f);
            double norm = ctx.attrFloat("norm_coefficient", 0f);
            double rate = lr / (1 + t * decay);
            Tensor[] out = new Tensor[2 * n];
            for (int i = 0; i < n; i++) {
                Tensor x = ctx.input(2 + i);
                Tensor g = regularized(x, ctx.input(2 + n + i), norm);
                Tensor h = ctx.input(2 + 2 * n + i).add(g.mul(g));
                out[i] = x.sub(g.div(h.sqrt().add(eps)).mul(rate));
                out[n + i] = h;
            }
            return out;
        });
        r.register(DOMAIN, "Momentum", ctx -> {
            int n = groups(ctx, 3);
            double lr = scalar(ctx, 0, "R");
            double t = scalar(ctx, 1, "T");
            double alpha = ctx.attrFloat("alpha", 0f);
            double beta = ctx.attrFloat("beta", 0f);
            double norm = ctx.attrFloat("norm_coefficient", 0f);
            String mode = ctx.attrString("mode", "standard");
            if (!mode.equals("standard") && !mode.equals("nesterov")) {
                throw ctx.error("mode must be 'standard' or 'nesterov', got '" + mode + "'");
            }
            // the first step (T = 0) takes the whole gradient
            double b = t > 0 ? beta : 1;
            Tensor[] out = new Tensor[2 * n];
            for (int i = 0; i < n; i++) {
                Tensor x = ctx.input(2 + i);
                Tensor g = regularized(x, ctx.input(2 + n + i), norm);
                Tensor v = ctx.input(2 + 2 * n + i).mul(alpha).add(g.mul(b));
                Tensor step = mode.equals("standard") ? v : g.add(v.mul(alpha));
                out[i] = x.sub(step.mul(lr));
                out[n + i] = v;
            }
            return out;
        });
        r.register(DOMAIN, "Adam", ctx -> {
            int n = groups(ctx, 4);
            double lr = scalar(ctx, 0, "R");
            double t = scalar(ctx, 1, "T");
            double alpha = ctx.attrFloat("alpha", 0.9f);
            double beta = ctx.attrFloat("beta", 0.999f);
            double eps = ctx.attrFloat("epsilon", 1e-6f);
            double norm = ctx.attrFloat("norm_coefficient", 0f);
            double post = ctx.attrFloat("norm_coefficient_post", 0f);
            double rate = t > 0 ? lr * Math.sqrt(1 - Math.pow(beta, t)) / (1 - Math.pow(alpha, t)) : lr;
            Tensor[] out = new Tensor[3 * n];
            for (int i = 0; i < n; i++) {
                Tensor x = ctx.input(2 + i);
                Tensor g = regularized(x, ctx.input(2 + n + i), norm);
                Tensor v = ctx.input(2 + 2 * n + i).mul(alpha).add(g.mul(1 - alpha));
                Tensor h = ctx.input(2 + 3 * n + i).mul(beta).add(g.mul(g).mul(1 - beta));
                Tensor xNew = x.sub(v.div(h.sqrt().add(eps)).mul(rate));
                out[i] = post == 0 ? xNew : xNew.mul(1 - post);
                out[n + i] = v;
                out[2 * n + i] = h;
            }
            return out;
        });
    }

    /** The number of optimized tensors: inputs are R, T and {@code perX} tensors per X. */
    private static int groups(OpContext ctx, int perX) {
        int rest = ctx.inputCount() - 2;
        if (rest < perX || rest % perX != 0) {
            throw ctx.error("expects R, T and " + perX + " tensors per optimized input (X, G, state...), got "
                    + ctx.inputCount() + " inputs");
        }
        return rest / perX;
    }

    private static Tensor regularized(Tensor x, Tensor g, double norm) {
        return norm == 0 ? g : g.add(x.mul(norm));
    }

    private static double scalar(OpContext ctx, int i, String what) {
        Tensor t = ctx.input(i);
        if (t.numel() != 1) {
            throw ctx.error(what + " must be a scalar");
        }
        return t.detach().contiguous().toDoubleArray()[0];
    }
}
