package dev.graft.onnx.ops;

import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.PadMode;
import dev.graft.tensor.Tensor;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * ONNX's shape and data-movement operators: views and copies that rearrange elements without
 * arithmetic on them (Reshape, Transpose, Concat, Slice, Gather, Pad, …), the value producers
 * (Constant, ConstantOfShape, Cast, Shape, Size) and Dropout. Float data flows through Graft view
 * and index ops, so gradients reach initializers; index and shape inputs are read as arrays.
 * Index-driven ops live in {@link ShapeOpsIndexing}, value producers in {@link ShapeOpsValues},
 * Unique in {@link ShapeOpsUnique}.
 */
final class ShapeOps {
    private ShapeOps() {
    }

    static void register(OpRegistry r) {
        r.register("Identity", ctx -> one(ctx.input(0)));
        r.register("Flatten", ShapeOps::flatten);
        r.register("Reshape", ShapeOps::reshape);
        r.register("Transpose", ShapeOps::transpose);
        r.register("Squeeze", ShapeOps::squeeze);
        r.register("Unsqueeze", ShapeOps::unsqueeze);
        r.register("Concat", ShapeOps::concat);
        r.register("Split", ShapeOps::split);
        r.register("Shape", ShapeOps::shapeOf);
        r.register("Size", ctx -> one(longScalar(ctx.input(0).numel())));
        r.register("Expand", ShapeOps::expand);
        r.register("Tile", ShapeOps::tile);
        r.register("Pad", checked(ShapeOps::pad, (node, opset) -> {
            OnnxAttrs a = new OnnxAttrs(node);
            String mode = a.string("mode", "constant");
            return Set.of("constant", "reflect", "edge").contains(mode) ? null
                    : "mode '" + mode + "' is not supported (constant, reflect and edge are)";
        }));
        r.register("DepthToSpace", checked(ShapeOps::depthToSpace, (node, opset) -> {
            String mode = new OnnxAttrs(node).string("mode", "DCR");
            return mode.equals("DCR") || mode.equals("CRD") ? null : "mode '" + mode + "' is not DCR or CRD";
        }));
        r.register("SpaceToDepth", ShapeOps::spaceToDepth);
        ShapeOpsIndexing.register(r);
        ShapeOpsValues.register(r);
        ShapeOpsUnique.register(r);
    }

    // ------------------------------------------------------------------ helpers shared by the ShapeOps classes

    /** A refusal check run at load time. */
    @FunctionalInterface
    interface Refusal {
        String reason(OnnxNode node, int opset);
    }

    /** An op with a load-time check. */
    static OnnxOp checked(Function<OpContext, Tensor[]> body, Refusal refusal) {
        return new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                return body.apply(ctx);
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                return refusal.reason(node, opset);
            }
        };
    }

    /** Attribute reads at load time, where no OpContext exists yet. */
    record OnnxAttrs(OnnxNode node) {
        String string(String name, String dflt) {
            var a = node.attributes().get(name);
            return a == null || a.s() == null ? dflt : a.s();
        }
    }

    static Tensor[] one(Tensor t) {
        return new Tensor[] {t};
    }

    static Tensor longScalar(long v) {
        return Tensor.fromArray(new long[] {v}).reshape();
    }

    static Tensor longVector(long[] v) {
        return Tensor.fromArray(v);
    }

    /**
     * Checks a shape read from a tensor or attribute: every dimension non-negative and the element
     * count within what a Graft tensor can hold, before anything is allocated.
     */
    static int[] checkedShape(OpContext ctx, long[] dims, String what) {
        int[] s = new int[dims.length];
        long n = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) {
                throw ctx.error(what + " " + Arrays.toString(dims) + " has invalid dimension " + dims[i] + " at position " + i);
            }
            s[i] = (int) dims[i];
            n = n == 0 || dims[i] == 0 ? 0 : (n > Integer.MAX_VALUE / dims[i] + 1 ? Long.MAX_VALUE : n * dims[i]);
        }
        if (n > Integer.MAX_VALUE - 8) {
            throw ctx.error(what + " " + Arrays.toString(dims) + " has more elements than a tensor can hold");
        }
        return s;
    }

    /** An axes list (attribute or input) normalised against {@code rank}, with an error on repeats. */
    static int[] normalizedAxes(OpContext ctx, long[] axes, int rank) {
        int[] r = new int[axes.length];
        boolean[] seen = new boolean[Math.max(rank, 1)];
        for (int i = 0; i < axes.length; i++) {
            if (rank == 0) {
                throw ctx.error("axis " + axes[i] + " is out of range for a 0-d tensor");
            }
            r[i] = ctx.axis(axes[i], rank);
            if (seen[r[i]]) {
                throw ctx.error("axes " + Arrays.toString(axes) + " repeat axis " + r[i]);
            }
            seen[r[i]] = true;
        }
        return r;
    }

    /**
     * Axes given as an attribute before {@code inputOpset} and as input {@code inputIndex} from it
     * on (Squeeze, Unsqueeze); null when absent.
     */
    static long[] axesArgument(OpContext ctx, int inputIndex, int inputOpset) {
        if (ctx.opset() >= inputOpset) {
            Tensor t = ctx.optionalInput(inputIndex);
            return t == null ? null : ctx.longs(t);
        }
        return ctx.attrInts("axes", null);
    }

    static long product(int[] shape, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) {
            p *= shape[i];
        }
        return p;
    }

    // ------------------------------------------------------------------ ops

    private static Tensor[] flatten(OpContext ctx) {
        Tensor x = ctx.input(0);
        int rank = x.dim();
        long axis = ctx.attrInt("axis", 1);
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a > rank) {
            throw ctx.error("axis " + axis + " is out of range [" + -rank + ", " + rank + "] for rank " + rank);
        }
        int[] s = x.shape();
        return one(x.reshape((int) product(s, 0, (int) a), (int) product(s, (int) a, rank)));
    }

    private static Tensor[] reshape(OpContext ctx) {
        Tensor x = ctx.input(0);
        long[] spec;
        if (ctx.opset() < 5) {
            spec = ctx.attrInts("shape", null);
            if (spec == null) {
                throw ctx.error("attribute 'shape' is required before opset 5");
            }
        } else {
            Tensor s = ctx.input(1);
            if (s.dim() != 1) {
                throw ctx.error("the shape input must be 1-D, got shape " + Arrays.toString(s.shape()));
            }
            spec = ctx.longs(s);
        }
        boolean allowZero = ctx.attrInt("allowzero", 0) != 0;
        return one(x.reshape(reshapeTarget(ctx, x.shape(), x.numel(), spec, allowZero)));
    }

    /** ONNX Reshape's target: 0 copies the input dimension (unless allowzero), one -1 is inferred. */
    static int[] reshapeTarget(OpContext ctx, int[] in, long numel, long[] spec, boolean allowZero) {
        long[] out = new long[spec.length];
        int infer = -1;
        long known = 1;
        boolean sawZero = false;
        for (int i = 0; i < spec.length; i++) {
            long v = spec[i];
            if (v == 0 && !allowZero) {
                if (i >= in.length) {
                    throw ctx.error("shape " + Arrays.toString(spec) + " copies dimension " + i + " (0) but the input has rank " + in.length);
                }
                v = in[i];
            }
            if (v == -1) {
                if (infer >= 0) {
                    throw ctx.error("shape " + Arrays.toString(spec) + " has more than one -1");
                }
                infer = i;
                continue;
            }
            if (v < -1) {
                throw ctx.error("shape " + Arrays.toString(spec) + " has invalid dimension " + v);
            }
            sawZero |= v == 0;
            out[i] = v;
            known = known == 0 || v == 0 ? 0 : (known > Long.MAX_VALUE / v ? Long.MAX_VALUE : known * v);
        }
        if (infer >= 0) {
            if (known == 0) {
                throw ctx.error("shape " + Arrays.toString(spec) + " cannot infer its -1 dimension: the other dimensions"
                        + (allowZero && sawZero ? " include 0 with allowzero=1" : " multiply to 0"));
            }
            if (numel % known != 0) {
                throw ctx.error("shape " + Arrays.toString(spec) + " does not fit the input of shape " + Arrays.toString(in)
                        + " (" + numel + " elements are not a multiple of " + known + ")");
            }
            out[infer] = numel / known;
        } else if (known != numel) {
            throw ctx.error("shape " + Arrays.toString(spec) + " (resolved to " + Arrays.toString(out) + ") holds "
                    + (known == Long.MAX_VALUE ? "too many" : Long.toString(known)) + " elements but the input of shape "
                    + Arrays.toString(in) + " has " + numel);
        }
        return checkedShape(ctx, out, "reshape target");
    }

    private static Tensor[] transpose(OpContext ctx) {
        Tensor x = ctx.input(0);
        int rank = x.dim();
        long[] perm = ctx.attrInts("perm", null);
        int[] p = new int[rank];
        if (perm == null) {
            for (int i = 0; i < rank; i++) {
                p[i] = rank - 1 - i;
            }
        } else {
            if (perm.length != rank) {
                throw ctx.error("perm " + Arrays.toString(perm) + " has " + perm.length + " entries, the input has rank " + rank);
            }
            p = normalizedAxes(ctx, perm, rank);
        }
        return one(rank == 0 ? x : x.permute(p));
    }

    private static Tensor[] squeeze(OpContext ctx) {
        Tensor x = ctx.input(0);
        long[] axes = axesArgument(ctx, 1, 13);
        if (axes == null || axes.length == 0) {
            return one(x.squeeze()); // ONNX Runtime also reads an empty axes list as "every size-1 axis"
        }
        int[] ax = normalizedAxes(ctx, axes, x.dim());
        for (int a : ax) {
            if (x.size(a) != 1) {
                throw ctx.error("cannot squeeze axis " + a + " of size " + x.size(a) + " (shape " + Arrays.toString(x.shape()) + ")");
            }
        }
        int[] sorted = ax.clone();
        Arrays.sort(sorted);
        Tensor r = x;
        for (int i = sorted.length - 1; i >= 0; i--) {
            r = r.squeeze(sorted[i]);
        }
        return one(r);
    }

    private static Tensor[] unsqueeze(OpContext ctx) {
        Tensor x = ctx.input(0);
        long[] axes = axesArgument(ctx, 1, 13);
        if (axes == null) {
            throw ctx.error(ctx.opset() >= 13 ? "input 'axes' is required" : "attribute 'axes' is required");
        }
        int[] ax = normalizedAxes(ctx, axes, x.dim() + axes.length);
        Arrays.sort(ax);
        Tensor r = x;
        for (int a : ax) {
            r = r.unsqueeze(a);
        }
        return one(r);
    }

    private static Tensor[] concat(OpContext ctx) {
        int n = ctx.inputCount();
        if (n == 0) {
            throw ctx.error("needs at least one input");
        }
        Tensor[] ts = new Tensor[n];
        for (int i = 0; i < n; i++) {
            ts[i] = ctx.input(i);
        }
        int rank = ts[0].dim();
        if (rank == 0) {
            throw ctx.error("inputs must have rank >= 1");
        }
        long axis = ctx.opset() < 4 ? ctx.attrInt("axis", 1) : ctx.attrInt("axis");
        int a = ctx.axis(axis, rank);
        for (int i = 1; i < n; i++) {
            if (ts[i].dtype() != ts[0].dtype()) {
                throw ctx.error("input " + i + " is " + ts[i].dtype() + " but input 0 is " + ts[0].dtype());
            }
        }
        return one(n == 1 ? ts[0] : Tensor.concat(a, ts));
    }

    private static Tensor[] split(OpContext ctx) {
        Tensor x = ctx.input(0);
        int rank = x.dim();
        int axis = ctx.axis(ctx.attrInt("axis", 0), rank);
        int dim = x.size(axis);
        int parts = ctx.outputCount();
        long[] split = ctx.hasInput(1) ? ctx.longs(ctx.input(1)) : ctx.opset() < 13 ? ctx.attrInts("split", null) : null;
        if (split != null && split.length == 0 && parts > 0) {
            split = null; // an empty split input means "equal parts", as in ONNX Runtime
        }
        if (ctx.hasAttr("num_outputs")) {
            long k = ctx.attrInt("num_outputs");
            if (split != null) {
                throw ctx.error("num_outputs and split cannot both be given");
            }
            if (k != parts) {
                throw ctx.error("num_outputs " + k + " differs from the node's " + parts + " outputs");
            }
        }
        int[] sizes = new int[parts];
        if (split == null) {
            if (parts == 0) {
                throw ctx.error("has no outputs");
            }
            // opset 18: chunks of ceil(dim / parts); the last one takes what remains
            int size = (int) ((dim + (long) parts - 1) / parts);
            for (int i = 0; i < parts; i++) {
                sizes[i] = Math.max(0, Math.min(size, dim - i * size));
            }
            if (parts > 1 && (long) size * (parts - 1) > dim) {
                throw ctx.error("dimension " + axis + " of size " + dim + " cannot be split into " + parts + " parts");
            }
        } else {
            if (split.length != parts) {
                throw ctx.error("split " + Arrays.toString(split) + " has " + split.length + " sizes for " + parts + " outputs");
            }
            long total = 0;
            for (int i = 0; i < parts; i++) {
                if (split[i] < 0 || split[i] > dim) {
                    throw ctx.error("split " + Arrays.toString(split) + " has invalid size " + split[i]);
                }
                sizes[i] = (int) split[i];
                total += split[i];
            }
            if (total != dim) {
                throw ctx.error("split " + Arrays.toString(split) + " adds up to " + total + " but dimension " + axis + " has size " + dim);
            }
        }
        List<Tensor> out = x.split(sizes, axis);
        return out.toArray(new Tensor[0]);
    }

    private static Tensor[] shapeOf(OpContext ctx) {
        int[] s = ctx.input(0).shape();
        int rank = s.length;
        long start = ctx.attrInt("start", 0);
        long end = ctx.attrInt("end", rank);
        start = Math.max(0, Math.min(rank, start < 0 ? start + rank : start));
        end = Math.max(0, Math.min(rank, end < 0 ? end + rank : end));
        long[] v = new long[(int) Math.max(0, end - start)];
        for (int i = 0; i < v.length; i++) {
            v[i] = s[(int) start + i];
        }
        return one(longVector(v));
    }

    private static Tensor[] expand(OpContext ctx) {
        Tensor x = ctx.input(0);
        Tensor shapeInput = ctx.input(1);
        if (shapeInput.dim() > 1) {
            throw ctx.error("the shape input must be 1-D, got shape " + Arrays.toString(shapeInput.shape()));
        }
        long[] want = ctx.longs(shapeInput);
        int[] have = x.shape();
        int rank = Math.max(have.length, want.length);
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            long a = i < rank - have.length ? 1 : have[i - (rank - have.length)];
            long b = i < rank - want.length ? 1 : want[i - (rank - want.length)];
            if (a == b || b == 1) {
                out[i] = a;
            } else if (a == 1) {
                out[i] = b;
            } else {
                throw ctx.error("shape " + Arrays.toString(have) + " cannot broadcast with " + Arrays.toString(want)
                        + " (dimension " + i + ": " + a + " vs " + b + ")");
            }
        }
        return one(x.expand(checkedShape(ctx, out, "expanded shape")));
    }

    private static Tensor[] tile(OpContext ctx) {
        Tensor x = ctx.input(0);
        long[] reps = ctx.longs(ctx.input(1));
        int rank = x.dim();
        if (reps.length != rank) {
            throw ctx.error("repeats " + Arrays.toString(reps) + " must have one entry per input dimension (rank " + rank + ")");
        }
        int[] s = x.shape();
        long[] outShape = new long[rank];
        for (int i = 0; i < rank; i++) {
            if (reps[i] < 0) {
                throw ctx.error("repeats " + Arrays.toString(reps) + " must be non-negative");
            }
            outShape[i] = s[i] * reps[i];
        }
        int[] out = checkedShape(ctx, outShape, "tiled shape");
        // x [a, b] -> [1, a, 1, b] -> expand [ra, a, rb, b] -> reshape [ra*a, rb*b]: a view plus one copy
        int[] inter = new int[2 * rank];
        int[] big = new int[2 * rank];
        for (int i = 0; i < rank; i++) {
            inter[2 * i] = 1;
            inter[2 * i + 1] = s[i];
            big[2 * i] = (int) reps[i];
            big[2 * i + 1] = s[i];
        }
        return one(x.reshape(inter).expand(big).reshape(out));
    }

    private static Tensor[] pad(OpContext ctx) {
        Tensor x = ctx.input(0);
        int rank = x.dim();
        String mode = ctx.attrString("mode", "constant");
        long[] pads;
        double value;
        int[] axes;
        if (ctx.opset() < 11) {
            pads = ctx.attrInts(ctx.opset() < 2 ? "paddings" : "pads", null);
            if (pads == null) {
                throw ctx.error("attribute 'pads' is required");
            }
            value = ctx.attrFloat("value", 0f);
            axes = null;
        } else {
            pads = ctx.longs(ctx.input(1));
            Tensor cv = ctx.optionalInput(2);
            if (cv != null && cv.numel() > 1) {
                throw ctx.error("constant_value must hold one value, got shape " + Arrays.toString(cv.shape()));
            }
            value = cv == null || cv.numel() == 0 ? 0 : cv.reshape(-1).get(0);
            axes = ctx.hasInput(3) ? normalizedAxes(ctx, ctx.longs(ctx.input(3)), rank) : null;
        }
        int k = axes == null ? rank : axes.length;
        if (pads.length != 2 * k) {
            throw ctx.error("pads " + Arrays.toString(pads) + " must hold " + 2 * k + " values (begin and end for "
                    + (axes == null ? "each of the " + rank + " dimensions" : "axes " + Arrays.toString(axes)) + ")");
        }
        long[] begin = new long[rank];
        long[] end = new long[rank];
        for (int i = 0; i < k; i++) {
            int d = axes == null ? i : axes[i];
            begin[d] = pads[i];
            end[d] = pads[i + k];
        }
        int[] s = x.shape();
        for (int d = 0; d < rank; d++) {
            long size = s[d] + begin[d] + end[d];
            if (size < 0 || size > Integer.MAX_VALUE || Math.abs(begin[d]) > Integer.MAX_VALUE || Math.abs(end[d]) > Integer.MAX_VALUE) {
                throw ctx.error("pads " + Arrays.toString(pads) + " give dimension " + d + " of size " + s[d] + " the size " + size);
            }
        }
        long[] outShape = new long[rank];
        for (int d = 0; d < rank; d++) {
            outShape[d] = s[d] + begin[d] + end[d];
        }
        checkedShape(ctx, outShape, "padded shape");
        Tensor r = x;
        PadMode pm = switch (mode) {
            case "constant" -> PadMode.CONSTANT;
            case "reflect" -> PadMode.REFLECT;
            case "edge" -> PadMode.REPLICATE;
            default -> throw ctx.error("mode '" + mode + "' is not supported");
        };
        if (pm != PadMode.CONSTANT) {
            // reflect and edge pad only outwards in Graft: crop the negative pads first
            for (int d = 0; d < rank; d++) {
                int cropL = (int) Math.max(0, -begin[d]);
                int cropR = (int) Math.max(0, -end[d]);
                if (cropL + cropR > 0) {
                    r = r.narrow(d, cropL, r.size(d) - cropL - cropR);
                    begin[d] = Math.max(0, begin[d]);
                    end[d] = Math.max(0, end[d]);
                }
            }
            for (int d = 0; d < rank; d++) {
                int n = r.size(d);
                if ((begin[d] > 0 || end[d] > 0) && (n == 0 || pm == PadMode.REFLECT && (begin[d] >= n || end[d] >= n))) {
                    throw ctx.error(mode + " padding (" + begin[d] + ", " + end[d] + ") of dimension " + d + " needs "
                            + (pm == PadMode.REFLECT ? "pads smaller than its size " : "a non-empty dimension, its size is ") + n);
                }
            }
        }
        // Graft's pad order: last dimension first, and only as many dimensions as are padded
        int lo = 0;
        while (lo < rank && begin[lo] == 0 && end[lo] == 0) {
            lo++;
        }
        if (lo == rank) {
            return one(r);
        }
        int[] gp = new int[2 * (rank - lo)];
        for (int d = rank - 1, j = 0; d >= lo; d--, j++) {
            gp[2 * j] = (int) begin[d];
            gp[2 * j + 1] = (int) end[d];
        }
        return one(r.pad(gp, pm, value));
    }

    private static Tensor[] depthToSpace(OpContext ctx) {
        Tensor x = ctx.input(0);
        int b = blockSize(ctx, x);
        int[] s = x.shape();
        int n = s[0], c = s[1], h = s[2], w = s[3];
        if (c % (b * b) != 0) {
            throw ctx.error("channels " + c + " are not a multiple of blocksize^2 = " + b * b);
        }
        int c2 = c / (b * b);
        Tensor r = ctx.attrString("mode", "DCR").equals("CRD")
                ? x.reshape(n, c2, b, b, h, w).permute(0, 1, 4, 2, 5, 3)
                : x.reshape(n, b, b, c2, h, w).permute(0, 3, 4, 1, 5, 2);
        return one(r.reshape(n, c2, h * b, w * b));
    }

    private static Tensor[] spaceToDepth(OpContext ctx) {
        Tensor x = ctx.input(0);
        int b = blockSize(ctx, x);
        int[] s = x.shape();
        int n = s[0], c = s[1], h = s[2], w = s[3];
        if (h % b != 0 || w % b != 0) {
            throw ctx.error("height " + h + " and width " + w + " must be multiples of blocksize " + b);
        }
        return one(x.reshape(n, c, h / b, b, w / b, b).permute(0, 3, 5, 1, 2, 4).reshape(n, c * b * b, h / b, w / b));
    }

    private static int blockSize(OpContext ctx, Tensor x) {
        if (x.dim() != 4) {
            throw ctx.error("input must be 4-D [N, C, H, W], got shape " + Arrays.toString(x.shape()));
        }
        long b = ctx.attrInt("blocksize");
        if (b < 1 || b > 65536) {
            throw ctx.error("blocksize " + b + " must be positive");
        }
        return (int) b;
    }
}
