package dev.graft.onnx.ops;

import dev.graft.autograd.NoGrad;
import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.DType;
import dev.graft.tensor.PadMode;
import dev.graft.tensor.Tensor;

import java.util.Arrays;

/**
 * ConvInteger: an integer convolution of 8-bit x and w (minus their zero points) with an INT32
 * result, for 1-D and 2-D spatial inputs. The operands are centred and run through Graft's float64
 * convolution, which is exact: every product and partial sum is an integer far below 2^53.
 * Padding contributes zero after centring, which is what padding with the zero point means.
 * Not differentiable (integer in, integer out). {@link QLinear} (QLinearConv) requantizes the same
 * integer result.
 */
final class QuantOpsConvInteger implements OnnxOp {

    @Override
    public String unsupportedReason(OnnxNode node, int opset) {
        var ks = node.attributes().get("kernel_shape");
        if (ks != null && ks.ints() != null && ks.ints().length > 2) {
            return ks.ints().length + "-D convolution is not supported (1-D and 2-D only)";
        }
        var ap = node.attributes().get("auto_pad");
        if (ap != null && !Arrays.asList("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID").contains(ap.s())) {
            return "auto_pad '" + ap.s() + "' is not an ONNX value";
        }
        return null;
    }

    @Override
    public Tensor[] apply(OpContext ctx) {
        try (NoGrad ignored = NoGrad.enter()) {
            return new Tensor[] {conv(ctx, ctx.input(0), ctx.input(1), ctx.optionalInput(2), ctx.optionalInput(3)).to(DType.INT32)};
        }
    }

    /**
     * QLinearConv: y = saturate(round((conv(x - x_zp, w - w_zp) + B) * x_scale * w_scale / y_scale)
     * + y_zp), with w_scale and w_zp per output channel or per tensor.
     */
    static final class QLinear implements OnnxOp {
        private final QuantOpsConvInteger conv = new QuantOpsConvInteger();

        @Override
        public String unsupportedReason(OnnxNode node, int opset) {
            return conv.unsupportedReason(node, opset);
        }

        @Override
        public Tensor[] apply(OpContext ctx) {
            try (NoGrad ignored = NoGrad.enter()) {
                Tensor w = ctx.input(3);
                Tensor ws = ctx.input(4);
                Tensor yzp = ctx.input(7);
                QuantOps.Q8 type = QuantOps.Q8.of(ctx, yzp, "y_zero_point");
                int m = w.shape()[0];
                if (ws.numel() != 1 && ws.numel() != m) {
                    throw ctx.error("w_scale must be a scalar or have one value per output channel (" + m + ")");
                }
                Tensor acc = conv(ctx, ctx.input(0), w, ctx.input(2), ctx.input(5));
                Tensor bias = ctx.optionalInput(8);
                int[] cs = new int[acc.dim()];
                Arrays.fill(cs, 1);
                cs[1] = m;
                if (bias != null) {
                    if (bias.numel() != m || bias.dtype().isFloating()) {
                        throw ctx.error("B must be int32 with one value per output channel (" + m + ")");
                    }
                    acc = acc.add(bias.to(DType.FLOAT64).reshape(cs));
                }
                float xs = (float) ctx.input(1).item();
                float ys = (float) ctx.input(6).item();
                float[] wsv = ws.contiguous().toFloatArray();
                double[] factor = new double[m];
                for (int c = 0; c < m; c++) {
                    factor[c] = xs * wsv[ws.numel() == 1 ? 0 : c] / ys; // float32 arithmetic, as the reference
                }
                double[] v = acc.contiguous().toDoubleArray();
                int[] shape = acc.shape();
                int inner = v.length == 0 ? 1 : v.length / (shape[0] * m);
                int zp = (int) yzp.contiguous().toLongArray()[0];
                int[] y = new int[v.length];
                for (int i = 0; i < v.length; i++) {
                    y[i] = type.saturate(Math.rint(v[i] * factor[(i / inner) % m]) + zp);
                }
                return new Tensor[] {type.tensor(y, shape, "QLinearConv")};
            }
        }
    }

    /** The exact integer convolution of the centred operands, as integer-valued float64. */
    static Tensor conv(OpContext ctx, Tensor x0, Tensor w0, Tensor xzp, Tensor wzp) {
        QuantOps.Q8.of(ctx, x0, "x");
        QuantOps.Q8.of(ctx, w0, "w");
        if (x0.dim() != 3 && x0.dim() != 4 || w0.dim() != x0.dim()) {
            throw ctx.error("x and w must both be [N, C, L] or [N, C, H, W] (1-D or 2-D convolution)");
        }
        boolean oneD = x0.dim() == 3;
        Tensor x = x0.to(DType.FLOAT64);
        Tensor w = w0.to(DType.FLOAT64);
        if (xzp != null) {
            if (xzp.numel() != 1) {
                throw ctx.error("x_zero_point must be a scalar (per-tensor), got shape " + Arrays.toString(xzp.shape()));
            }
            x = x.sub(xzp.to(DType.FLOAT64).reshape());
        }
        int m = w0.shape()[0];
        if (wzp != null) {
            if (wzp.numel() == 1) {
                w = w.sub(wzp.to(DType.FLOAT64).reshape());
            } else if (wzp.dim() == 1 && wzp.numel() == m) {
                int[] s = new int[w.dim()];
                Arrays.fill(s, 1);
                s[0] = m;
                w = w.sub(wzp.to(DType.FLOAT64).reshape(s));
            } else {
                throw ctx.error("w_zero_point must be a scalar or have one value per output channel (" + m + "), got shape "
                        + Arrays.toString(wzp.shape()));
            }
        }
        if (oneD) {
            x = x.unsqueeze(2);
            w = w.unsqueeze(2);
        }
        int[] in = {x.shape()[2], x.shape()[3]};
        int[] k = {w.shape()[2], w.shape()[3]};
        int sp = oneD ? 1 : 2;
        int[] stride = expand(ctx, ctx.attrIntArray("strides", null), sp, 1, "strides");
        int[] dil = expand(ctx, ctx.attrIntArray("dilations", null), sp, 1, "dilations");
        int[] ksAttr = ctx.attrIntArray("kernel_shape", null);
        if (ksAttr != null && !Arrays.equals(ksAttr, oneD ? new int[] {k[1]} : k)) {
            throw ctx.error("kernel_shape " + Arrays.toString(ksAttr) + " does not match the weight's spatial shape");
        }
        int group = (int) ctx.attrInt("group", 1);
        int[] pads = pads(ctx, oneD, in, k, stride, dil);
        // pads: [hBegin, wBegin, hEnd, wEnd] in 2-D form; Tensor.pad wants [wL, wR, hT, hB]
        x = x.pad(new int[] {pads[1], pads[3], pads[0], pads[2]}, PadMode.CONSTANT, 0);
        Tensor y = x.conv2d(w, null, stride, new int[] {0, 0}, dil, group);
        if (oneD) {
            y = y.squeeze(2);
        }
        return y;
    }

    /** Spatial attribute in 2-D form ([1, v] for 1-D). */
    private static int[] expand(OpContext ctx, int[] v, int sp, int dflt, String what) {
        if (v == null) {
            return new int[] {dflt, dflt};
        }
        if (v.length != sp) {
            throw ctx.error(what + " has " + v.length + " values, expected " + sp);
        }
        for (int x : v) {
            if (x < 1) {
                throw ctx.error(what + " must be positive, got " + Arrays.toString(v));
            }
        }
        return sp == 1 ? new int[] {1, v[0]} : v.clone();
    }

    private static int[] pads(OpContext ctx, boolean oneD, int[] in, int[] k, int[] stride, int[] dil) {
        String autoPad = ctx.attrString("auto_pad", "NOTSET");
        int[] p = new int[4];
        if (autoPad.equals("SAME_UPPER") || autoPad.equals("SAME_LOWER")) {
            for (int d = 0; d < 2; d++) {
                int out = (in[d] + stride[d] - 1) / stride[d];
                int total = Math.max(0, (out - 1) * stride[d] + (k[d] - 1) * dil[d] + 1 - in[d]);
                int small = total / 2;
                p[d] = autoPad.equals("SAME_UPPER") ? small : total - small;
                p[d + 2] = total - p[d];
            }
        } else if (autoPad.equals("NOTSET")) {
            int[] given = ctx.attrIntArray("pads", null);
            if (given != null) {
                int sp = oneD ? 1 : 2;
                if (given.length != 2 * sp) {
                    throw ctx.error("pads has " + given.length + " values, expected " + 2 * sp);
                }
                for (int v : given) {
                    if (v < 0) {
                        throw ctx.error("pads must be non-negative, got " + Arrays.toString(given));
                    }
                }
                p = oneD ? new int[] {0, given[0], 0, given[1]} : given.clone();
            }
        }
        return p;
    }
}
