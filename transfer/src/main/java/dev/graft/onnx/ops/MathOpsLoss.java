package dev.graft.onnx.ops;

import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.Tensor;

import java.util.Arrays;

/**
 * The training losses ONNX exports with a model: NegativeLogLikelihoodLoss and
 * SoftmaxCrossEntropyLoss, over [N, C] or [N, C, d1, …] scores and [N] or [N, d1, …] class
 * targets, with optional per-class weights, {@code ignore_index} and reduction none/sum/mean
 * (a weighted mean divides by the sum of the weights the targets picked). Composed from gather,
 * indexSelect and sums, so the loss is differentiable in the scores and the weights.
 */
final class MathOpsLoss {
    private MathOpsLoss() {
    }

    static void register(OpRegistry r) {
        r.register("NegativeLogLikelihoodLoss", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                return MathOps.one(nll(ctx, ctx.input(0)));
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                return reductionReason(node);
            }
        });
        r.register("SoftmaxCrossEntropyLoss", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                Tensor x = ctx.input(0);
                if (!x.dtype().isFloating() || x.dim() < 2) {
                    throw ctx.error("scores must be a floating-point [N, C, ...] tensor");
                }
                Tensor logProb = x.logSoftmax(1);
                Tensor loss = nll(ctx, logProb);
                return ctx.outputCount() > 1 ? new Tensor[] {loss, logProb} : new Tensor[] {loss};
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                return reductionReason(node);
            }
        });
    }

    private static String reductionReason(OnnxNode node) {
        var a = node.attributes().get("reduction");
        String s = a == null ? "mean" : a.s();
        return "none".equals(s) || "sum".equals(s) || "mean".equals(s) ? null
                : "reduction '" + s + "' is not one of none, sum, mean";
    }

    private static boolean[] keepMask(long[] t, long ignore) {
        boolean[] k = new boolean[t.length];
        for (int i = 0; i < t.length; i++) {
            k[i] = t[i] != ignore;
        }
        return k;
    }

    /** The loss of log-probabilities {@code x} [N, C, ...] at the classes the targets name. */
    private static Tensor nll(OpContext ctx, Tensor x) {
        Tensor target = ctx.input(1);
        Tensor weight = ctx.optionalInput(2);
        String reduction = ctx.attrString("reduction", "mean");
        boolean hasIgnore = ctx.hasAttr("ignore_index");
        long ignore = ctx.attrInt("ignore_index", 0);
        int[] xs = x.shape();
        if (!x.dtype().isFloating() || xs.length < 2) {
            throw ctx.error("input must be a floating-point [N, C, ...] tensor");
        }
        int[] ts = target.shape();
        int[] expect = new int[xs.length - 1];
        expect[0] = xs[0];
        System.arraycopy(xs, 2, expect, 1, xs.length - 2);
        if (!Arrays.equals(ts, expect)) {
            throw ctx.error("target of shape " + Arrays.toString(ts) + " does not match input " + Arrays.toString(xs)
                    + " (expected " + Arrays.toString(expect) + ")");
        }
        int c = xs[1];
        if (weight != null && (weight.dim() != 1 || weight.shape()[0] != c)) {
            throw ctx.error("weight must have shape [" + c + "], got " + Arrays.toString(weight.shape()));
        }
        long[] t = ctx.longs(target);
        long[] safe = new long[t.length];
        boolean anyIgnored = false;
        for (int i = 0; i < t.length; i++) {
            if (hasIgnore && t[i] == ignore) {
                anyIgnored = true;
                continue; // class 0 stands in; its weight is zeroed below
            }
            if (t[i] < 0 || t[i] >= c) {
                throw ctx.error("target " + t[i] + " is not a class index in [0, " + c + ")"
                        + (hasIgnore ? " nor the ignore_index " + ignore : ""));
            }
            safe[i] = t[i];
        }
        Tensor idx = Tensor.fromArray(safe, ts);
        Tensor loss = x.gather(1, idx.unsqueeze(1)).squeeze(1).neg();
        Tensor w = weight == null ? null : weight.to(x.dtype()).indexSelect(0, idx.reshape(-1)).reshape(ts);
        if (anyIgnored) {
            // ignored positions read class 0, whose log-probability may be -inf: select, not multiply
            Tensor keep = Tensor.fromArray(keepMask(t, ignore), ts);
            Tensor zero = Tensor.scalar(0, x.dtype());
            loss = Tensor.where(keep, loss, zero);
            w = Tensor.where(keep, w == null ? Tensor.scalar(1, x.dtype()) : w, zero);
        }
        if (weight != null) {
            loss = loss.mul(w);
        }
        return switch (reduction) {
            case "none" -> loss;
            case "sum" -> loss.sum();
            case "mean" -> w != null ? loss.sum().div(w.sum()) : loss.mean();
            default -> throw ctx.error("reduction '" + reduction + "' is not one of none, sum, mean");
        };
    }
}
