package dev.graft.onnx.ops;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.ValuesIndices;

import java.util.Arrays;
import java.util.TreeSet;

import static dev.graft.onnx.ops.MathOps.one;

/**
 * ONNX's reductions (Reduce*, ArgMax, ArgMin), scans (CumSum), selection (TopK) and Range.
 * Reductions keep the input's dtype as ONNX requires, although Graft sums integers in int64.
 */
final class MathOpsReduce {
    private MathOpsReduce() {
    }

    /** Refuses to allocate sequences longer than this from a Range node. */
    private static final long MAX_RANGE = 1L << 28;

    private enum Kind { SUM, MEAN, MAX, MIN, PROD, L1, L2, LOG_SUM, LOG_SUM_EXP, SUM_SQUARE }

    static void register(OpRegistry r) {
        r.register("ReduceSum", reduce(Kind.SUM));
        r.register("ReduceMean", reduce(Kind.MEAN));
        r.register("ReduceMax", reduce(Kind.MAX));
        r.register("ReduceMin", reduce(Kind.MIN));
        r.register("ReduceProd", reduce(Kind.PROD));
        r.register("ReduceL1", reduce(Kind.L1));
        r.register("ReduceL2", reduce(Kind.L2));
        r.register("ReduceLogSum", reduce(Kind.LOG_SUM));
        r.register("ReduceLogSumExp", reduce(Kind.LOG_SUM_EXP));
        r.register("ReduceSumSquare", reduce(Kind.SUM_SQUARE));
        r.register("ArgMax", ctx -> one(argExtreme(ctx, true)));
        r.register("ArgMin", ctx -> one(argExtreme(ctx, false)));
        r.register("CumSum", MathOpsReduce::cumsum);
        r.register("TopK", MathOpsReduce::topk);
        r.register("Range", ctx -> one(range(ctx)));
    }

    // ------------------------------------------------------------------ Reduce*

    private static OnnxOp reduce(Kind kind) {
        return ctx -> one(MathOpsReduce.reduce(ctx, kind));
    }

    private static Tensor reduce(OpContext ctx, Kind kind) {
        Tensor x = ctx.input(0);
        boolean keep = ctx.attrInt("keepdims", 1) != 0;
        long[] axesIn;
        if (ctx.hasInput(1)) {
            // axes as an input: ReduceSum from opset 13, every Reduce* from opset 18
            axesIn = ctx.longs(ctx.input(1));
        } else {
            axesIn = ctx.attrInts("axes", new long[0]);
        }
        if (axesIn.length == 0 && ctx.attrInt("noop_with_empty_axes", 0) != 0) {
            return x.clone();
        }
        int rank = x.dim();
        int[] axes;
        if (axesIn.length == 0) {
            axes = new int[rank];
            for (int i = 0; i < rank; i++) {
                axes[i] = i;
            }
        } else {
            TreeSet<Integer> set = new TreeSet<>();
            for (long a : axesIn) {
                if (!set.add(ctx.axis(a, rank))) {
                    throw ctx.error("axis " + a + " is listed twice in axes " + Arrays.toString(axesIn));
                }
            }
            axes = set.stream().mapToInt(Integer::intValue).toArray();
        }
        int[] s = x.shape();
        for (int a : axes) {
            if (a < s.length && s[a] == 0 && (kind == Kind.MAX || kind == Kind.MIN)) {
                // the extreme of an empty set is the identity of the reduction (ONNX, opset 18)
                return emptyExtreme(x, axes, keep, kind == Kind.MAX);
            }
        }
        if (rank == 0) {
            axes = new int[0]; // Graft reads "no axes" as "all axes", which is what a 0-d input needs
        }
        DType dt = x.dtype();
        if (dt.isFloating()) {
            return floatReduce(x, kind, axes, keep);
        }
        return switch (kind) {
            case MAX -> x.amax(axes, keep);
            case MIN -> x.amin(axes, keep);
            case SUM -> x.sum(axes, keep).to(dt);
            case PROD -> x.prod(axes, keep).to(dt);
            case SUM_SQUARE -> x.mul(x).sum(axes, keep).to(dt);
            case L1 -> x.abs().sum(axes, keep).to(dt);
            case MEAN -> {
                long n = 1;
                for (int a : axes) {
                    n *= s[a];
                }
                if (rank == 0) {
                    n = 1;
                }
                if (n == 0) {
                    throw ctx.error("the mean of an empty integer reduction is undefined");
                }
                Tensor sum = x.sum(axes, keep);
                yield MathOps.intBinary(ctx, sum, Tensor.scalar(n, DType.INT64), (p, q) -> p / q).to(dt);
            }
            // defined on integers by ONNX through floating point, truncated back to the input type
            default -> floatReduce(x.to(DType.FLOAT64), kind, axes, keep).to(dt);
        };
    }

    private static Tensor emptyExtreme(Tensor x, int[] axes, boolean keep, boolean max) {
        int[] s = x.shape();
        boolean[] reduced = new boolean[s.length];
        for (int a : axes) {
            reduced[a] = true;
        }
        int[] out = new int[s.length];
        int rank = 0;
        int n = 1;
        for (int d = 0; d < s.length; d++) {
            if (!reduced[d] || keep) {
                out[rank++] = reduced[d] ? 1 : s[d];
                n *= out[rank - 1];
            }
        }
        out = Arrays.copyOf(out, rank);
        DType dt = x.dtype();
        double v;
        if (dt.isFloating()) {
            v = max ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        } else {
            long lo = switch (dt) {
                case INT64 -> Long.MIN_VALUE;
                case INT32 -> Integer.MIN_VALUE;
                default -> 0;
            };
            long hi = switch (dt) {
                case INT64 -> Long.MAX_VALUE;
                case INT32 -> Integer.MAX_VALUE;
                case UINT8 -> 255;
                default -> 1;
            };
            long[] filled = new long[n];
            Arrays.fill(filled, max ? lo : hi);
            return Tensor.fromArray(filled, filled.length).reshape(out).to(dt);
        }
        return Tensor.full(v, dt, out);
    }

    private static Tensor floatReduce(Tensor x, Kind kind, int[] axes, boolean keep) {
        return switch (kind) {
            case SUM -> x.sum(axes, keep);
            case MEAN -> x.mean(axes, keep);
            case MAX -> x.amax(axes, keep);
            case MIN -> x.amin(axes, keep);
            case PROD -> x.prod(axes, keep);
            case L1 -> x.abs().sum(axes, keep);
            case L2 -> safeSqrt(x.mul(x).sum(axes, keep));
            case LOG_SUM -> x.sum(axes, keep).log();
            case LOG_SUM_EXP -> x.logsumexp(axes, keep);
            case SUM_SQUARE -> x.mul(x).sum(axes, keep);
        };
    }

    /**
     * sqrt whose gradient at 0 is 0 rather than NaN (the subgradient torch's norm uses), so an
     * all-zero slice, such as a padded row, does not poison a fine-tuning step.
     */
    private static Tensor safeSqrt(Tensor s) {
        if (!s.requiresGrad()) {
            return s.sqrt();
        }
        Tensor zero = s.eq(Tensor.scalar(0, s.dtype()));
        Tensor one = Tensor.scalar(1, s.dtype());
        return Tensor.where(zero, Tensor.scalar(0, s.dtype()), Tensor.where(zero, one, s).sqrt());
    }

    // ------------------------------------------------------------------ ArgMax, ArgMin

    private static Tensor argExtreme(OpContext ctx, boolean max) {
        Tensor x = ctx.input(0).detach();
        boolean keep = ctx.attrInt("keepdims", 1) != 0;
        boolean last = ctx.attrInt("select_last_index", 0) != 0;
        if (x.dim() == 0) {
            return Tensor.zeros(DType.INT64);
        }
        int axis = ctx.axis(ctx.attrInt("axis", 0), x.dim());
        int n = x.shape()[axis];
        if (n == 0) {
            throw ctx.error("cannot take the arg" + (max ? "max" : "min") + " over the empty axis " + axis);
        }
        if (x.dtype() == DType.BOOL) {
            x = x.to(DType.UINT8);
        }
        if (!last) {
            return max ? x.argmax(axis, keep) : x.argmin(axis, keep);
        }
        // the last extreme is the first one of the reversed axis
        Tensor rev = flip(x, axis);
        Tensor idx = max ? rev.argmax(axis, keep) : rev.argmin(axis, keep);
        return Tensor.scalar(n - 1, DType.INT64).sub(idx);
    }

    /** x reversed along one axis (differentiable, through indexSelect). */
    static Tensor flip(Tensor x, int axis) {
        int n = x.shape()[axis];
        long[] idx = new long[n];
        for (int i = 0; i < n; i++) {
            idx[i] = n - 1 - i;
        }
        return x.indexSelect(axis, Tensor.fromArray(idx, n));
    }

    // ------------------------------------------------------------------ CumSum

    private static Tensor[] cumsum(OpContext ctx) {
        Tensor x = ctx.input(0);
        long[] av = ctx.longs(ctx.input(1));
        if (av.length != 1) {
            throw ctx.error("axis must hold exactly one value, got " + av.length);
        }
        boolean exclusive = ctx.attrInt("exclusive", 0) != 0;
        boolean reverse = ctx.attrInt("reverse", 0) != 0;
        if (x.dim() == 0) {
            ctx.axis(av[0], 1);
            return one(exclusive ? Tensor.zeros(x.dtype()) : x.clone());
        }
        int axis = ctx.axis(av[0], x.dim());
        int n = x.shape()[axis];
        if (n == 0) {
            return one(x.clone());
        }
        Tensor y = reverse ? flip(x, axis) : x;
        Tensor c = y.cumsum(axis);
        if (c.dtype() != x.dtype()) {
            c = c.to(x.dtype());
        }
        if (exclusive) {
            // shift by one along the axis: element i holds the sum of elements before i
            int[] zs = x.shape().clone();
            zs[axis] = 1;
            c = Tensor.concat(axis, Tensor.zeros(x.dtype(), zs), c.narrow(axis, 0, n - 1));
        }
        return one(reverse ? flip(c, axis) : c);
    }

    // ------------------------------------------------------------------ TopK

    private static Tensor[] topk(OpContext ctx) {
        Tensor x = ctx.input(0);
        long k;
        if (ctx.opset() < 10 || !ctx.hasInput(1)) {
            k = ctx.attrInt("k");
        } else {
            long[] kv = ctx.longs(ctx.input(1));
            if (kv.length != 1) {
                throw ctx.error("K must hold exactly one value, got " + kv.length);
            }
            k = kv[0];
        }
        if (x.dim() == 0) {
            throw ctx.error("TopK needs an input of rank >= 1");
        }
        int axis = ctx.axis(ctx.attrInt("axis", -1), x.dim());
        int n = x.shape()[axis];
        if (k < 0 || k > n) {
            throw ctx.error("k = " + k + " is out of range for axis " + axis + " of size " + n);
        }
        boolean largest = ctx.attrInt("largest", 1) != 0;
        // Graft's sort is stable in both directions, so equal values keep the lower index first,
        // as ONNX asks; the values are gathered so that they carry x's gradient
        ValuesIndices vi = x.detach().topk((int) k, axis, largest);
        Tensor idx = vi.indices().contiguous();
        Tensor values = x.gather(axis, idx);
        return new Tensor[] {values, idx};
    }

    // ------------------------------------------------------------------ Range

    private static Tensor range(OpContext ctx) {
        Tensor start = scalarInput(ctx, 0, "start");
        Tensor limit = scalarInput(ctx, 1, "limit");
        Tensor delta = scalarInput(ctx, 2, "delta");
        DType dt = start.dtype();
        if (dt.isFloating()) {
            double s = start.item();
            double l = limit.item();
            double d = delta.item();
            if (d == 0 || !Double.isFinite(d) || !Double.isFinite(s) || !Double.isFinite(l)) {
                throw ctx.error("start, limit and delta must be finite and delta non-zero, got " + s + ", " + l + ", " + d);
            }
            long n = (long) Math.max(0, Math.ceil((l - s) / d));
            checkLength(ctx, n);
            double[] v = new double[(int) n];
            for (int i = 0; i < n; i++) {
                v[i] = s + i * d;
            }
            return Tensor.fromArray(v, (int) n).to(dt);
        }
        long s = start.contiguous().toLongArray()[0];
        long l = limit.contiguous().toLongArray()[0];
        long d = delta.contiguous().toLongArray()[0];
        if (d == 0) {
            throw ctx.error("delta must be non-zero");
        }
        long n;
        try {
            n = Math.max(0, Math.ceilDiv(Math.subtractExact(l, s), d));
        } catch (ArithmeticException e) {
            throw ctx.error("the range from " + s + " to " + l + " is too long");
        }
        checkLength(ctx, n);
        long[] v = new long[(int) n];
        for (int i = 0; i < n; i++) {
            v[i] = s + i * d;
        }
        return Tensor.fromArray(v, (int) n).to(dt);
    }

    private static void checkLength(OpContext ctx, long n) {
        if (n > MAX_RANGE) {
            throw ctx.error("the range would hold " + n + " elements, more than the limit of " + MAX_RANGE);
        }
    }

    private static Tensor scalarInput(OpContext ctx, int i, String what) {
        Tensor t = ctx.input(i);
        if (t.numel() != 1) {
            throw ctx.error(what + " must be a scalar, got shape " + Arrays.toString(t.shape()));
        }
        return t;
    }
}
