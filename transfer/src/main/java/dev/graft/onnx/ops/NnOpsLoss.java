package dev.graft.onnx.ops;

import dev.graft.onnx.OnnxAttribute;
import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.Tensor;

import java.util.Arrays;

/**
 * NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (opsets 12/13), the training losses of
 * exported training graphs. The picked log-probabilities are a gather along the class axis and the
 * class weights an indexSelect, so gradients reach the scores and the weights; targets equal to
 * ignore_index contribute neither loss nor weight, and 'mean' divides by the summed weights of the
 * counted targets, as the ONNX reference does.
 */
final class NnOpsLoss {
    private NnOpsLoss() {
    }

    static void register(OpRegistry r) {
        r.register("NegativeLogLikelihoodLoss", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                return new Tensor[] {nll(ctx, ctx.input(0))};
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                return reductionReason(node);
            }
        });
        r.register("SoftmaxCrossEntropyLoss", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                Tensor scores = ctx.input(0);
                if (scores.dim() < 2 || !scores.dtype().isFloating()) {
                    throw ctx.error("scores must be floating [N, C, ...]");
                }
                Tensor logProb = scores.logSoftmax(1);
                return new Tensor[] {nll(ctx, logProb), logProb};
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                return reductionReason(node);
            }
        });
    }

    private static String reductionReason(OnnxNode node) {
        OnnxAttribute a = node.attributes().get("reduction");
        if (a != null && a.s() != null && !Arrays.asList("none", "sum", "mean").contains(a.s())) {
            return "reduction '" + a.s() + "' is not none, sum or mean";
        }
        return null;
    }

    /** -logp[n, target, d...] * weight[target], reduced; logp is [N, C, d...], target [N, d...]. */
    static Tensor nll(OpContext ctx, Tensor logp) {
        Tensor target = ctx.input(1);
        Tensor weight = ctx.optionalInput(2);
        if (logp.dim() < 2 || !logp.dtype().isFloating()) {
            throw ctx.error("input must be floating [N, C, ...]");
        }
        int[] ls = logp.shape();
        int[] expected = new int[ls.length - 1];
        expected[0] = ls[0];
        System.arraycopy(ls, 2, expected, 1, ls.length - 2);
        if (!Arrays.equals(target.shape(), expected)) {
            throw ctx.error("target must have shape " + Arrays.toString(expected));
        }
        int c = ls[1];
        if (weight != null && (weight.dim() != 1 || weight.size(0) != c)) {
            throw ctx.error("weight must be [" + c + "]");
        }
        String reduction = ctx.attrString("reduction", "mean");
        boolean hasIgnore = ctx.hasAttr("ignore_index");
        long ignore = ctx.attrInt("ignore_index", 0);
        long[] tv = ctx.longs(target);
        long[] safe = new long[tv.length];
        boolean[] counted = new boolean[tv.length];
        boolean anyIgnored = false;
        for (int k = 0; k < tv.length; k++) {
            counted[k] = !(hasIgnore && tv[k] == ignore);
            anyIgnored |= !counted[k];
            if (counted[k] && (tv[k] < 0 || tv[k] >= c)) {
                throw ctx.error("target " + tv[k] + " is outside the " + c + " classes (ignore_index " + (hasIgnore ? ignore : "unset") + ")");
            }
            safe[k] = counted[k] ? tv[k] : 0;
        }
        int n = ls[0];
        int d = tv.length / Math.max(n, 1);
        Tensor picked = logp.reshape(n, c, d).gather(1, Tensor.fromArray(safe, n, 1, d)).reshape(target.shape()).neg();
        Tensor mask = null;
        if (anyIgnored) {
            Tensor countedT = Tensor.fromArray(counted, target.shape());
            picked = picked.maskedFill(countedT.logicalNot(), 0); // no 0 * inf from an ignored position
            mask = countedT.to(logp.dtype());
        }
        Tensor w = null;
        if (weight != null) {
            w = weight.to(logp.dtype()).indexSelect(0, Tensor.fromArray(safe, safe.length)).reshape(target.shape());
            if (mask != null) {
                w = w.mul(mask);
            }
        } else if (mask != null) {
            w = mask;
        }
        Tensor loss = w == null ? picked : picked.mul(w);
        return switch (reduction) {
            case "none" -> loss;
            case "sum" -> loss.sum();
            default -> w == null ? loss.mean() : loss.sum().div(w.sum());
        };
    }
}
