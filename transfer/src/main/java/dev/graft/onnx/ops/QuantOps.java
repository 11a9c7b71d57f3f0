package dev.graft.onnx.ops;

import dev.graft.autograd.NoGrad;
import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.DType;
import dev.graft.tensor.Storage;
import dev.graft.tensor.Tensor;

import java.util.Arrays;

/**
 * ONNX's quantization ops: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger,
 * QLinearMatMul, ConvInteger and QLinearConv.
 *
 * <p>Graft holds ONNX int8 values in INT32 tensors and uint8 in UINT8 ones, so an op learns its
 * 8-bit type from the Graft dtype of the zero point (UINT8 = uint8, INT32 = int8). Rounding is
 * half to even and results saturate to the type's range, as the ONNX spec defines. Opset 21's
 * wider types are out of reach of that rule: int16 and uint16 zero points also arrive as INT32 and
 * would be taken for int8, float8 and 4-bit types cannot be held at all (the loader refuses them),
 * and blocked quantization ({@code block_size}) is refused at load time.
 *
 * <p>These ops are not differentiable in their integer outputs (quantization has no useful
 * gradient and integer tensors carry none); only DequantizeLinear, which is composed of Graft ops,
 * passes a gradient to its float scale. Integer products are computed exactly (see
 * {@link QuantOpsIntegerMatMul}).
 */
final class QuantOps {
    private QuantOps() {
    }

    static void register(OpRegistry r) {
        r.register("QuantizeLinear", new QuantizeLinear());
        r.register("DequantizeLinear", new DequantizeLinear());
        r.register("DynamicQuantizeLinear", QuantOps::dynamicQuantizeLinear);
        r.register("MatMulInteger", QuantOps::matMulInteger);
        r.register("QLinearMatMul", QuantOps::qlinearMatMul);
        r.register("ConvInteger", new QuantOpsConvInteger());
        r.register("QLinearConv", new QuantOpsConvInteger.QLinear());
    }

    // ------------------------------------------------------------------ 8-bit types

    /** The two 8-bit types, with their saturation ranges. */
    enum Q8 {
        UINT8(0, 255, DType.UINT8), INT8(-128, 127, DType.INT32);

        final int min;
        final int max;
        final DType graft;

        Q8(int min, int max, DType graft) {
            this.min = min;
            this.max = max;
            this.graft = graft;
        }

        /** The 8-bit type a zero point (or quantized tensor) stands for, by its Graft dtype. */
        static Q8 of(OpContext ctx, Tensor t, String what) {
            return switch (t.dtype()) {
                case UINT8 -> UINT8;
                case INT32 -> INT8;
                default -> throw ctx.error(what + " must be uint8 or int8 (Graft UINT8 or INT32), got " + t.dtype());
            };
        }

        int saturate(double v) {
            // NaN goes to 0 like a C cast of NaN through the runtimes' float-to-int conversion
            return Double.isNaN(v) ? 0 : (int) Math.max(min, Math.min(max, v));
        }

        /** A tensor of this type holding {@code values} (already in range). */
        Tensor tensor(int[] values, int[] shape, String what) {
            if (this == INT8) {
                return Tensor.fromStorage(Storage.wrap(DType.INT32, values), shape, what);
            }
            byte[] b = new byte[values.length];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) values[i];
            }
            return Tensor.fromStorage(Storage.wrap(DType.UINT8, b), shape, what);
        }
    }

    /** How a scale/zero-point applies: one value for the tensor, or one per index along {@code axis}. */
    private record Layout(int axis, int channels, int inner) {
        int channel(int flatIndex) {
            return channels == 1 ? 0 : (flatIndex / inner) % channels;
        }
    }

    /**
     * The layout of a quantization parameter against {@code x}: per tensor when it has one element,
     * else per axis (opset 13+), where it must be 1-D of length {@code x.shape[axis]}.
     */
    private static Layout layout(OpContext ctx, Tensor x, Tensor scale, Tensor zeroPoint) {
        if (zeroPoint != null && zeroPoint.numel() != scale.numel()) {
            throw ctx.error("scale has " + scale.numel() + " elements but zero point has " + zeroPoint.numel()
                    + "; they must match");
        }
        if (scale.numel() == 1) {
            return new Layout(0, 1, 1);
        }
        if (ctx.opset() < 13) {
            throw ctx.error("scale must be a scalar before opset 13 (per-axis quantization came in opset 13), got shape "
                    + Arrays.toString(scale.shape()));
        }
        if (scale.dim() != 1) {
            throw ctx.error("a per-axis scale must be 1-D, got shape " + Arrays.toString(scale.shape()));
        }
        int axis = ctx.axis(ctx.attrInt("axis", 1), x.dim());
        int[] s = x.shape();
        if (s[axis] != scale.numel()) {
            throw ctx.error("per-axis scale has " + scale.numel() + " elements but axis " + axis + " of the input has size "
                    + s[axis]);
        }
        int inner = 1;
        for (int i = axis + 1; i < s.length; i++) {
            inner *= s[i];
        }
        return new Layout(axis, s[axis], inner);
    }

    private static int[] ints(Tensor t) {
        long[] v = t.contiguous().toLongArray();
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = (int) v[i];
        }
        return r;
    }

    // ------------------------------------------------------------------ QuantizeLinear

    /** y = saturate(round_half_even(x / y_scale) + y_zero_point), per tensor or per axis. */
    static final class QuantizeLinear implements OnnxOp {
        @Override
        public String unsupportedReason(OnnxNode node, int opset) {
            var bs = node.attributes().get("block_size");
            if (bs != null && bs.i() != 0) {
                return "blocked quantization (block_size " + bs.i() + ") is not supported";
            }
            var od = node.attributes().get("output_dtype");
            if (od != null && od.i() != 0 && od.i() != 2 && od.i() != 3) {
                return "output_dtype " + od.i() + " is not supported (only uint8 and int8)";
            }
            return null;
        }

        @Override
        public Tensor[] apply(OpContext ctx) {
            Tensor x = ctx.input(0);
            Tensor scale = ctx.input(1);
            Tensor zp = ctx.optionalInput(2);
            Q8 type;
            if (zp != null) {
                type = Q8.of(ctx, zp, "y_zero_point");
            } else {
                type = ctx.attrInt("output_dtype", 0) == 3 ? Q8.INT8 : Q8.UINT8;
            }
            if (!scale.dtype().isFloating()) {
                throw ctx.error("y_scale must be a float tensor, got " + scale.dtype());
            }
            Layout l = layout(ctx, x, scale, zp);
            float[] s = scale.contiguous().toFloatArray();
            int[] z = zp == null ? new int[s.length] : ints(zp);
            int n = x.numel();
            int[] y = new int[n];
            if (x.dtype() == DType.FLOAT32) {
                float[] xv = x.contiguous().toFloatArray();
                for (int i = 0; i < n; i++) {
                    int c = l.channel(i);
                    // float32 division, as the reference and the runtimes compute it
                    y[i] = type.saturate(Math.rint(xv[i] / s[c]) + z[c]);
                }
            } else {
                double[] xv = x.contiguous().toDoubleArray();
                for (int i = 0; i < n; i++) {
                    int c = l.channel(i);
                    y[i] = type.saturate(Math.rint(xv[i] / s[c]) + z[c]);
                }
            }
            return new Tensor[] {type.tensor(y, x.shape(), "QuantizeLinear")};
        }
    }

    // ------------------------------------------------------------------ DequantizeLinear

    /**
     * y = (x - x_zero_point) * x_scale in the scale's float type. Composed of Graft ops, so a
     * gradient reaches the scale (x is integer and gets none).
     */
    static final class DequantizeLinear implements OnnxOp {
        @Override
        public String unsupportedReason(OnnxNode node, int opset) {
            var bs = node.attributes().get("block_size");
            if (bs != null && bs.i() != 0) {
                return "blocked quantization (block_size " + bs.i() + ") is not supported";
            }
            return null;
        }

        @Override
        public Tensor[] apply(OpContext ctx) {
            Tensor x = ctx.input(0);
            Tensor scale = ctx.input(1);
            Tensor zp = ctx.optionalInput(2);
            if (x.dtype().isFloating() || x.dtype() == DType.BOOL) {
                throw ctx.error("x must be an integer tensor (uint8, int8 or int32), got " + x.dtype());
            }
            if (!scale.dtype().isFloating()) {
                throw ctx.error("x_scale must be a float tensor, got " + scale.dtype());
            }
            if (zp != null && zp.dtype() != x.dtype()) {
                throw ctx.error("x_zero_point must have the dtype of x (" + x.dtype() + "), got " + zp.dtype());
            }
            Layout l = layout(ctx, x, scale, zp);
            int[] pshape = new int[x.dim()];
            Arrays.fill(pshape, 1);
            if (l.channels() > 1) {
                pshape[l.axis()] = l.channels();
            }
            Tensor s = scale.reshape(pshape);
            int[] z = zp == null ? new int[] {0} : ints(zp);
            Tensor xf = centeredFloats(x, z, l.inner());
            if (scale.dtype() != DType.FLOAT32) {
                xf = xf.to(scale.dtype());
            }
            return new Tensor[] {xf.mul(s)};
        }
    }

    // ------------------------------------------------------------------ DynamicQuantizeLinear

    /**
     * uint8 quantization with a scale and zero point computed from the data: the range is
     * [min(0, min x), max(0, max x)] mapped onto [0, 255].
     */
    static Tensor[] dynamicQuantizeLinear(OpContext ctx) {
        Tensor x = ctx.input(0);
        if (x.dtype() != DType.FLOAT32) {
            throw ctx.error("x must be float32, got " + x.dtype());
        }
        float[] v = x.contiguous().toFloatArray();
        float lo = 0;
        float hi = 0;
        for (float f : v) {
            // NaN does not move the range, as in the runtimes' min/max scans
            lo = Math.min(lo, Float.isNaN(f) ? 0 : f);
            hi = Math.max(hi, Float.isNaN(f) ? 0 : f);
        }
        float scale = (hi - lo) / 255f;
        int zp;
        byte[] y = new byte[v.length];
        if (!Float.isFinite(scale)) {
            throw ctx.error("x has an infinite value; its quantization range is undefined");
        }
        if (scale == 0) {
            // an all-zero input: every value quantizes to the zero point 0 (the formula would divide by 0)
            zp = 0;
        } else {
            zp = Q8.UINT8.saturate(Math.rint(0f - lo / scale));
            for (int i = 0; i < v.length; i++) {
                y[i] = (byte) Q8.UINT8.saturate(Math.rint(v[i] / scale) + zp);
            }
        }
        Tensor yt = Tensor.fromStorage(Storage.wrap(DType.UINT8, y), x.shape(), "DynamicQuantizeLinear");
        Tensor st = Tensor.scalar(scale, DType.FLOAT32);
        Tensor zt = Tensor.fromStorage(Storage.wrap(DType.UINT8, new byte[] {(byte) zp}), new int[0], "DynamicQuantizeLinear");
        return new Tensor[] {yt, st, zt};
    }

    // ------------------------------------------------------------------ MatMulInteger

    /**
     * A - a_zero_point as float32 integers, with a 1-D zero point of length M applied per row
     * (ONNX's per-row form), any other shape broadcast against A.
     */
    static Tensor centered(OpContext ctx, Tensor a, Tensor zp, boolean rows, String what) {
        Q8.of(ctx, a, what);
        if (zp != null) {
            Q8.of(ctx, zp, what + " zero point");
            if (zp.dtype() != a.dtype()) {
                throw ctx.error(what + " zero point must have the dtype of " + what + " (" + a.dtype() + "), got " + zp.dtype());
            }
        }
        int[] s = a.shape();
        int[] z;
        int period; // zero point index = (flat index / period) % z.length
        if (zp == null || zp.numel() == 1) {
            z = zp == null ? new int[] {0} : ints(zp);
            period = 1;
        } else if (zp.dim() == 1 && a.dim() >= 2) {
            int m = s[s.length - 2];
            int n = s[s.length - 1];
            if (rows && zp.numel() == m) {
                period = n;
            } else if (!rows && zp.numel() == n) {
                period = 1;
            } else {
                throw ctx.error(what + " zero point has " + zp.numel() + " elements; a per-" + (rows ? "row" : "column")
                        + " zero point needs " + (rows ? m : n));
            }
            z = ints(zp);
        } else {
            // an N-D zero point ([..., M, 1] or [..., 1, N]): broadcast with Graft ops
            try {
                return a.to(DType.FLOAT32).sub(zp.to(DType.FLOAT32));
            } catch (RuntimeException e) {
                throw ctx.error(what + " zero point of shape " + Arrays.toString(zp.shape()) + " does not broadcast against "
                        + Arrays.toString(a.shape()));
            }
        }
        return centeredFloats(a, z, period);
    }

    /**
     * {@code float(x) - float(z[(i / period) % z.length])} for every flat index i of an integer
     * tensor, in one pass over its array (Graft's general dtype conversion is much slower). Exact
     * for 8-bit values; int32 values convert to float as the reference does.
     */
    static Tensor centeredFloats(Tensor x, int[] z, int period) {
        Tensor c = x.contiguous();
        int n = c.numel();
        int off = c.offset();
        float[] f = new float[n];
        int zl = z.length;
        switch (c.dtype()) {
            case UINT8 -> {
                byte[] v = (byte[]) c.storage().hostForRead();
                if (zl == 1) {
                    float z0 = z[0];
                    for (int i = 0; i < n; i++) {
                        f[i] = (v[off + i] & 0xFF) - z0;
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        f[i] = (v[off + i] & 0xFF) - (float) z[(i / period) % zl];
                    }
                }
            }
            case INT32 -> {
                int[] v = (int[]) c.storage().hostForRead();
                for (int i = 0; i < n; i++) {
                    f[i] = (float) v[off + i] - (float) z[zl == 1 ? 0 : (i / period) % zl];
                }
            }
            default -> {
                long[] v = c.toLongArray();
                for (int i = 0; i < n; i++) {
                    f[i] = (float) v[i] - (float) z[zl == 1 ? 0 : (i / period) % zl];
                }
            }
        }
        return Tensor.fromStorage(Storage.wrap(DType.FLOAT32, f), x.shape(), "centeredFloats");
    }

    static Tensor[] matMulInteger(OpContext ctx) {
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor a = centered(ctx, ctx.input(0), ctx.optionalInput(2), true, "A");
            CenteredB b = centeredB(ctx, ctx.input(1), ctx.optionalInput(3));
            checkInner(ctx, a, b.centered());
            return new Tensor[] {QuantOpsIntegerMatMul.matmul(a, b.centered(), b.stats())};
        }
    }

    /** B - b_zero_point as float32 and its bound statistics, with the tensors and versions they came from. */
    private record CenteredB(java.lang.ref.WeakReference<Tensor> zp, int version, int zpVersion, Tensor centered, double[] stats) {
    }

    /**
     * MatMulInteger's B is almost always a weight initializer: the same tensor object on every run.
     * Its centered float copy and bound statistics are kept per B tensor (weak keys: a dropped
     * model's entries go with it) and reused while B and its zero point are the same objects with
     * the same storage versions, so a forward no longer converts every weight matrix on every call
     * (it was most of the int8 model's time). The price is a float32 copy of each int8 weight.
     */
    private static final java.util.Map<Tensor, CenteredB> B_CACHE = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    private static CenteredB centeredB(OpContext ctx, Tensor b, Tensor zp) {
        CenteredB c = B_CACHE.get(b);
        int zpVersion = zp == null ? -1 : zp.storage().version();
        if (c != null && c.version() == b.storage().version() && c.zp().get() == zp && c.zpVersion() == zpVersion) {
            return c;
        }
        Tensor centered = centered(ctx, b, zp, false, "B");
        c = new CenteredB(new java.lang.ref.WeakReference<>(zp), b.storage().version(), zpVersion, centered,
                QuantOpsIntegerMatMul.bStats(centered));
        B_CACHE.put(b, c);
        return c;
    }

    private static void checkInner(OpContext ctx, Tensor a, Tensor b) {
        int ka = a.shape()[a.dim() - 1];
        int kb = b.dim() == 1 ? b.shape()[0] : b.shape()[b.dim() - 2];
        if (ka != kb) {
            throw ctx.error("inner dimensions differ: A has K=" + ka + ", B has K=" + kb);
        }
    }

    // ------------------------------------------------------------------ QLinearMatMul

    /**
     * y = saturate(round((a - a_zp) @ (b - b_zp) * a_scale * b_scale / y_scale) + y_zp), with the
     * integer product exact and the requantization in float.
     */
    static Tensor[] qlinearMatMul(OpContext ctx) {
        try (NoGrad ignored = NoGrad.enter()) {
            Tensor a = centered(ctx, ctx.input(0), ctx.input(2), true, "a");
            Tensor b = centered(ctx, ctx.input(3), ctx.input(5), false, "b");
            checkInner(ctx, a, b);
            Tensor yzp = ctx.input(7);
            Q8 type = Q8.of(ctx, yzp, "y_zero_point");
            Tensor as = ctx.input(1);
            Tensor bs = ctx.input(4);
            Tensor ys = ctx.input(6);
            if (ys.numel() != 1 || yzp.numel() != 1) {
                throw ctx.error("y_scale and y_zero_point must be scalars");
            }
            Tensor c = QuantOpsIntegerMatMul.matmul(a, b);
            // per-row a_scale [M] and per-column b_scale [N] broadcast like the zero points
            Tensor sa = as.numel() == 1 ? as.reshape() : as.reshape(as.numel(), 1);
            Tensor sb = bs.numel() == 1 ? bs.reshape() : bs.reshape(1, bs.numel());
            Tensor factor = sa.to(DType.FLOAT32).mul(sb.to(DType.FLOAT32)).div(ys.reshape().to(DType.FLOAT32));
            Tensor d = c.to(DType.FLOAT64).mul(factor.to(DType.FLOAT64)).contiguous();
            double[] dv = d.toDoubleArray();
            int zp = (int) yzp.contiguous().toLongArray()[0];
            int[] y = new int[dv.length];
            for (int i = 0; i < y.length; i++) {
                y[i] = type.saturate(Math.rint(dv[i]) + zp);
            }
            return new Tensor[] {type.tensor(y, d.shape(), "QLinearMatMul")};
        }
    }
}
