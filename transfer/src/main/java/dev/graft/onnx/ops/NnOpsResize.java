package dev.graft.onnx.ops;

import dev.graft.onnx.OnnxAttribute;
import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;

import java.util.Arrays;

/**
 * Resize (opsets 10–18) and its deprecated alias Upsample (7–9). Interpolation is separable, so for
 * each resized axis the source positions are computed here once, as a few taps per output index
 * (one for nearest, two for linear, four for cubic, more with antialias), each a source index and a
 * weight; the tensor is then gathered with indexSelect and the taps summed with their weights. The
 * arithmetic on X is thus ordinary Tensor ops and differentiable; index and weight computation
 * follows the ONNX reference implementation (x_original per coordinate_transformation_mode, neighbour
 * taps clamped to the edge, exclude_outside renormalising).
 */
final class NnOpsResize {
    private NnOpsResize() {
    }

    static void register(OpRegistry r) {
        r.register("Resize", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                return new Tensor[] {resize(ctx, false)};
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                return reason(node, opset);
            }
        });
        r.register("Upsample", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                return new Tensor[] {resize(ctx, true)};
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                return reason(node, opset);
            }
        });
    }

    private static String str(OnnxNode node, String name, String dflt) {
        OnnxAttribute a = node.attributes().get(name);
        return a == null || a.s() == null ? dflt : a.s();
    }

    static String reason(OnnxNode node, int opset) {
        String mode = str(node, "mode", "nearest");
        if (!mode.equals("nearest") && !mode.equals("linear") && !mode.equals("bilinear") && !mode.equals("cubic")) {
            return "mode '" + mode + "' is not nearest, linear or cubic";
        }
        String ctm = str(node, "coordinate_transformation_mode", "half_pixel");
        switch (ctm) {
            case "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize",
                 "tf_half_pixel_for_nn", "tf_half_pixel_for_nearest" -> {
            }
            default -> {
                return "coordinate_transformation_mode '" + ctm + "' is not supported";
            }
        }
        String nm = str(node, "nearest_mode", "round_prefer_floor");
        if (!Arrays.asList("round_prefer_floor", "round_prefer_ceil", "floor", "ceil").contains(nm)) {
            return "nearest_mode '" + nm + "' is not supported";
        }
        String policy = str(node, "keep_aspect_ratio_policy", "stretch");
        if (!Arrays.asList("stretch", "not_larger", "not_smaller").contains(policy)) {
            return "keep_aspect_ratio_policy '" + policy + "' is not supported";
        }
        return null;
    }

    /** How output coordinates map back to input coordinates, and how nearest rounds. */
    private record Settings(String mode, String ctm, String nearest, double cubicA, boolean excludeOutside, boolean antialias,
                            double extrapolation, boolean legacy) {
    }

    static Tensor resize(OpContext ctx, boolean upsample) {
        Tensor x = ctx.input(0);
        int rank = x.dim();
        int opset = ctx.opset();
        boolean legacy = upsample || opset < 11;
        String mode = ctx.attrString("mode", "nearest");
        if (mode.equals("bilinear")) {
            mode = "linear";
        }
        Settings st = new Settings(mode,
                legacy ? "asymmetric" : ctx.attrString("coordinate_transformation_mode", "half_pixel"),
                ctx.attrString("nearest_mode", "round_prefer_floor"),
                ctx.attrFloat("cubic_coeff_a", -0.75f),
                ctx.attrInt("exclude_outside", 0) != 0,
                ctx.attrInt("antialias", 0) != 0,
                ctx.attrFloat("extrapolation_value", 0f),
                legacy);
        if (!mode.equals("nearest") && !x.dtype().isFloating()) {
            throw ctx.error(mode + " interpolation needs a floating input, got " + x.dtype());
        }
        // Which axes, and the scales or sizes for them.
        int[] axes;
        long[] axesAttr = ctx.attrInts("axes", null);
        if (axesAttr != null) {
            axes = new int[axesAttr.length];
            for (int i = 0; i < axes.length; i++) {
                axes[i] = ctx.axis(axesAttr[i], rank);
            }
        } else {
            axes = new int[rank];
            for (int i = 0; i < rank; i++) {
                axes[i] = i;
            }
        }
        Tensor roiT = null;
        Tensor scalesT;
        Tensor sizesT = null;
        if (upsample && opset < 9) {
            float[] sc = ctx.attrFloats("scales", null);
            if (sc == null) {
                throw ctx.error("attribute 'scales' is required");
            }
            scalesT = Tensor.fromArray(sc, sc.length);
        } else if (legacy) {
            scalesT = ctx.input(1);
        } else {
            roiT = nonEmpty(ctx.optionalInput(1));
            scalesT = nonEmpty(ctx.optionalInput(2));
            sizesT = nonEmpty(ctx.optionalInput(3));
        }
        if ((scalesT == null) == (sizesT == null)) {
            throw ctx.error("exactly one of scales and sizes must be given");
        }
        int k = axes.length;
        double[] scales = new double[rank];
        int[] outSize = x.shape().clone();
        Arrays.fill(scales, 1.0);
        if (scalesT != null) {
            if (!scalesT.dtype().isFloating()) {
                throw ctx.error("scales must be floating, got " + scalesT.dtype());
            }
            double[] sc = scalesT.to(DType.FLOAT64).contiguous().toDoubleArray();
            if (sc.length != k) {
                throw ctx.error("scales " + Arrays.toString(sc) + " must hold " + k + " values");
            }
            for (int i = 0; i < k; i++) {
                if (!(sc[i] > 0) || Double.isInfinite(sc[i])) {
                    throw ctx.error("scales " + Arrays.toString(sc) + " must be positive and finite");
                }
                double o = Math.floor(x.size(axes[i]) * (double) (float) sc[i]);
                if (o > Integer.MAX_VALUE) {
                    throw ctx.error("scale " + sc[i] + " makes axis " + axes[i] + " too long");
                }
                scales[axes[i]] = sc[i];
                outSize[axes[i]] = (int) o;
            }
        } else {
            long[] sz = ctx.longs(sizesT);
            if (sz.length != k) {
                throw ctx.error("sizes " + Arrays.toString(sz) + " must hold " + k + " values");
            }
            String policy = ctx.attrString("keep_aspect_ratio_policy", "stretch");
            if (policy.equals("stretch")) {
                for (int i = 0; i < k; i++) {
                    if (sz[i] < 0 || sz[i] > Integer.MAX_VALUE) {
                        throw ctx.error("sizes " + Arrays.toString(sz) + " must be non-negative int32 values");
                    }
                    outSize[axes[i]] = (int) sz[i];
                    scales[axes[i]] = (double) sz[i] / x.size(axes[i]);
                }
            } else {
                double s = policy.equals("not_larger") ? Double.POSITIVE_INFINITY : 0;
                for (int i = 0; i < k; i++) {
                    double r = (double) sz[i] / x.size(axes[i]);
                    s = policy.equals("not_larger") ? Math.min(s, r) : Math.max(s, r);
                }
                for (int i = 0; i < k; i++) {
                    double o = Math.rint(s * x.size(axes[i]));
                    if (o > Integer.MAX_VALUE) {
                        throw ctx.error("sizes " + Arrays.toString(sz) + " are too large");
                    }
                    outSize[axes[i]] = (int) o;
                    scales[axes[i]] = s;
                }
            }
        }
        double[] roi = null;
        if (st.ctm().equals("tf_crop_and_resize")) {
            if (roiT == null) {
                throw ctx.error("tf_crop_and_resize needs the roi input");
            }
            double[] rv = roiT.to(DType.FLOAT64).contiguous().toDoubleArray();
            if (rv.length != 2 * k && rv.length != 2 * rank) {
                throw ctx.error("roi " + Arrays.toString(rv) + " must hold " + 2 * k + " values (starts, then ends)");
            }
            roi = new double[2 * rank];
            for (int d = 0; d < rank; d++) {
                roi[d] = 0;
                roi[rank + d] = 1;
            }
            int m = rv.length / 2;
            for (int i = 0; i < m; i++) {
                int d = m == rank ? i : axes[i];
                roi[d] = rv[i];
                roi[rank + d] = rv[m + i];
            }
        }
        long total = 1;
        for (int d = 0; d < rank; d++) {
            total *= outSize[d];
        }
        if (total > Integer.MAX_VALUE) {
            throw ctx.error("output shape " + Arrays.toString(outSize) + " is too large");
        }
        Tensor y = x;
        Tensor outside = null;
        for (int d = 0; d < rank; d++) {
            int in = x.size(d);
            boolean crop = roi != null && (roi[d] != 0 || roi[rank + d] != 1 || outSize[d] != in);
            if (outSize[d] == in && scales[d] == 1.0 && !crop) {
                continue;
            }
            if (in == 0) {
                throw ctx.error("cannot resize the empty axis " + d);
            }
            Taps taps = taps(st, in, outSize[d], scales[d], roi == null ? 0 : roi[d], roi == null ? 1 : roi[rank + d]);
            y = apply(y, d, taps, rank);
            if (taps.outside != null) {
                int[] ms = NnOpsConv.ones(rank);
                ms[d] = outSize[d];
                Tensor m = Tensor.fromArray(taps.outside, ms);
                outside = outside == null ? m : outside.logicalOr(m);
            }
        }
        if (outside != null) {
            y = y.maskedFill(outside, st.extrapolation());
        }
        return y;
    }

    private static Tensor nonEmpty(Tensor t) {
        return t == null || t.numel() == 0 ? null : t;
    }

    /** Per output index: {@code idx[t][o]} and {@code w[t][o]} for each tap t; outside marks extrapolated outputs. */
    private record Taps(long[][] idx, double[][] w, boolean[] outside) {
    }

    private static Tensor apply(Tensor x, int axis, Taps taps, int rank) {
        int out = taps.idx()[0].length;
        if (taps.w() == null) {
            return x.indexSelect(axis, Tensor.fromArray(taps.idx()[0], out));
        }
        int[] ws = NnOpsConv.ones(rank);
        ws[axis] = out;
        Tensor acc = null;
        for (int t = 0; t < taps.idx().length; t++) {
            boolean zero = true;
            for (double v : taps.w()[t]) {
                zero &= v == 0;
            }
            if (zero && !(acc == null && t == taps.idx().length - 1)) {
                continue;
            }
            Tensor term = x.indexSelect(axis, Tensor.fromArray(taps.idx()[t], out)).mul(Tensor.fromArray(taps.w()[t], ws).to(x.dtype()));
            acc = acc == null ? term : acc.add(term);
        }
        return acc;
    }

    /**
     * The source coordinate of output index o, per coordinate_transformation_mode (ONNX reference
     * formulas). align_corners and tf_crop_and_resize use the unrounded output length scale * in, as
     * the reference and the node suite do; ONNX Runtime uses the rounded length, which differs only
     * when scales (not sizes) give a fractional length.
     */
    private static double original(Settings st, int o, int in, int out, double scale, double roiStart, double roiEnd) {
        double outLen = scale * in;
        return switch (st.ctm()) {
            case "align_corners" -> outLen == 1 ? 0 : o * (in - 1) / (outLen - 1);
            case "asymmetric" -> o / scale;
            case "tf_crop_and_resize" -> (outLen == 1 ? (roiEnd - roiStart) * (in - 1) / 2 : o * (roiEnd - roiStart) * (in - 1) / (outLen - 1))
                    + roiStart * (in - 1);
            case "pytorch_half_pixel" -> outLen == 1 ? -0.5 : (o + 0.5) / scale - 0.5;
            case "tf_half_pixel_for_nn", "tf_half_pixel_for_nearest" -> (o + 0.5) / scale;
            case "half_pixel_symmetric" -> {
                double adjustment = out / outLen;
                double center = in / 2.0;
                double offset = center * (1 - adjustment);
                yield offset + (o + 0.5) / scale - 0.5;
            }
            default -> (o + 0.5) / scale - 0.5; // half_pixel
        };
    }

    private static Taps taps(Settings st, int in, int out, double scale, double roiStart, double roiEnd) {
        boolean crop = st.ctm().equals("tf_crop_and_resize");
        boolean[] outside = null;
        if (st.mode().equals("nearest")) {
            long[] idx = new long[out];
            for (int o = 0; o < out; o++) {
                double xo = original(st, o, in, out, scale, roiStart, roiEnd);
                if (crop && (xo < 0 || xo > in - 1)) {
                    outside = outside == null ? new boolean[out] : outside;
                    outside[o] = true;
                }
                long i;
                if (st.legacy()) {
                    // ONNX Runtime's rule for Upsample and Resize-10: truncate, or ceil when downsampling
                    i = scale < 1 ? (long) Math.ceil(xo) : (long) xo;
                } else if (xo == Math.floor(xo)) {
                    i = (long) xo;
                } else {
                    double f = Math.floor(xo);
                    double ratio = xo - f;
                    boolean up = switch (st.nearest()) {
                        case "round_prefer_ceil" -> ratio >= 0.5;
                        case "floor" -> false;
                        case "ceil" -> true;
                        default -> ratio > 0.5;
                    };
                    i = (long) f + (up ? 1 : 0);
                }
                idx[o] = Math.max(0, Math.min(in - 1, i));
            }
            return new Taps(new long[][] {idx}, null, outside);
        }
        boolean cubic = st.mode().equals("cubic");
        double s = Math.min(scale, 1.0);
        int n;
        if (!st.antialias() || scale >= 1) {
            n = cubic ? 4 : 2;
        } else if (cubic) {
            n = 2 - 2 * (int) (Math.floor(-2 / s) + 1);
        } else {
            n = 2 - 2 * (int) (Math.floor(-1 / s) + 1);
        }
        long[][] idx = new long[n][out];
        double[][] w = new double[n][out];
        double[] c = new double[n];
        for (int o = 0; o < out; o++) {
            double xo = original(st, o, in, out, scale, roiStart, roiEnd);
            if (crop && (xo < 0 || xo > in - 1)) {
                outside = outside == null ? new boolean[out] : outside;
                outside[o] = true;
                continue; // the extrapolation value replaces this output; taps stay index 0, weight 0
            }
            double base = Math.floor(xo);
            if (base == xo) {
                base -= 1; // ratio 1: prefer the neighbours on the left, as the reference does
            }
            double ratio = xo - base;
            coefficients(st, cubic, ratio, s, c);
            long start = (long) base + 1 - n / 2;
            double sum = 0;
            for (int t = 0; t < n; t++) {
                long p = start + t;
                if (st.excludeOutside() && (p < 0 || p >= in)) {
                    c[t] = 0;
                }
                sum += c[t];
                idx[t][o] = Math.max(0, Math.min(in - 1, p));
            }
            for (int t = 0; t < n; t++) {
                w[t][o] = st.excludeOutside() ? c[t] / sum : c[t];
            }
        }
        return new Taps(idx, w, outside);
    }

    /** Fills c with the tap weights at fractional position ratio in (0, 1]; s = min(scale, 1) for antialias. */
    private static void coefficients(Settings st, boolean cubic, double ratio, double s, double[] c) {
        int n = c.length;
        double a = st.cubicA();
        if (!st.antialias() || s >= 1) {
            if (!cubic) {
                c[0] = 1 - ratio;
                c[1] = ratio;
                return;
            }
            c[0] = ((a * (ratio + 1) - 5 * a) * (ratio + 1) + 8 * a) * (ratio + 1) - 4 * a;
            c[1] = ((a + 2) * ratio - (a + 3)) * ratio * ratio + 1;
            c[2] = ((a + 2) * (1 - ratio) - (a + 3)) * (1 - ratio) * (1 - ratio) + 1;
            c[3] = ((a * ((1 - ratio) + 1) - 5 * a) * ((1 - ratio) + 1) + 8 * a) * ((1 - ratio) + 1) - 4 * a;
            return;
        }
        // Antialias: the kernel stretched by 1/scale, normalised to sum 1.
        int start = 1 - n / 2;
        double sum = 0;
        for (int t = 0; t < n; t++) {
            double arg = Math.abs((start + t - ratio) * s);
            double v;
            if (!cubic) {
                v = Math.max(0, Math.min(1, 1 - arg));
            } else if (arg <= 1) {
                v = ((a + 2) * arg - (a + 3)) * arg * arg + 1;
            } else if (arg < 2) {
                v = ((a * arg - 5 * a) * arg + 8 * a) * arg - 4 * a;
            } else {
                v = 0;
            }
            c[t] = v;
            sum += v;
        }
        for (int t = 0; t < n; t++) {
            c[t] /= sum;
        }
    }
}
