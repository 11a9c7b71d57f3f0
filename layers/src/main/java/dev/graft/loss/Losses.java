package dev.graft.loss;

import dev.graft.tensor.DType;
import dev.graft.tensor.Device;
import dev.graft.tensor.Shape;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.TensorShapeException;
import dev.graft.tensor.TensorTypeException;

import java.util.Arrays;

/**
 * Loss functions with PyTorch's names and semantics ({@code torch.nn.functional}); each returns a
 * tensor that autograd can differentiate with respect to the input (and to the weights, where they
 * require grad). Arguments left out take PyTorch's defaults: reduction {@link Reduction#MEAN},
 * {@code ignoreIndex} {@value #DEFAULT_IGNORE_INDEX}, no class weights, no label smoothing.
 *
 * <p>Class dimension: for an input of rank 1 it is dimension 0 (one unbatched sample, 0-d target);
 * otherwise dimension 1, so {@code [N, C]} and {@code [N, C, d1, …]} inputs take targets
 * {@code [N]} and {@code [N, d1, …]}. Element-wise losses (MSE, L1, smooth L1, Huber, KL, BCE)
 * require input and target of the same shape, where PyTorch would broadcast with a warning: a
 * {@code [N, 1]} prediction against an {@code [N]} target is almost always a bug.
 */
public final class Losses {
    /** PyTorch's default {@code ignore_index}: targets equal to it contribute nothing. */
    public static final int DEFAULT_IGNORE_INDEX = -100;

    // added to each squared magnitude in cosineEmbedding, as torch does (EPSILON in Loss.cpp)
    private static final double COSINE_EPS = 1e-12;

    private Losses() {
    }

    // ------------------------------------------------------------------ cross-entropy and NLL

    /** Cross-entropy of logits against class indices (or probabilities), mean over the batch. */
    public static Tensor crossEntropy(Tensor input, Tensor target) {
        return crossEntropy(input, target, null, DEFAULT_IGNORE_INDEX, Reduction.MEAN, 0);
    }

    public static Tensor crossEntropy(Tensor input, Tensor target, Reduction reduction) {
        return crossEntropy(input, target, null, DEFAULT_IGNORE_INDEX, reduction, 0);
    }

    /**
     * {@code F.cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)}.
     *
     * <p>Integer targets are class indices, of the input's shape without its class dimension;
     * targets equal to {@code ignoreIndex} contribute 0 and are not counted. With class weights,
     * the mean divides by the summed weights of the counted targets. Label smoothing {@code s}
     * mixes {@code (1 - s)} of the NLL with {@code s / C} of the (weighted) sum of {@code -log p}
     * over classes, reduced the same way, as torch does.
     *
     * <p>Floating targets are class probabilities of the input's shape; the mean divides by the
     * number of samples ({@code numel / C}) whatever the weights; smoothing replaces the target by
     * {@code target * (1 - s) + s / C}; {@code ignoreIndex} must then be negative.
     *
     * @param weight        class weights {@code [C]}, or null
     * @param labelSmoothing in [0, 1]
     */
    public static Tensor crossEntropy(Tensor input, Tensor target, Tensor weight, int ignoreIndex, Reduction reduction,
                                      double labelSmoothing) {
        String op = "crossEntropy";
        requireFloating(op, "input", input);
        requireReduction(op, reduction);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new IllegalArgumentException(op + ": labelSmoothing must be in [0, 1], got " + labelSmoothing);
        }
        int classDim = classDim(op, input);
        int c = input.size(classDim);
        Tensor w = classWeights(op, weight, input, classDim);
        Tensor logp = input.logSoftmax(classDim);
        if (target.dtype().isFloating()) {
            return probabilityTargets(op, logp, target, w, classDim, ignoreIndex, reduction, labelSmoothing);
        }
        ClassTargets t = ClassTargets.of(op, input, target, classDim, ignoreIndex);
        Tensor nll = nllOf(logp, t, w, classDim, reduction);
        if (labelSmoothing == 0) {
            return nll;
        }
        Tensor perClass = w == null ? logp : logp.mul(broadcastWeights(w, input.dim(), classDim));
        Tensor smooth = perClass.sum(new int[] {classDim}, false).neg();
        smooth = Tensor.where(t.keep, smooth, Tensor.zerosLike(smooth));
        Tensor reduced = switch (reduction) {
            case NONE -> smooth;
            case SUM -> smooth.sum();
            default -> mean(smooth, t, w);
        };
        return nll.mul(1 - labelSmoothing).add(reduced.mul(labelSmoothing / c));
    }

    /** Negative log-likelihood of log-probabilities against class indices, mean over the counted targets. */
    public static Tensor nll(Tensor input, Tensor target) {
        return nll(input, target, null, DEFAULT_IGNORE_INDEX, Reduction.MEAN);
    }

    public static Tensor nll(Tensor input, Tensor target, Reduction reduction) {
        return nll(input, target, null, DEFAULT_IGNORE_INDEX, reduction);
    }

    /**
     * {@code F.nll_loss(input, target, weight, ignore_index, reduction)}: {@code -weight[t] * input[t]}
     * per target; the weighted mean divides by the summed weights of the counted targets (NaN when
     * every target is ignored, as in torch).
     */
    public static Tensor nll(Tensor input, Tensor target, Tensor weight, int ignoreIndex, Reduction reduction) {
        String op = "nll";
        requireFloating(op, "input", input);
        requireReduction(op, reduction);
        int classDim = classDim(op, input);
        if (target.dtype().isFloating()) {
            throw new TensorTypeException(op + ": target must hold class indices (int64 or int32), got "
                    + target.dtype() + " (target shape " + Shape.str(target.shape()) + ")");
        }
        Tensor w = classWeights(op, weight, input, classDim);
        ClassTargets t = ClassTargets.of(op, input, target, classDim, ignoreIndex);
        return nllOf(input, t, w, classDim, reduction);
    }

    private static Tensor nllOf(Tensor logp, ClassTargets t, Tensor w, int classDim, Reduction reduction) {
        Tensor picked = logp.gather(classDim, t.safe.unsqueeze(classDim)).squeeze(classDim);
        Tensor loss = picked.neg();
        if (w != null) {
            loss = loss.mul(t.weightsOf(w));
        }
        loss = Tensor.where(t.keep, loss, Tensor.zerosLike(loss));
        return switch (reduction) {
            case NONE -> loss;
            case SUM -> loss.sum();
            default -> mean(loss, t, w);
        };
    }

    /** The sum divided by the number of counted targets, or by the sum of their class weights. */
    private static Tensor mean(Tensor loss, ClassTargets t, Tensor w) {
        if (w == null) {
            return loss.sum().div((double) t.kept);
        }
        Tensor wt = t.weightsOf(w);
        return loss.sum().div(Tensor.where(t.keep, wt, Tensor.zerosLike(wt)).sum());
    }

    private static Tensor probabilityTargets(String op, Tensor logp, Tensor target, Tensor w, int classDim,
                                             int ignoreIndex, Reduction reduction, double labelSmoothing) {
        if (!Arrays.equals(target.shape(), logp.shape())) {
            throw new TensorShapeException(op + ": floating target (class probabilities) of shape "
                    + Shape.str(target.shape()) + " must have the input's shape " + Shape.str(logp.shape())
                    + "; class-index targets must be int64 or int32");
        }
        if (ignoreIndex >= 0) {
            throw new IllegalArgumentException(op + ": ignoreIndex " + ignoreIndex
                    + " is not supported with probability targets (floating target of shape " + Shape.str(target.shape()) + ")");
        }
        int c = logp.size(classDim);
        Tensor p = target.to(logp.dtype());
        if (labelSmoothing > 0) {
            p = p.mul(1 - labelSmoothing).add(labelSmoothing / c);
        }
        Tensor prod = logp.mul(p);
        if (w != null) {
            prod = prod.mul(broadcastWeights(w, logp.dim(), classDim));
        }
        return switch (reduction) {
            case NONE -> prod.sum(new int[] {classDim}, false).neg();
            case SUM -> prod.sum().neg();
            default -> prod.sum().neg().div((double) (logp.numel() / Math.max(c, 1)));
        };
    }

    private static int classDim(String op, Tensor input) {
        if (input.dim() == 0) {
            throw new TensorShapeException(op + ": input must have a class dimension, got a 0-d tensor");
        }
        return input.dim() == 1 ? 0 : 1;
    }

    private static Tensor classWeights(String op, Tensor weight, Tensor input, int classDim) {
        if (weight == null) {
            return null;
        }
        int c = input.size(classDim);
        if (weight.dim() != 1 || weight.size(0) != c) {
            throw new TensorShapeException(op + ": class weights must have shape [" + c + "] for " + c
                    + " classes, got " + Shape.str(weight.shape()) + " (input shape " + Shape.str(input.shape()) + ")");
        }
        requireFloating(op, "weight", weight);
        return weight.to(input.dtype());
    }

    /** Weights [C] shaped to broadcast along the class dimension of a rank-{@code rank} tensor. */
    private static Tensor broadcastWeights(Tensor w, int rank, int classDim) {
        int[] s = new int[rank];
        Arrays.fill(s, 1);
        s[classDim] = w.size(0);
        return w.reshape(s);
    }

    /** Validated class-index targets: indices with ignored ones replaced by 0, the mask of counted ones. */
    private static final class ClassTargets {
        final Tensor safe;
        final Tensor keep;
        final int kept;
        final int[] shape;

        private ClassTargets(Tensor safe, Tensor keep, int kept, int[] shape) {
            this.safe = safe;
            this.keep = keep;
            this.kept = kept;
            this.shape = shape;
        }

        static ClassTargets of(String op, Tensor input, Tensor target, int classDim, int ignoreIndex) {
            if (target.dtype() != DType.INT64 && target.dtype() != DType.INT32) {
                throw new TensorTypeException(op + ": target must hold class indices (int64 or int32) or, for"
                        + " crossEntropy, probabilities (float), got " + target.dtype() + " (target shape "
                        + Shape.str(target.shape()) + ")");
            }
            int[] in = input.shape();
            int[] expected = new int[in.length - 1];
            for (int i = 0, j = 0; i < in.length; i++) {
                if (i != classDim) {
                    expected[j++] = in[i];
                }
            }
            int[] ts = target.shape();
            if (!Arrays.equals(ts, expected)) {
                throw new TensorShapeException(op + ": target shape " + Shape.str(ts) + " does not match input shape "
                        + Shape.str(in) + "; expected " + Shape.str(expected) + " (the input shape without class dimension "
                        + classDim + ")");
            }
            int c = in[classDim];
            long[] v = target.toLongArray();
            long[] safe = new long[v.length];
            boolean[] keep = new boolean[v.length];
            int kept = 0;
            for (int i = 0; i < v.length; i++) {
                if (v[i] == ignoreIndex) {
                    continue;
                }
                if (v[i] < 0 || v[i] >= c) {
                    throw new TensorShapeException(op + ": target class " + v[i] + " is out of range for " + c
                            + " classes (target shape " + Shape.str(ts) + (v[i] < 0 ? "; ignoreIndex is " + ignoreIndex : "")
                            + ")");
                }
                safe[i] = v[i];
                keep[i] = true;
                kept++;
            }
            // reshape, not fromArray(…, ts): a 0-d target (one unbatched sample) must stay 0-d
            // checked on the host; the tensors go where the input is, so device ops do not meet CPU operands
            Device on = input.device();
            return new ClassTargets(Tensor.fromArray(safe, safe.length).reshape(ts).to(on),
                    Tensor.fromArray(keep, keep.length).reshape(ts).to(on), kept, ts);
        }

        /** weight[target] for every target (class 0 where ignored), in the target's shape. */
        Tensor weightsOf(Tensor w) {
            return w.indexSelect(0, safe.reshape(-1)).reshape(shape);
        }
    }

    // ------------------------------------------------------------------ binary cross-entropy

    public static Tensor bceWithLogits(Tensor input, Tensor target) {
        return bceWithLogits(input, target, null, null, Reduction.MEAN);
    }

    /**
     * {@code F.binary_cross_entropy_with_logits(input, target, weight, reduction, pos_weight)}:
     * {@code -w [p t log s(x) + (1 - t) log(1 - s(x))]} with {@code s} the sigmoid, evaluated in
     * torch's stable form ({@code (1 - t) x + l (log(e^-m + e^(-x-m)) + m)}, {@code m = max(-x, 0)},
     * {@code l = 1 + (p - 1) t}) so large logits neither overflow nor lose the gradient.
     *
     * @param weight    broadcast to the input's shape (per element or per class), or null
     * @param posWeight weight of the positive term, broadcast along the last dimension(s) (e.g. {@code [C]}), or null
     */
    public static Tensor bceWithLogits(Tensor input, Tensor target, Tensor weight, Tensor posWeight, Reduction reduction) {
        String op = "bceWithLogits";
        requireFloating(op, "input", input);
        requireReduction(op, reduction);
        requireSameShape(op, input, target);
        requireBroadcastsTo(op, "weight", weight, input);
        requireBroadcastsTo(op, "posWeight", posWeight, input);
        Tensor t = target.to(input.dtype());
        Tensor m = input.neg().clamp(0, Double.NaN);
        Tensor logTerm = m.neg().exp().add(input.neg().sub(m).exp()).log();
        Tensor loss;
        if (posWeight != null) {
            Tensor logWeight = posWeight.to(input.dtype()).sub(1).mul(t).add(1);
            loss = t.neg().add(1).mul(input).add(logWeight.mul(logTerm.add(m)));
        } else {
            loss = t.neg().add(1).mul(input).add(m).add(logTerm);
        }
        if (weight != null) {
            loss = loss.mul(weight.to(input.dtype()));
        }
        return reduce(op, loss, reduction);
    }

    // ------------------------------------------------------------------ regression

    public static Tensor mse(Tensor input, Tensor target) {
        return mse(input, target, Reduction.MEAN);
    }

    /** {@code F.mse_loss}: {@code (input - target)^2}. */
    public static Tensor mse(Tensor input, Tensor target, Reduction reduction) {
        String op = "mse";
        Tensor d = difference(op, input, target, reduction);
        return reduce(op, d.square(), reduction);
    }

    public static Tensor l1(Tensor input, Tensor target) {
        return l1(input, target, Reduction.MEAN);
    }

    /** {@code F.l1_loss}: {@code |input - target|} (gradient 0 where they are equal, as in torch). */
    public static Tensor l1(Tensor input, Tensor target, Reduction reduction) {
        String op = "l1";
        return reduce(op, difference(op, input, target, reduction).abs(), reduction);
    }

    /** {@code F.smooth_l1_loss} with beta 1. */
    public static Tensor smoothL1(Tensor input, Tensor target) {
        return smoothL1(input, target, Reduction.MEAN, 1.0);
    }

    /**
     * {@code F.smooth_l1_loss}: {@code 0.5 z^2 / beta} where {@code z = |input - target| < beta},
     * else {@code z - 0.5 beta}; beta 0 is the L1 loss.
     */
    public static Tensor smoothL1(Tensor input, Tensor target, Reduction reduction, double beta) {
        String op = "smoothL1";
        if (!(beta >= 0)) {
            throw new IllegalArgumentException(op + ": beta must be >= 0, got " + beta);
        }
        Tensor d = difference(op, input, target, reduction);
        if (beta == 0) {
            // |d|, with torch's gradient -1 (not 0) where d == 0: its backward tests x <= -beta first
            return reduce(op, Tensor.where(d.le(0), d.neg(), d), reduction);
        }
        Tensor z = d.abs();
        Tensor loss = Tensor.where(z.lt(beta), z.square().mul(0.5).div(beta), z.sub(0.5 * beta));
        return reduce(op, loss, reduction);
    }

    /** {@code F.huber_loss} with delta 1. */
    public static Tensor huber(Tensor input, Tensor target) {
        return huber(input, target, Reduction.MEAN, 1.0);
    }

    /**
     * {@code F.huber_loss}: {@code 0.5 z^2} where {@code z = |input - target| < delta}, else
     * {@code delta (z - 0.5 delta)}; equals {@code delta * smoothL1(beta = delta)}.
     */
    public static Tensor huber(Tensor input, Tensor target, Reduction reduction, double delta) {
        String op = "huber";
        if (!(delta > 0)) {
            throw new IllegalArgumentException(op + ": delta must be > 0, got " + delta);
        }
        Tensor z = difference(op, input, target, reduction).abs();
        Tensor loss = Tensor.where(z.lt(delta), z.square().mul(0.5), z.sub(0.5 * delta).mul(delta));
        return reduce(op, loss, reduction);
    }

    private static Tensor difference(String op, Tensor input, Tensor target, Reduction reduction) {
        requireFloating(op, "input", input);
        requireReduction(op, reduction);
        requireSameShape(op, input, target);
        return input.sub(target.to(input.dtype()));
    }

    // ------------------------------------------------------------------ KL divergence

    /**
     * {@code F.kl_div(input, target, reduction, log_target)}: input holds log-probabilities; the
     * target holds probabilities ({@code target (log target - input)}, 0 where target is 0), or
     * log-probabilities when {@code logTarget} ({@code exp(target) (target - input)}).
     * {@link Reduction#BATCHMEAN} divides the sum by the batch size and is the KL divergence;
     * {@link Reduction#MEAN} divides by the number of elements, as torch's default does.
     */
    public static Tensor klDiv(Tensor input, Tensor target, Reduction reduction, boolean logTarget) {
        String op = "klDiv";
        requireFloating(op, "input", input);
        if (reduction == null) {
            throw new IllegalArgumentException(op + ": reduction must not be null (NONE, MEAN, SUM or BATCHMEAN)");
        }
        requireSameShape(op, input, target);
        Tensor t = target.to(input.dtype());
        Tensor out;
        if (logTarget) {
            out = t.exp().mul(t.sub(input));
        } else {
            // xlogy(t, t): 0 where t == 0; log of 1 there keeps the gradient finite
            Tensor safe = Tensor.where(t.eq(0), Tensor.onesLike(t), t);
            out = t.mul(safe.log()).sub(t.mul(input));
        }
        if (reduction == Reduction.BATCHMEAN) {
            Tensor s = out.sum();
            return input.dim() == 0 ? s : s.div((double) input.size(0));
        }
        return reduce(op, out, reduction);
    }

    public static Tensor klDiv(Tensor input, Tensor target, Reduction reduction) {
        return klDiv(input, target, reduction, false);
    }

    // ------------------------------------------------------------------ cosine embedding

    public static Tensor cosineEmbedding(Tensor input1, Tensor input2, Tensor target) {
        return cosineEmbedding(input1, input2, target, 0, Reduction.MEAN);
    }

    /**
     * {@code F.cosine_embedding_loss(x1, x2, target, margin, reduction)}: {@code 1 - cos(x1, x2)}
     * where the target is 1, {@code max(0, cos(x1, x2) - margin)} where it is -1. Inputs
     * {@code [N, D]} with target {@code [N]}, or {@code [D]} with a 0-d target.
     */
    public static Tensor cosineEmbedding(Tensor input1, Tensor input2, Tensor target, double margin, Reduction reduction) {
        String op = "cosineEmbedding";
        requireFloating(op, "input1", input1);
        requireFloating(op, "input2", input2);
        requireReduction(op, reduction);
        if (!Arrays.equals(input1.shape(), input2.shape())) {
            throw new TensorShapeException(op + ": input1 shape " + Shape.str(input1.shape()) + " and input2 shape "
                    + Shape.str(input2.shape()) + " differ");
        }
        int d = target.dim();
        boolean ok = (d == 1 && input1.dim() == 2 && input1.size(0) == target.size(0)) || (d == 0 && input1.dim() == 1);
        if (!ok) {
            throw new TensorShapeException(op + ": expected inputs [N, D] with target [N], or inputs [D] with a 0-d target;"
                    + " got inputs " + Shape.str(input1.shape()) + " and target " + Shape.str(target.shape()));
        }
        for (double v : target.toDoubleArray()) {
            if (v != 1 && v != -1) {
                throw new IllegalArgumentException(op + ": target values must be 1 or -1, found " + v
                        + " (target shape " + Shape.str(target.shape()) + ")");
            }
        }
        Tensor b = input2.to(input1.dtype());
        int[] axis = {d};
        Tensor prod = input1.mul(b).sum(axis, false);
        Tensor mag1 = input1.mul(input1).sum(axis, false).add(COSINE_EPS);
        Tensor mag2 = b.mul(b).sum(axis, false).add(COSINE_EPS);
        Tensor cos = prod.div(mag1.mul(mag2).sqrt());
        Tensor zeros = Tensor.zerosLike(cos);
        Tensor pos = Tensor.where(target.eq(1), cos.neg().add(1), zeros);
        Tensor neg = Tensor.where(target.eq(-1), cos.sub(margin).clamp(0, Double.NaN), zeros);
        return reduce(op, pos.add(neg), reduction);
    }

    // ------------------------------------------------------------------ shared checks

    private static Tensor reduce(String op, Tensor loss, Reduction reduction) {
        return switch (reduction) {
            case NONE -> loss;
            case SUM -> loss.sum();
            case MEAN -> loss.mean();
            case BATCHMEAN -> throw batchMean(op);
        };
    }

    private static void requireReduction(String op, Reduction reduction) {
        if (reduction == null) {
            throw new IllegalArgumentException(op + ": reduction must not be null (NONE, MEAN or SUM)");
        }
        if (reduction == Reduction.BATCHMEAN) {
            throw batchMean(op);
        }
    }

    private static IllegalArgumentException batchMean(String op) {
        return new IllegalArgumentException(op + ": reduction BATCHMEAN is only defined for klDiv; use MEAN, SUM or NONE");
    }

    private static void requireFloating(String op, String what, Tensor t) {
        if (!t.dtype().isFloating() || !t.dtype().isComputable()) {
            throw new TensorTypeException(op + ": " + what + " must be float32 or float64, got " + t.dtype()
                    + " (shape " + Shape.str(t.shape()) + ")");
        }
    }

    private static void requireSameShape(String op, Tensor input, Tensor target) {
        if (!Arrays.equals(input.shape(), target.shape())) {
            throw new TensorShapeException(op + ": target shape " + Shape.str(target.shape())
                    + " does not match input shape " + Shape.str(input.shape()));
        }
    }

    private static void requireBroadcastsTo(String op, String what, Tensor t, Tensor input) {
        if (t == null) {
            return;
        }
        requireFloating(op, what, t);
        int[] s = null;
        try {
            s = Shape.broadcast(op, t.shape(), input.shape());
        } catch (TensorShapeException e) {
            // reported below, with this loss's wording
        }
        if (s == null || !Arrays.equals(s, input.shape())) {
            throw new TensorShapeException(op + ": " + what + " of shape " + Shape.str(t.shape())
                    + " does not broadcast to the input shape " + Shape.str(input.shape()));
        }
    }
}
