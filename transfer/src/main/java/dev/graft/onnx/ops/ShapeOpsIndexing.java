package dev.graft.onnx.ops;

import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;

import java.util.Arrays;
import java.util.Set;

import static dev.graft.onnx.ops.ShapeOps.checked;
import static dev.graft.onnx.ops.ShapeOps.longVector;
import static dev.graft.onnx.ops.ShapeOps.normalizedAxes;
import static dev.graft.onnx.ops.ShapeOps.one;

/**
 * The index-driven members of {@link ShapeOps}: Slice, Gather, GatherElements, GatherND, the
 * Scatter family, Compress, NonZero, OneHot, Trilu and EyeLike. Index values are read as arrays
 * (ONNX allows negative indices, counted from the end, where Graft's index ops refuse them), wrapped
 * and checked here, and the data moves through Graft's differentiable {@code indexSelect},
 * {@code gather}, {@code scatterAdd} and {@code where}.
 */
final class ShapeOpsIndexing {
    private ShapeOpsIndexing() {
    }

    private static final Set<String> REDUCTIONS = Set.of("none", "add", "mul", "max", "min");

    static void register(OpRegistry r) {
        r.register("Slice", ShapeOpsIndexing::slice);
        r.register("Gather", ShapeOpsIndexing::gather);
        r.register("GatherElements", ShapeOpsIndexing::gatherElements);
        r.register("GatherND", ShapeOpsIndexing::gatherNd);
        ShapeOps.Refusal reduction = (node, opset) -> {
            String red = new ShapeOps.OnnxAttrs(node).string("reduction", "none");
            return REDUCTIONS.contains(red) ? null : "reduction '" + red + "' is not supported (none, add, mul, max, min are)";
        };
        r.register("Scatter", checked(ShapeOpsIndexing::scatterElements, reduction));
        r.register("ScatterElements", checked(ShapeOpsIndexing::scatterElements, reduction));
        r.register("ScatterND", checked(ShapeOpsIndexing::scatterNd, reduction));
        r.register("Compress", ShapeOpsIndexing::compress);
        r.register("NonZero", ShapeOpsIndexing::nonZero);
        r.register("OneHot", ShapeOpsIndexing::oneHot);
        r.register("Trilu", ShapeOpsIndexing::trilu);
        r.register("EyeLike", checked(ShapeOpsIndexing::eyeLike, (node, opset) -> {
            var dtype = node.attributes().get("dtype");
            if (dtype == null) {
                return null;
            }
            try {
                var t = dev.graft.onnx.OnnxDataType.of(dtype.i());
                return t.graft == null ? "dtype " + t + " is not supported (Graft has no " + t + " tensors)" : null;
            } catch (RuntimeException e) {
                return "dtype " + dtype.i() + " is not an ONNX data type";
            }
        }));
        r.register("ReverseSequence", ShapeOpsIndexing::reverseSequence);
    }

    // ------------------------------------------------------------------ Slice

    private static Tensor[] slice(OpContext ctx) {
        Tensor x = ctx.input(0);
        int rank = x.dim();
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps = null;
        if (ctx.opset() < 10) {
            starts = ctx.attrInts("starts", null);
            ends = ctx.attrInts("ends", null);
            if (starts == null || ends == null) {
                throw ctx.error("attributes 'starts' and 'ends' are required before opset 10");
            }
            axes = ctx.attrInts("axes", null);
        } else {
            starts = ctx.longs(ctx.input(1));
            ends = ctx.longs(ctx.input(2));
            axes = ctx.hasInput(3) ? ctx.longs(ctx.input(3)) : null;
            steps = ctx.hasInput(4) ? ctx.longs(ctx.input(4)) : null;
        }
        if (ends.length != starts.length || axes != null && axes.length != starts.length || steps != null && steps.length != starts.length) {
            throw ctx.error("starts " + Arrays.toString(starts) + ", ends " + Arrays.toString(ends)
                    + (axes == null ? "" : ", axes " + Arrays.toString(axes)) + (steps == null ? "" : ", steps " + Arrays.toString(steps))
                    + " must have the same length");
        }
        if (axes == null) {
            if (starts.length > rank) {
                throw ctx.error("starts " + Arrays.toString(starts) + " has more entries than the input has dimensions (" + rank + ")");
            }
            axes = new long[starts.length];
            for (int i = 0; i < axes.length; i++) {
                axes[i] = i;
            }
        }
        int[] ax = normalizedAxes(ctx, axes, rank);
        Tensor r = x;
        for (int i = 0; i < ax.length; i++) {
            int a = ax[i];
            long dim = x.size(a);
            long step = steps == null ? 1 : steps[i];
            if (step == 0) {
                throw ctx.error("steps " + Arrays.toString(steps) + " has a zero step");
            }
            long s = starts[i] < 0 ? starts[i] + dim : starts[i];
            long e = ends[i] < 0 ? ends[i] + dim : ends[i];
            if (ends[i] == Long.MAX_VALUE || ends[i] == Integer.MAX_VALUE) {
                // ONNX Runtime reads INT_MAX ends as "to the end in the step's direction" (numpy's None),
                // also for negative steps, where clamping alone would stop before index 0
                e = step < 0 ? -1 : dim;
            }
            if (step > 0) {
                s = clamp(s, 0, dim);
                e = clamp(e, 0, dim);
                if (s == 0 && e == dim && step == 1) {
                    continue;
                }
                r = r.slice(a, (int) s, (int) e, (int) Math.min(step, Math.max(dim, 1)));
            } else {
                s = clamp(s, 0, dim - 1);
                e = clamp(e, -1, dim - 1);
                long stride = step == Long.MIN_VALUE ? Long.MAX_VALUE : -step;
                long count = dim == 0 || s <= e ? 0 : (s - e - 1) / stride + 1;
                long[] idx = new long[(int) count];
                for (int j = 0; j < count; j++) {
                    idx[j] = s + j * step;
                }
                r = r.indexSelect(a, longVector(idx));
            }
        }
        return one(r);
    }

    private static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    // ------------------------------------------------------------------ gathers

    /** Index values with negatives counted from the end, checked against [-size, size). */
    private static long[] wrappedIndices(OpContext ctx, Tensor index, long size, String what) {
        long[] v = ctx.longs(index);
        for (int i = 0; i < v.length; i++) {
            long k = v[i] < 0 ? v[i] + size : v[i];
            if (k < 0 || k >= size) {
                throw ctx.error("index " + v[i] + " is out of range for " + what + " of size " + size
                        + " (valid: " + -size + " to " + (size - 1) + ")");
            }
            v[i] = k;
        }
        return v;
    }

    private static Tensor[] gather(OpContext ctx) {
        Tensor x = ctx.input(0);
        Tensor index = ctx.input(1);
        if (x.dim() == 0) {
            throw ctx.error("data must have rank >= 1");
        }
        int axis = ctx.axis(ctx.attrInt("axis", 0), x.dim());
        long[] idx = wrappedIndices(ctx, index, x.size(axis), "axis " + axis);
        int[] s = x.shape();
        int[] is = index.shape();
        long[] out = new long[s.length - 1 + is.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = i < axis ? s[i] : i < axis + is.length ? is[i - axis] : s[i - is.length + 1];
        }
        int[] shape = ShapeOps.checkedShape(ctx, out, "output shape");
        return one(x.indexSelect(axis, longVector(idx)).reshape(shape));
    }

    private static Tensor[] gatherElements(OpContext ctx) {
        Tensor x = ctx.input(0);
        Tensor index = ctx.input(1);
        if (x.dim() == 0 || index.dim() != x.dim()) {
            throw ctx.error("data and indices must have the same rank >= 1");
        }
        int axis = ctx.axis(ctx.attrInt("axis", 0), x.dim());
        for (int i = 0; i < x.dim(); i++) {
            if (i != axis && index.size(i) > x.size(i)) {
                throw ctx.error("indices shape " + Arrays.toString(index.shape()) + " exceeds data shape "
                        + Arrays.toString(x.shape()) + " in dimension " + i);
            }
        }
        long[] idx = wrappedIndices(ctx, index, x.size(axis), "axis " + axis);
        return one(x.gather(axis, longVector(idx).reshape(index.shape())));
    }

    private static Tensor[] gatherNd(OpContext ctx) {
        Tensor x = ctx.input(0);
        Tensor index = ctx.input(1);
        int b = (int) ctx.attrInt("batch_dims", 0);
        int[] ds = x.shape();
        int[] is = index.shape();
        int q = is.length;
        if (q < 1 || b < 0 || b >= q || b > ds.length) {
            throw ctx.error("batch_dims " + b + " is invalid for indices of rank " + q + " and data of rank " + ds.length);
        }
        int k = is[q - 1];
        if (b + k > ds.length) {
            throw ctx.error("index tuples of length " + k + " after " + b + " batch dimensions exceed the data rank " + ds.length);
        }
        for (int i = 0; i < b; i++) {
            if (is[i] != ds[i]) {
                throw ctx.error("batch dimension " + i + " differs: indices " + is[i] + ", data " + ds[i]);
            }
        }
        long[] v = ctx.longs(index);
        long batch = ShapeOps.product(ds, 0, b);
        long block = ShapeOps.product(ds, b, b + k);
        int rest = (int) ShapeOps.product(ds, b + k, ds.length);
        int tuples = (int) ShapeOps.product(is, 0, q - 1);
        long perBatch = batch == 0 ? 0 : tuples / batch;
        long[] rows = new long[tuples];
        for (int t = 0; t < tuples; t++) {
            long row = 0;
            for (int j = 0; j < k; j++) {
                long size = ds[b + j];
                long iv = v[t * k + j];
                long w = iv < 0 ? iv + size : iv;
                if (w < 0 || w >= size) {
                    throw ctx.error("index " + iv + " is out of range for data dimension " + (b + j) + " of size " + size);
                }
                row = row * size + w;
            }
            rows[t] = (perBatch == 0 ? 0 : t / perBatch) * block + row;
        }
        long[] outDims = new long[q - 1 + ds.length - b - k];
        for (int i = 0; i < outDims.length; i++) {
            outDims[i] = i < q - 1 ? is[i] : ds[b + k + i - (q - 1)];
        }
        int[] out = ShapeOps.checkedShape(ctx, outDims, "output shape");
        Tensor table = x.reshape((int) (batch * block), rest);
        return one(table.indexSelect(0, longVector(rows)).reshape(out));
    }

    // ------------------------------------------------------------------ scatters

    private static Tensor[] scatterElements(OpContext ctx) {
        Tensor x = ctx.input(0);
        Tensor index = ctx.input(1);
        Tensor updates = ctx.input(2);
        int rank = x.dim();
        if (rank == 0 || index.dim() != rank || !Arrays.equals(index.shape(), updates.shape())) {
            throw ctx.error("data, indices and updates must have the same rank >= 1, and indices the shape of updates");
        }
        int axis = ctx.axis(ctx.attrInt("axis", 0), rank);
        int[] ds = x.shape();
        int[] is = index.shape();
        for (int i = 0; i < rank; i++) {
            if (i != axis && is[i] > ds[i]) {
                throw ctx.error("indices shape " + Arrays.toString(is) + " exceeds data shape " + Arrays.toString(ds) + " in dimension " + i);
            }
        }
        long[] idx = wrappedIndices(ctx, index, ds[axis], "axis " + axis);
        int[] dstride = strides(ds);
        long[] pos = new long[idx.length];
        int[] counter = new int[rank];
        for (int u = 0; u < idx.length; u++) {
            long p = 0;
            for (int d = 0; d < rank; d++) {
                p += (long) (d == axis ? (int) idx[u] : counter[d]) * dstride[d];
            }
            pos[u] = p;
            for (int d = rank - 1; d >= 0; d--) {
                if (++counter[d] < is[d]) {
                    break;
                }
                counter[d] = 0;
            }
        }
        return one(scatter(ctx, x, updates, pos));
    }

    private static Tensor[] scatterNd(OpContext ctx) {
        Tensor x = ctx.input(0);
        Tensor index = ctx.input(1);
        Tensor updates = ctx.input(2);
        int[] ds = x.shape();
        int[] is = index.shape();
        int q = is.length;
        if (q < 1) {
            throw ctx.error("indices must have rank >= 1");
        }
        int k = is[q - 1];
        if (k > ds.length) {
            throw ctx.error("index tuples of length " + k + " exceed the data rank " + ds.length);
        }
        int[] want = new int[q - 1 + ds.length - k];
        System.arraycopy(is, 0, want, 0, q - 1);
        System.arraycopy(ds, k, want, q - 1, ds.length - k);
        if (!Arrays.equals(want, updates.shape())) {
            throw ctx.error("updates must have shape " + Arrays.toString(want) + ", got " + Arrays.toString(updates.shape()));
        }
        long[] v = ctx.longs(index);
        int[] dstride = strides(ds);
        int slice = (int) ShapeOps.product(ds, k, ds.length);
        int tuples = (int) ShapeOps.product(is, 0, q - 1);
        long[] pos = new long[tuples * slice];
        for (int t = 0; t < tuples; t++) {
            long base = 0;
            for (int j = 0; j < k; j++) {
                long iv = v[t * k + j];
                long w = iv < 0 ? iv + ds[j] : iv;
                if (w < 0 || w >= ds[j]) {
                    throw ctx.error("index " + iv + " is out of range for data dimension " + j + " of size " + ds[j]);
                }
                base += w * dstride[j];
            }
            for (int s = 0; s < slice; s++) {
                pos[t * slice + s] = base + s;
            }
        }
        return one(scatter(ctx, x, updates, pos));
    }

    private static int[] strides(int[] shape) {
        int[] st = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = acc;
            acc *= shape[i];
        }
        return st;
    }

    /**
     * Writes the flattened {@code updates} into a copy of {@code x} at the flat positions
     * {@code pos}, combining by the node's reduction. "none" (later updates win, as in ONNX
     * Runtime) and "add" are built from differentiable Graft ops; mul, max and min are computed
     * on arrays and carry no gradient.
     */
    private static Tensor scatter(OpContext ctx, Tensor x, Tensor updates, long[] pos) {
        String reduction = ctx.attrString("reduction", "none");
        int[] shape = x.shape();
        int n = x.numel();
        if (pos.length == 0) {
            return x;
        }
        Tensor flat = x.reshape(n);
        Tensor u = updates.dtype() == x.dtype() ? updates.reshape(pos.length) : updates.to(x.dtype()).reshape(pos.length);
        switch (reduction) {
            case "none" -> {
                long[] writer = new long[n];
                boolean[] hit = new boolean[n];
                for (int i = 0; i < pos.length; i++) {
                    writer[(int) pos[i]] = i;
                    hit[(int) pos[i]] = true;
                }
                Tensor picked = u.indexSelect(0, longVector(writer));
                return Tensor.where(Tensor.fromArray(hit), picked, flat).reshape(shape);
            }
            case "add" -> {
                return flat.scatterAdd(0, longVector(pos), u).reshape(shape);
            }
            default -> {
                if (x.dtype().isFloating()) {
                    double[] a = flat.toDoubleArray();
                    double[] b = u.toDoubleArray();
                    boolean single = x.dtype() == DType.FLOAT32;
                    for (int i = 0; i < pos.length; i++) {
                        int p = (int) pos[i];
                        double v = switch (reduction) {
                            case "mul" -> a[p] * b[i];
                            case "max" -> Math.max(a[p], b[i]);
                            case "min" -> Math.min(a[p], b[i]);
                            default -> throw ctx.error("reduction '" + reduction + "' is not supported");
                        };
                        a[p] = single ? (float) v : v; // each product rounded as float32 arithmetic rounds it
                    }
                    return Tensor.fromArray(a, shape).to(x.dtype());
                }
                long[] a = flat.toLongArray();
                long[] b = u.toLongArray();
                for (int i = 0; i < pos.length; i++) {
                    int p = (int) pos[i];
                    a[p] = switch (reduction) {
                        case "mul" -> a[p] * b[i];
                        case "max" -> Math.max(a[p], b[i]);
                        case "min" -> Math.min(a[p], b[i]);
                        default -> throw ctx.error("reduction '" + reduction + "' is not supported");
                    };
                }
                return Tensor.fromArray(a, shape).to(x.dtype());
            }
        }
    }

    // ------------------------------------------------------------------ selection and masks

    private static Tensor[] compress(OpContext ctx) {
        Tensor x = ctx.input(0);
        Tensor cond = ctx.input(1);
        if (cond.dim() != 1) {
            throw ctx.error("condition must be 1-D, got shape " + Arrays.toString(cond.shape()));
        }
        Tensor src = x;
        int axis;
        if (ctx.hasAttr("axis")) {
            axis = ctx.axis(ctx.attrInt("axis"), x.dim());
        } else {
            src = x.reshape(x.numel());
            axis = 0;
        }
        int dim = src.size(axis);
        long[] c = cond.to(DType.BOOL).toLongArray();
        long[] keep = new long[c.length];
        int m = 0;
        for (int i = 0; i < c.length; i++) {
            if (c[i] != 0) {
                if (i >= dim) {
                    throw ctx.error("condition selects index " + i + " beyond the size " + dim + " of axis " + axis);
                }
                keep[m++] = i;
            }
        }
        return one(src.indexSelect(axis, longVector(Arrays.copyOf(keep, m))));
    }

    private static Tensor[] nonZero(OpContext ctx) {
        Tensor x = ctx.input(0);
        int[] s = x.dim() == 0 ? new int[] {1} : x.shape();
        double[] v = x.toDoubleArray();
        int nnz = 0;
        for (double d : v) {
            if (d != 0) {
                nnz++;
            }
        }
        long[] out = new long[s.length * nnz];
        int[] counter = new int[s.length];
        for (int i = 0, k = 0; i < v.length; i++) {
            if (v[i] != 0) {
                for (int d = 0; d < s.length; d++) {
                    out[d * nnz + k] = counter[d];
                }
                k++;
            }
            for (int d = s.length - 1; d >= 0; d--) {
                if (++counter[d] < s[d]) {
                    break;
                }
                counter[d] = 0;
            }
        }
        return one(Tensor.fromArray(out, s.length, nnz));
    }

    private static Tensor[] oneHot(OpContext ctx) {
        Tensor indices = ctx.input(0);
        Tensor depthT = ctx.input(1);
        Tensor values = ctx.input(2);
        if (depthT.numel() != 1) {
            throw ctx.error("depth must hold one value, got shape " + Arrays.toString(depthT.shape()));
        }
        if (values.numel() != 2) {
            throw ctx.error("values must hold [off_value, on_value], got shape " + Arrays.toString(values.shape()));
        }
        long depth = (long) depthT.reshape(1).get(0);
        if (depth < 1) {
            throw ctx.error("depth " + depth + " must be positive");
        }
        int rank = indices.dim();
        long axisAttr = ctx.attrInt("axis", -1);
        long axis = axisAttr < 0 ? axisAttr + rank + 1 : axisAttr;
        if (axis < 0 || axis > rank) {
            throw ctx.error("axis " + axisAttr + " is out of range for output rank " + (rank + 1));
        }
        int[] is = indices.shape();
        long[] outShape = new long[rank + 1];
        for (int i = 0, j = 0; i <= rank; i++) {
            outShape[i] = i == axis ? depth : is[j++];
        }
        int[] out = ShapeOps.checkedShape(ctx, outShape, "one-hot shape");
        double[] iv = indices.toDoubleArray();
        int outer = (int) ShapeOps.product(is, 0, (int) axis);
        int inner = (int) ShapeOps.product(is, (int) axis, rank);
        boolean[] mask = new boolean[Math.multiplyExact(iv.length, (int) depth)];
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                long k = (long) iv[o * inner + in];
                k = k < 0 ? k + depth : k;
                if (k >= 0 && k < depth) {
                    mask[(int) ((o * depth + k) * inner + in)] = true;
                }
            }
        }
        Tensor vals = values.reshape(2);
        return one(Tensor.where(Tensor.fromArray(mask, out), vals.select(0, 1), vals.select(0, 0)));
    }

    private static Tensor[] trilu(OpContext ctx) {
        Tensor x = ctx.input(0);
        if (x.dim() < 2) {
            throw ctx.error("input must have rank >= 2");
        }
        long k = 0;
        if (ctx.hasInput(1)) {
            Tensor kt = ctx.input(1);
            if (kt.numel() != 1) {
                throw ctx.error("k must hold one value, got shape " + Arrays.toString(kt.shape()));
            }
            k = ctx.longs(kt)[0];
        }
        boolean upper = ctx.attrInt("upper", 1) != 0;
        if (x.numel() == 0) {
            return one(x);
        }
        int rows = x.size(-2);
        int cols = x.size(-1);
        boolean[] keep = new boolean[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                long diff = (long) j - i;
                keep[i * cols + j] = upper ? diff >= k : diff <= k;
            }
        }
        return one(Tensor.where(Tensor.fromArray(keep, rows, cols), x, Tensor.scalar(0, x.dtype())));
    }

    private static Tensor[] eyeLike(OpContext ctx) {
        Tensor x = ctx.input(0);
        if (x.dim() != 2) {
            throw ctx.error("input must be 2-D, got shape " + Arrays.toString(x.shape()));
        }
        DType dt = ctx.hasAttr("dtype")
                ? dev.graft.onnx.OnnxDataType.of(ctx.attrInt("dtype")).graftOrThrow("EyeLike dtype")
                : x.dtype();
        long k = ctx.attrInt("k", 0);
        int rows = x.size(0);
        int cols = x.size(1);
        double[] v = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            long j = i + k;
            if (j >= 0 && j < cols) {
                v[i * cols + (int) j] = 1;
            }
        }
        return one(Tensor.fromArray(v, rows, cols).to(dt));
    }

    private static Tensor[] reverseSequence(OpContext ctx) {
        Tensor x = ctx.input(0);
        Tensor lens = ctx.input(1);
        if (x.dim() < 2) {
            throw ctx.error("input must have rank >= 2");
        }
        int timeAxis = ctx.axis(ctx.attrInt("time_axis", 0), x.dim());
        int batchAxis = ctx.axis(ctx.attrInt("batch_axis", 1), x.dim());
        if (timeAxis == batchAxis || timeAxis > 1 || batchAxis > 1) {
            throw ctx.error("time_axis " + timeAxis + " and batch_axis " + batchAxis + " must be 0 and 1 in some order");
        }
        int[] s = x.shape();
        long[] len = ctx.longs(lens);
        if (len.length != s[batchAxis]) {
            throw ctx.error("sequence_lens has " + len.length + " entries for a batch of " + s[batchAxis]);
        }
        int steps = s[timeAxis];
        for (long l : len) {
            if (l < 0 || l > steps) {
                throw ctx.error("sequence length " + l + " is out of range [0, " + steps + "]");
            }
        }
        // out[t, b, ...] = x[t < len[b] ? len[b] - 1 - t : t, b, ...], a gather along the time axis
        int inner = (int) ShapeOps.product(s, 2, s.length);
        long[] idx = new long[x.numel()];
        for (int a = 0, p = 0; a < s[0]; a++) {
            for (int b = 0; b < s[1]; b++) {
                int t = timeAxis == 0 ? a : b;
                long l = len[timeAxis == 0 ? b : a];
                long src = t < l ? l - 1 - t : t;
                for (int k = 0; k < inner; k++) {
                    idx[p++] = src;
                }
            }
        }
        return one(x.gather(timeAxis, Tensor.fromArray(idx, s)));
    }
}
