package dev.graft.onnx.ops;

import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;

import java.util.Arrays;

/**
 * MaxPool, AveragePool, LpPool and the global pools, any spatial rank. Pads, SAME_* auto_pad and
 * ceil_mode become an explicit pad of the input (−inf for max, 0 for sums) so the window reduction
 * itself never pads; AveragePool then divides by a per-position count computed from the geometry,
 * which is how ONNX counts windows that run past the input (count_include_pad=0) or past the
 * declared padding in ceil mode (count_include_pad=1 counts declared pads only, as ONNX Runtime does).
 */
final class NnOpsPool {
    private NnOpsPool() {
    }

    static void register(OpRegistry r) {
        r.register("MaxPool", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                return maxPool(ctx);
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                return NnOpsConv.autoPadReason(node);
            }
        });
        r.register("AveragePool", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                return new Tensor[] {averagePool(ctx)};
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                return NnOpsConv.autoPadReason(node);
            }
        });
        r.register("LpPool", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                return new Tensor[] {lpPool(ctx)};
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                return NnOpsConv.autoPadReason(node);
            }
        });
        r.register("MaxUnpool", NnOpsPool::maxUnpool);
        r.register("GlobalAveragePool", ctx -> new Tensor[] {globalInput(ctx).mean(spatialAxes(ctx.input(0)), true)});
        r.register("GlobalMaxPool", ctx -> new Tensor[] {globalInput(ctx).amax(spatialAxes(ctx.input(0)), true)});
        r.register("GlobalLpPool", ctx -> {
            Tensor x = globalInput(ctx);
            double p = ctx.attrInt("p", 2);
            return new Tensor[] {lpNorm(x, p, spatialAxes(x))};
        });
    }

    private static Tensor globalInput(OpContext ctx) {
        Tensor x = ctx.input(0);
        if (x.dim() < 3) {
            throw ctx.error("input must be [N, C, spatial...] with at least one spatial axis");
        }
        return x;
    }

    static int[] spatialAxes(Tensor x) {
        int[] axes = new int[x.dim() - 2];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i + 2;
        }
        return axes;
    }

    /** (sum |x|^p)^(1/p) over axes, keeping them; p = 1 and 2 avoid pow. */
    static Tensor lpNorm(Tensor x, double p, int[] axes) {
        if (p == 1) {
            return x.abs().sum(axes, true);
        }
        if (p == 2) {
            return x.square().sum(axes, true).sqrt();
        }
        return x.abs().pow(p).sum(axes, true).pow(1.0 / p);
    }

    /** Window geometry of one pooling node on one input. */
    record Window(int[] in, int[] kernel, int[] stride, int[] dilation, int[] begin, int[] end, int[] out, int[] endUsed) {
        int taps() {
            int k = 1;
            for (int v : kernel) {
                k *= v;
            }
            return k;
        }

        boolean noPadding() {
            for (int i = 0; i < in.length; i++) {
                if (begin[i] != 0 || endUsed[i] != 0) {
                    return false;
                }
            }
            return true;
        }
    }

    static Window window(OpContext ctx, Tensor x) {
        if (x.dim() < 3) {
            throw ctx.error("input X must be [N, C, spatial...] with at least one spatial axis");
        }
        int n = x.dim() - 2;
        int[] kernel = ctx.attrIntArray("kernel_shape", null);
        if (kernel == null) {
            throw ctx.error("attribute 'kernel_shape' is required");
        }
        if (kernel.length != n) {
            throw ctx.error("kernel_shape " + Arrays.toString(kernel) + " must hold " + n + " values, one per spatial axis");
        }
        for (int k : kernel) {
            if (k < 1) {
                throw ctx.error("kernel_shape " + Arrays.toString(kernel) + " must be positive");
            }
        }
        int[] stride = NnOpsConv.spatialInts(ctx, "strides", n, 1, 1);
        int[] dilation = NnOpsConv.spatialInts(ctx, "dilations", n, 1, 1);
        boolean ceil = ctx.attrInt("ceil_mode", 0) != 0;
        int[] in = NnOpsConv.spatial(x);
        int[][] pads = NnOpsConv.windowPads(ctx, in, kernel, stride, dilation);
        String auto = NnOpsConv.autoPad(ctx);
        int[] out = new int[n];
        int[] endUsed = new int[n];
        for (int i = 0; i < n; i++) {
            long span = (long) (kernel[i] - 1) * dilation[i] + 1;
            long o;
            if (auto.startsWith("SAME")) {
                o = NnOpsConv.ceilDiv(in[i], stride[i]);
            } else {
                long avail = (long) in[i] + pads[0][i] + pads[1][i] - span;
                if (avail < 0) {
                    throw ctx.error("kernel " + Arrays.toString(kernel) + " (dilations " + Arrays.toString(dilation)
                            + ") does not fit spatial axis " + i + " of size " + in[i] + " with pads " + pads[0][i] + "+" + pads[1][i]);
                }
                o = (ceil ? NnOpsConv.ceilDiv(avail, stride[i]) : avail / stride[i]) + 1;
                // as in PyTorch and ONNX Runtime, the last window must start inside the input or its left padding
                if (ceil && (o - 1) * stride[i] >= (long) in[i] + pads[0][i]) {
                    o--;
                }
            }
            if (o < 1 || o > Integer.MAX_VALUE) {
                throw ctx.error("spatial axis " + i + " of size " + in[i] + " gives " + o + " windows");
            }
            out[i] = (int) o;
            endUsed[i] = (int) ((o - 1) * stride[i] + span - in[i] - pads[0][i]);
        }
        return new Window(in, kernel, stride, dilation, pads[0], pads[1], out, endUsed);
    }

    private static double lowest(DType t) {
        return switch (t) {
            case FLOAT32, FLOAT64 -> Double.NEGATIVE_INFINITY;
            case UINT8, BOOL -> 0;
            case INT32 -> Integer.MIN_VALUE;
            default -> Long.MIN_VALUE;
        };
    }

    // ------------------------------------------------------------------ MaxPool

    static Tensor[] maxPool(OpContext ctx) {
        Tensor x = ctx.input(0);
        Window w = window(ctx, x);
        Tensor y = reduceWindows(x, w, true, lowest(x.dtype()));
        Tensor indices = null;
        if (ctx.outputCount() > 1 && !ctx.node().outputs().get(1).isEmpty()) {
            long order = ctx.attrInt("storage_order", 0);
            if (order != 0 && order != 1) {
                throw ctx.error("storage_order " + order + " must be 0 (row major) or 1 (column major)");
            }
            indices = maxIndices(x, w, order == 1);
        }
        return new Tensor[] {y, indices};
    }

    /**
     * Max (or sum) over every window of x padded by the window's begin/endUsed: no implicit padding
     * is left to the reduction. 1-D runs as 2-D of height 1; 2-D uses Graft's pooling kernels;
     * higher ranks combine one strided slice per kernel tap.
     */
    static Tensor reduceWindows(Tensor x, Window w, boolean max, double padValue) {
        int n = w.in().length;
        // (integer inputs, e.g. int8 held as int32, pad explicitly with their own minimum)
        if (n == 2 && max && x.dtype().isFloating() && nativePadding(w)) {
            return x.maxPool2d(w.kernel(), w.stride(), w.begin(), w.dilation());
        }
        Tensor xp = NnOpsConv.padSpatial(x, w.begin(), w.endUsed(), padValue);
        boolean unitDilation = Arrays.stream(w.dilation()).allMatch(d -> d == 1);
        if (n == 1 && (max || unitDilation)) {
            Window w2 = new Window(new int[] {1, w.in()[0]}, new int[] {1, w.kernel()[0]}, new int[] {1, w.stride()[0]},
                    new int[] {1, w.dilation()[0]}, new int[2], new int[2], new int[] {1, w.out()[0]}, new int[2]);
            return reduceWindows(xp.unsqueeze(2), w2, max, padValue).squeeze(2);
        }
        if (n == 2 && max) {
            return xp.maxPool2d(w.kernel(), w.stride(), new int[2], w.dilation());
        }
        if (n == 2 && unitDilation) {
            return xp.avgPool2d(w.kernel(), w.stride(), new int[2], true).mul(w.taps());
        }
        Tensor acc = null;
        int[] t = new int[n];
        for (int tap = 0; tap < w.taps(); tap++) {
            int rem = tap;
            for (int i = n - 1; i >= 0; i--) {
                t[i] = rem % w.kernel()[i];
                rem /= w.kernel()[i];
            }
            Tensor v = xp;
            for (int i = 0; i < n; i++) {
                int start = t[i] * w.dilation()[i];
                v = v.slice(2 + i, start, start + (w.out()[i] - 1) * w.stride()[i] + 1, w.stride()[i]);
            }
            acc = acc == null ? v : max ? acc.maximum(v) : acc.add(v);
        }
        return acc;
    }

    /**
     * Whether Graft's 2-D pooling can pad by itself: pads equal on both sides, used exactly (no ceil
     * overhang or unused end pad), at most half the kernel, and not more than the output length
     * (larger pads trip the SIMD unfold, so they go the explicit route).
     */
    private static boolean nativePadding(Window w) {
        for (int i = 0; i < w.in().length; i++) {
            int p = w.begin()[i];
            if (p != w.end()[i] || p != w.endUsed()[i] || p > w.kernel()[i] / 2 || p > w.out()[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * ONNX's Indices output: for each window the flat index of its first maximum in the unpadded input,
     * counting batch and channel row-major and the spatial axes row- or column-major.
     */
    static Tensor maxIndices(Tensor x, Window w, boolean columnMajor) {
        int n = w.in().length;
        int[] in = w.in();
        int[] out = w.out();
        long inCount = 1;
        long outCount = 1;
        for (int i = 0; i < n; i++) {
            inCount *= in[i];
            outCount *= out[i];
        }
        long planes = (long) x.size(0) * x.size(1);
        if (planes * outCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("MaxPool indices: " + planes * outCount + " outputs are too many");
        }
        double[] v = x.to(DType.FLOAT64).contiguous().toDoubleArray();
        long[] rowStride = new long[n];
        long[] colStride = new long[n];
        long acc = 1;
        for (int i = n - 1; i >= 0; i--) {
            rowStride[i] = acc;
            acc *= in[i];
        }
        acc = 1;
        for (int i = 0; i < n; i++) {
            colStride[i] = acc;
            acc *= in[i];
        }
        long[] res = new long[(int) (planes * outCount)];
        int[] o = new int[n];
        int[] t = new int[n];
        int taps = w.taps();
        for (long plane = 0; plane < planes; plane++) {
            long base = plane * inCount;
            for (long op = 0; op < outCount; op++) {
                long rem = op;
                for (int i = n - 1; i >= 0; i--) {
                    o[i] = (int) (rem % out[i]);
                    rem /= out[i];
                }
                double best = 0;
                long bestIdx = -1;
                for (int tap = 0; tap < taps; tap++) {
                    int tr = tap;
                    for (int i = n - 1; i >= 0; i--) {
                        t[i] = tr % w.kernel()[i];
                        tr /= w.kernel()[i];
                    }
                    long row = 0;
                    long col = 0;
                    boolean inside = true;
                    for (int i = 0; i < n && inside; i++) {
                        long p = (long) o[i] * w.stride()[i] - w.begin()[i] + (long) t[i] * w.dilation()[i];
                        inside = p >= 0 && p < in[i];
                        row += p * rowStride[i];
                        col += p * colStride[i];
                    }
                    if (!inside) {
                        continue;
                    }
                    double val = v[(int) (base + row)];
                    if (bestIdx < 0 || val > best) {
                        best = val;
                        bestIdx = columnMajor ? col : row;
                    }
                }
                res[(int) (plane * outCount + op)] = base + Math.max(bestIdx, 0);
            }
        }
        int[] shape = new int[n + 2];
        shape[0] = x.size(0);
        shape[1] = x.size(1);
        System.arraycopy(out, 0, shape, 2, n);
        return Tensor.fromArray(res, shape);
    }

    /**
     * MaxUnpool: zeros of the unpooled shape with each X value added at its flat index from
     * MaxPool's Indices (scatterAdd, so differentiable in X). The shape is output_shape when given,
     * else (in-1)*stride + kernel - pads per spatial axis.
     */
    static Tensor[] maxUnpool(OpContext ctx) {
        Tensor x = ctx.input(0);
        Tensor idx = ctx.input(1);
        if (x.dim() < 3 || !Arrays.equals(x.shape(), idx.shape())) {
            throw ctx.error("X must be [N, C, spatial...] and I must have its shape");
        }
        int n = x.dim() - 2;
        int[] kernel = ctx.attrIntArray("kernel_shape", null);
        if (kernel == null || kernel.length != n) {
            throw ctx.error("kernel_shape must hold " + n + " values");
        }
        int[] stride = NnOpsConv.spatialInts(ctx, "strides", n, 1, 1);
        int[][] pads = NnOpsConv.explicitPads(ctx, n);
        // Indices count positions in the default unpooled shape; an output_shape then pads (or crops)
        // its spatial ends, as the ONNX reference does.
        int[] shape = x.shape().clone();
        for (int i = 0; i < n; i++) {
            shape[2 + i] = (x.size(2 + i) - 1) * stride[i] + kernel[i] - pads[0][i] - pads[1][i];
        }
        int[] target = null;
        Tensor outShape = ctx.optionalInput(2);
        if (outShape != null) {
            long[] s = ctx.longs(outShape);
            if (s.length != n + 2 || s[0] != shape[0] || s[1] != shape[1]) {
                throw ctx.error("output_shape " + Arrays.toString(s) + " must be [" + shape[0] + ", " + shape[1] + ", " + n + " spatial sizes]");
            }
            target = ctx.toInts(s, "output_shape");
        }
        long total = 1;
        for (int d : shape) {
            if (d < 0) {
                throw ctx.error("unpooled shape " + Arrays.toString(shape) + " is negative");
            }
            total *= d;
        }
        if (total > Integer.MAX_VALUE) {
            throw ctx.error("unpooled shape " + Arrays.toString(shape) + " is too large");
        }
        long[] iv = ctx.longs(idx);
        for (long v : iv) {
            if (v < 0 || v >= total) {
                throw ctx.error("index " + v + " is outside the unpooled shape " + Arrays.toString(shape));
            }
        }
        Tensor y = Tensor.zeros(x.dtype(), (int) total).scatterAdd(0, Tensor.fromArray(iv, iv.length), x.reshape(-1)).reshape(shape);
        if (target != null) {
            int[] end = new int[n];
            for (int i = 0; i < n; i++) {
                end[i] = target[2 + i] - shape[2 + i];
            }
            y = NnOpsConv.padSpatial(y, new int[n], end, 0.0);
        }
        return new Tensor[] {y};
    }

    // ------------------------------------------------------------------ AveragePool, LpPool

    static Tensor averagePool(OpContext ctx) {
        Tensor x = ctx.input(0);
        if (!x.dtype().isFloating()) {
            throw ctx.error("AveragePool needs a floating input");
        }
        Window w = window(ctx, x);
        boolean includePad = ctx.attrInt("count_include_pad", 0) != 0;
        boolean unitDilation = Arrays.stream(w.dilation()).allMatch(d -> d == 1);
        if (w.in().length == 2 && unitDilation && nativePadding(w)) {
            // symmetric pads within half the kernel and no ceil overhang: Graft's kernel counts as ONNX does
            return x.avgPool2d(w.kernel(), w.stride(), w.begin(), includePad);
        }
        Tensor sum = reduceWindows(x, w, false, 0.0);
        return sum.div(divisor(w, includePad, x.dtype()));
    }

    /**
     * The number of cells each window averages over: those inside the input, or with
     * count_include_pad those inside the input and its declared pads. Separable, so it is the outer
     * product of one count vector per axis.
     */
    static Tensor divisor(Window w, boolean includePad, DType dtype) {
        int n = w.in().length;
        boolean uniform = true;
        double[][] counts = new double[n][];
        for (int i = 0; i < n; i++) {
            int lo = includePad ? -w.begin()[i] : 0;
            long hi = includePad ? (long) w.in()[i] + w.end()[i] : w.in()[i];
            counts[i] = new double[w.out()[i]];
            for (int o = 0; o < w.out()[i]; o++) {
                int c = 0;
                for (int t = 0; t < w.kernel()[i]; t++) {
                    long p = (long) o * w.stride()[i] - w.begin()[i] + (long) t * w.dilation()[i];
                    if (p >= lo && p < hi) {
                        c++;
                    }
                }
                counts[i][o] = c;
                uniform &= c == w.kernel()[i];
            }
        }
        if (uniform) {
            return Tensor.scalar(w.taps(), dtype);
        }
        Tensor d = null;
        for (int i = 0; i < n; i++) {
            int[] shape = NnOpsConv.ones(n + 2);
            shape[2 + i] = w.out()[i];
            Tensor c = Tensor.fromArray(counts[i], shape).to(dtype);
            d = d == null ? c : d.mul(c);
        }
        return d;
    }

    static Tensor lpPool(OpContext ctx) {
        Tensor x = ctx.input(0);
        if (!x.dtype().isFloating()) {
            throw ctx.error("LpPool needs a floating input");
        }
        Window w = window(ctx, x);
        double p = ctx.attrInt("p", 2);
        if (p <= 0) {
            throw ctx.error("p " + p + " must be positive");
        }
        Tensor powered = p == 1 ? x.abs() : p == 2 ? x.square() : x.abs().pow(p);
        Tensor sum = reduceWindows(powered, w, false, 0.0);
        return p == 1 ? sum : p == 2 ? sum.sqrt() : sum.pow(1.0 / p);
    }
}
