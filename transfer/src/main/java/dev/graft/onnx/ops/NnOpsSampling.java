package dev.graft.onnx.ops;

import dev.graft.onnx.OnnxAttribute;
import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Ops that sample X at computed positions: GridSample (opset 16 4-D, opset 20 N-D) and RoiAlign (opsets 10, 16),
 * plus AffineGrid (opset 20), which makes GridSample's grid.
 * Positions and interpolation weights are computed here as plain arrays (tap index into the flattened
 * image plus weight, per output element); X is then gathered and weighted with Tensor ops, so the
 * result is differentiable in X. The sampling positions themselves (GridSample's grid, RoiAlign's
 * boxes) are treated as data and receive no gradient.
 */
final class NnOpsSampling {
    private NnOpsSampling() {
    }

    static void register(OpRegistry r) {
        r.register("GridSample", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                return new Tensor[] {gridSample(ctx)};
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                String mode = str(node, "mode", "bilinear");
                if (!Arrays.asList("bilinear", "nearest", "bicubic", "linear", "cubic").contains(mode)) {
                    return "mode '" + mode + "' is not bilinear, nearest or bicubic";
                }
                String pad = str(node, "padding_mode", "zeros");
                if (!Arrays.asList("zeros", "border", "reflection").contains(pad)) {
                    return "padding_mode '" + pad + "' is not zeros, border or reflection";
                }
                return null;
            }
        });
        r.register("AffineGrid", ctx -> new Tensor[] {affineGrid(ctx)});
        r.register("RoiAlign", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                return new Tensor[] {roiAlign(ctx)};
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                String mode = str(node, "mode", "avg");
                if (!mode.equals("avg") && !mode.equals("max")) {
                    return "mode '" + mode + "' is not avg or max";
                }
                String ctm = str(node, "coordinate_transformation_mode", "half_pixel");
                if (!ctm.equals("half_pixel") && !ctm.equals("output_half_pixel")) {
                    return "coordinate_transformation_mode '" + ctm + "' is not half_pixel or output_half_pixel";
                }
                return null;
            }
        });
    }

    private static String str(OnnxNode node, String name, String dflt) {
        OnnxAttribute a = node.attributes().get(name);
        return a == null || a.s() == null ? dflt : a.s();
    }

    /** Bound on gathered elements, so a huge request fails with a message instead of exhausting memory. */
    private static final long MAX_GATHER = 1L << 28;

    /**
     * X [N, C, H, W] gathered at flat indices idx [N, P*T] (into H*W), weighted by w [N, P*T] and
     * summed (or maxed) over each group of T taps: [N, C, P].
     */
    private static Tensor gatherTaps(OpContext ctx, Tensor xFlat, long[] idx, double[] w, int n, int p, int t, boolean max) {
        int c = xFlat.size(1);
        if ((long) n * c * p * t > MAX_GATHER) {
            throw ctx.error("sampling needs " + (long) n * c * p * t + " gathered values, more than " + MAX_GATHER);
        }
        Tensor index = Tensor.fromArray(idx, n, 1, p * t).expand(n, c, p * t).contiguous();
        Tensor weighted = xFlat.gather(2, index).mul(Tensor.fromArray(w, n, 1, p * t).to(xFlat.dtype())).reshape(n, c, p, t);
        return max ? weighted.amax(new int[] {3}, false) : weighted.sum(new int[] {3}, false);
    }

    // ------------------------------------------------------------------ GridSample

    /**
     * GridSample, 4-D (opset 16) or N-D (opset 20): grid [N, out..., r] holds, per output point,
     * normalised coordinates in [-1, 1] with the first one along the last spatial axis (x, then y, then
     * z). Bicubic is 2-D only, as the spec says.
     */
    static Tensor gridSample(OpContext ctx) {
        Tensor x = ctx.input(0);
        Tensor grid = ctx.input(1);
        int r = x.dim() - 2;
        if (r < 1 || grid.dim() != r + 2 || grid.size(0) != x.size(0) || grid.size(r + 1) != r) {
            throw ctx.error("X must be [N, C, spatial...] and grid [N, out..., " + Math.max(r, 1) + "] of the same spatial rank");
        }
        if (!x.dtype().isFloating() || !grid.dtype().isFloating()) {
            throw ctx.error("X and grid must be floating");
        }
        String mode = ctx.attrString("mode", "bilinear");
        mode = mode.equals("linear") ? "bilinear" : mode.equals("cubic") ? "bicubic" : mode;
        if (mode.equals("bicubic") && r != 2) {
            throw ctx.error("bicubic sampling is defined for 2-D images only");
        }
        String padding = ctx.attrString("padding_mode", "zeros");
        boolean align = ctx.attrInt("align_corners", 0) != 0;
        int n = x.size(0);
        int c = x.size(1);
        int[] in = Arrays.copyOfRange(x.shape(), 2, r + 2);
        long[] stride = new long[r];
        long plane = 1;
        for (int d = r - 1; d >= 0; d--) {
            stride[d] = plane;
            plane *= in[d];
        }
        long pl = 1;
        for (int d = 1; d <= r; d++) {
            pl *= grid.size(d);
        }
        int t = mode.equals("nearest") ? 1 : mode.equals("bilinear") ? 1 << r : 16;
        if (n * pl * t > MAX_GATHER || plane > Integer.MAX_VALUE) {
            throw ctx.error("grid of " + n * pl + " points is too large");
        }
        int p = (int) pl;
        double[] g = grid.to(DType.FLOAT64).contiguous().toDoubleArray();
        long[] idx = new long[n * p * t];
        double[] wt = new double[n * p * t];
        double[] pos = new double[r]; // source coordinate per spatial axis (axis order, not grid order)
        double[] tap = new double[r];
        double[][] cub = new double[r][4];
        for (int b = 0; b < n; b++) {
            for (int q = 0; q < p; q++) {
                int base = (b * p + q) * t;
                for (int d = 0; d < r; d++) {
                    pos[d] = unnormalize(g[(b * p + q) * r + (r - 1 - d)], in[d], align);
                }
                if (mode.equals("bicubic")) {
                    // taps at floor-1 .. floor+2 per axis; padding applies to each tap, not to the point
                    for (int d = 0; d < r; d++) {
                        cubic(pos[d] - Math.floor(pos[d]), cub[d]);
                    }
                    for (int k = 0; k < 16; k++) {
                        double weight = 1;
                        for (int d = 0; d < r; d++) {
                            int off = (k >> (2 * (r - 1 - d))) & 3;
                            tap[d] = source(Math.floor(pos[d]) - 1 + off, in[d], padding, align);
                            weight *= cub[d][off];
                        }
                        set(idx, wt, base + k, tap, in, stride, weight);
                    }
                    continue;
                }
                for (int d = 0; d < r; d++) {
                    pos[d] = source(pos[d], in[d], padding, align);
                }
                if (mode.equals("nearest")) {
                    for (int d = 0; d < r; d++) {
                        tap[d] = Math.rint(pos[d]);
                    }
                    set(idx, wt, base, tap, in, stride, 1);
                    continue;
                }
                for (int k = 0; k < t; k++) {
                    double weight = 1;
                    for (int d = 0; d < r; d++) {
                        double f = Math.floor(pos[d]);
                        double l = pos[d] - f;
                        boolean high = ((k >> (r - 1 - d)) & 1) != 0;
                        tap[d] = high ? f + 1 : f;
                        weight *= high ? l : 1 - l;
                    }
                    set(idx, wt, base + k, tap, in, stride, weight);
                }
            }
        }
        Tensor y = gatherTaps(ctx, x.reshape(n, c, (int) plane), idx, wt, n, p, t, false);
        int[] shape = new int[r + 2];
        shape[0] = n;
        shape[1] = c;
        for (int d = 1; d <= r; d++) {
            shape[d + 1] = grid.size(d);
        }
        return y.reshape(shape);
    }

    /** A tap at integer position pos: its flat index and weight, or index 0 and weight 0 outside the image (zero padding). */
    private static void set(long[] idx, double[] wt, int k, double[] pos, int[] in, long[] stride, double weight) {
        long flat = 0;
        for (int d = 0; d < pos.length; d++) {
            if (!(pos[d] >= 0 && pos[d] <= in[d] - 1)) {
                return;
            }
            flat += (long) pos[d] * stride[d];
        }
        idx[k] = flat;
        wt[k] = weight;
    }

    private static double unnormalize(double v, int size, boolean align) {
        return align ? (v + 1) / 2 * (size - 1) : ((v + 1) * size - 1) / 2;
    }

    /** Applies padding_mode to a source coordinate: border clamps, reflection mirrors then clamps, zeros leaves it. */
    private static double source(double v, int size, String padding, boolean align) {
        if (padding.equals("border")) {
            return Math.max(0, Math.min(size - 1, v));
        }
        if (padding.equals("reflection")) {
            double r = align ? reflect(v, 0, 2.0 * (size - 1)) : reflect(v, -1, 2.0 * size - 1);
            return Math.max(0, Math.min(size - 1, r));
        }
        return v;
    }

    /** Mirrors v into [twiceLow/2, twiceHigh/2], as PyTorch's grid sampler does. */
    private static double reflect(double v, double twiceLow, double twiceHigh) {
        if (twiceLow == twiceHigh) {
            return 0;
        }
        double min = twiceLow / 2;
        double span = (twiceHigh - twiceLow) / 2;
        double in = Math.abs(v - min);
        double extra = in % span;
        long flips = (long) Math.floor(in / span);
        return flips % 2 == 0 ? extra + min : span - extra + min;
    }

    /** Cubic convolution weights (A = -0.75) of the taps at -1, 0, 1, 2 around a fractional offset t. */
    private static void cubic(double t, double[] c) {
        double a = -0.75;
        double x0 = t + 1;
        double x3 = 2 - t;
        c[0] = ((a * x0 - 5 * a) * x0 + 8 * a) * x0 - 4 * a;
        c[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
        c[2] = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1;
        c[3] = ((a * x3 - 5 * a) * x3 + 8 * a) * x3 - 4 * a;
    }

    /**
     * AffineGrid (opset 20): the sampling grid of GridSample for a batch of affine maps theta
     * [N, 2, 3] (2-D) or [N, 3, 4] (3-D): base pixel-centre coordinates in [-1, 1] (corner pixels at
     * ±1 with align_corners) times theta transposed, so the grid is differentiable in theta.
     */
    static Tensor affineGrid(OpContext ctx) {
        Tensor theta = ctx.input(0);
        long[] size = ctx.longs(ctx.input(1));
        boolean align = ctx.attrInt("align_corners", 0) != 0;
        int n = size.length - 2;
        if ((n != 2 && n != 3) || theta.dim() != 3 || theta.size(0) != size[0] || theta.size(1) != n || theta.size(2) != n + 1
                || !theta.dtype().isFloating()) {
            throw ctx.error("theta must be floating [N, 2, 3] with size [N, C, H, W], or [N, 3, 4] with size [N, C, D, H, W]");
        }
        long points = 1;
        for (int i = 2; i < size.length; i++) {
            if (size[i] < 1) {
                throw ctx.error("size " + Arrays.toString(size) + " must be positive");
            }
            points *= size[i];
        }
        if (points * (n + 1) > MAX_GATHER) {
            throw ctx.error("size " + Arrays.toString(size) + " is too large");
        }
        // base [points, n+1]: (x, y[, z], 1) with x varying fastest (the last spatial axis)
        double[] base = new double[(int) points * (n + 1)];
        int[] dims = new int[n];
        for (int i = 0; i < n; i++) {
            dims[i] = (int) size[2 + i];
        }
        int[] pos = new int[n];
        for (int p = 0; p < points; p++) {
            int rem = p;
            for (int i = n - 1; i >= 0; i--) {
                pos[i] = rem % dims[i];
                rem /= dims[i];
            }
            for (int c = 0; c < n; c++) {
                int axis = n - 1 - c; // coordinate 0 is x, the last axis
                int len = dims[axis];
                double v = align ? (len == 1 ? 0 : -1 + 2.0 * pos[axis] / (len - 1)) : (2.0 * pos[axis] + 1) / len - 1;
                base[p * (n + 1) + c] = v;
            }
            base[p * (n + 1) + n] = 1;
        }
        Tensor b = Tensor.fromArray(base, (int) points, n + 1).to(theta.dtype());
        Tensor grid = b.matmul(theta.transpose(1, 2)); // [N, points, n]
        int[] shape = new int[n + 2];
        shape[0] = (int) size[0];
        System.arraycopy(dims, 0, shape, 1, n);
        shape[n + 1] = n;
        return grid.reshape(shape);
    }

    // ------------------------------------------------------------------ RoiAlign

    /**
     * RoiAlign as ONNX Runtime computes it: each output bin averages (or, in max mode, takes the
     * largest weighted corner of) a grid of bilinear samples; samples beyond one pixel outside the
     * image count with weight 0. Opset 10 behaves as output_half_pixel (no half-pixel shift, boxes at
     * least one pixel wide), opset 16 defaults to half_pixel.
     */
    static Tensor roiAlign(OpContext ctx) {
        Tensor x = ctx.input(0);
        Tensor rois = ctx.input(1);
        Tensor batchIdx = ctx.input(2);
        if (x.dim() != 4 || !x.dtype().isFloating()) {
            throw ctx.error("X must be a floating [N, C, H, W] tensor");
        }
        if (rois.dim() != 2 || rois.size(1) != 4 || batchIdx.dim() != 1 || batchIdx.size(0) != rois.size(0)) {
            throw ctx.error("rois must be [num_rois, 4] and batch_indices [num_rois]");
        }
        boolean max = ctx.attrString("mode", "avg").equals("max");
        long ohL = ctx.attrInt("output_height", 1);
        long owL = ctx.attrInt("output_width", 1);
        long ratio = ctx.attrInt("sampling_ratio", 0);
        double scale = ctx.attrFloat("spatial_scale", 1f);
        boolean halfPixel = ctx.opset() >= 16 && ctx.attrString("coordinate_transformation_mode", "half_pixel").equals("half_pixel");
        if (ohL < 1 || owL < 1 || ohL * owL > Integer.MAX_VALUE || ratio < 0) {
            throw ctx.error("output_height/output_width must be positive and sampling_ratio non-negative");
        }
        int oh = (int) ohL;
        int ow = (int) owL;
        int n = x.size(0);
        int c = x.size(1);
        int h = x.size(2);
        int w = x.size(3);
        int r = rois.size(0);
        double[] box = rois.to(DType.FLOAT64).contiguous().toDoubleArray();
        long[] bi = ctx.longs(batchIdx);
        double offset = halfPixel ? 0.5 : 0;
        int bins = oh * ow;
        // one tap list per (roi, bin): flat index into N*H*W and weight; avg merges repeated pixels
        @SuppressWarnings("unchecked")
        Map<Long, Double>[] merged = max ? null : new Map[r * bins];
        long[][] maxIdx = max ? new long[r * bins][] : null;
        double[][] maxW = max ? new double[r * bins][] : null;
        int taps = 1;
        for (int k = 0; k < r; k++) {
            if (bi[k] < 0 || bi[k] >= n) {
                throw ctx.error("batch index " + bi[k] + " of roi " + k + " is outside [0, " + n + ")");
            }
            double sw = box[4 * k] * scale - offset;
            double sh = box[4 * k + 1] * scale - offset;
            double rw = box[4 * k + 2] * scale - offset - sw;
            double rh = box[4 * k + 3] * scale - offset - sh;
            if (!halfPixel) {
                rw = Math.max(rw, 1);
                rh = Math.max(rh, 1);
            }
            double binH = rh / oh;
            double binW = rw / ow;
            long gh = ratio > 0 ? ratio : (long) Math.ceil(rh / oh);
            long gw = ratio > 0 ? ratio : (long) Math.ceil(rw / ow);
            gh = Math.max(gh, 0);
            gw = Math.max(gw, 0);
            if (gh * gw * 4 > 1 << 20) {
                throw ctx.error("roi " + k + " needs " + gh + "x" + gw + " samples per bin; set sampling_ratio");
            }
            double count = Math.max(gh * gw, 1);
            long plane = bi[k] * (long) h * w;
            for (int py = 0; py < oh; py++) {
                for (int px = 0; px < ow; px++) {
                    int bin = k * bins + py * ow + px;
                    Map<Long, Double> m = max ? null : new LinkedHashMap<>();
                    long[] mi = max ? new long[(int) (gh * gw * 4)] : null;
                    double[] mw = max ? new double[(int) (gh * gw * 4)] : null;
                    int s = 0;
                    for (int iy = 0; iy < gh; iy++) {
                        double yy = sh + py * binH + (iy + 0.5) * binH / gh;
                        for (int ix = 0; ix < gw; ix++, s++) {
                            double xx = sw + px * binW + (ix + 0.5) * binW / gw;
                            long[] ci = new long[4];
                            double[] cw = new double[4];
                            bilinearCorners(yy, xx, h, w, ci, cw);
                            for (int q = 0; q < 4; q++) {
                                if (max) {
                                    mi[4 * s + q] = plane + ci[q];
                                    mw[4 * s + q] = cw[q];
                                } else if (cw[q] != 0) {
                                    m.merge(plane + ci[q], cw[q] / count, Double::sum);
                                }
                            }
                        }
                    }
                    if (max) {
                        maxIdx[bin] = mi;
                        maxW[bin] = mw;
                        taps = Math.max(taps, mi.length);
                    } else {
                        merged[bin] = m;
                        taps = Math.max(taps, m.size());
                    }
                }
            }
        }
        if ((long) r * bins * taps > MAX_GATHER) {
            throw ctx.error(r + " rois of " + bins + " bins need " + (long) r * bins * taps + " taps, too many");
        }
        long[] idx = new long[r * bins * taps];
        double[] wt = new double[r * bins * taps];
        for (int b = 0; b < r * bins; b++) {
            int base = b * taps;
            int used = 0;
            if (max) {
                for (; used < maxIdx[b].length; used++) {
                    idx[base + used] = maxIdx[b][used];
                    wt[base + used] = maxW[b][used];
                }
            } else {
                for (Map.Entry<Long, Double> e : merged[b].entrySet()) {
                    idx[base + used] = e.getKey();
                    wt[base + used] = e.getValue();
                    used++;
                }
            }
            // padding taps: weight 0 for the average; for the max a copy of the first tap (or a zero)
            for (int q = used; q < taps; q++) {
                idx[base + q] = used > 0 ? idx[base] : 0;
                wt[base + q] = max && used > 0 ? wt[base] : 0;
            }
        }
        // all rois as one batch of one: X as [1, C, N*H*W]
        Tensor xFlat = x.reshape(n, c, h * w).transpose(0, 1).reshape(1, c, n * h * w);
        Tensor y = gatherTaps(ctx, xFlat, idx, wt, 1, r * bins, taps, max); // [1, C, R*bins]
        return y.reshape(c, r, oh, ow).transpose(0, 1);
    }

    /** ONNX Runtime's bilinear corners of a RoiAlign sample: weights 0 beyond one pixel outside the image. */
    private static void bilinearCorners(double y, double x, int h, int w, long[] idx, double[] wt) {
        if (y < -1.0 || y > h || x < -1.0 || x > w) {
            return; // all weights stay 0, indices 0
        }
        y = Math.max(y, 0);
        x = Math.max(x, 0);
        int yl = (int) y;
        int xl = (int) x;
        int yh;
        int xh;
        if (yl >= h - 1) {
            yh = yl = h - 1;
            y = yl;
        } else {
            yh = yl + 1;
        }
        if (xl >= w - 1) {
            xh = xl = w - 1;
            x = xl;
        } else {
            xh = xl + 1;
        }
        double ly = y - yl;
        double lx = x - xl;
        double hy = 1 - ly;
        double hx = 1 - lx;
        idx[0] = (long) yl * w + xl;
        idx[1] = (long) yl * w + xh;
        idx[2] = (long) yh * w + xl;
        idx[3] = (long) yh * w + xh;
        wt[0] = hy * hx;
        wt[1] = hy * lx;
        wt[2] = ly * hx;
        wt[3] = ly * lx;
    }
}
