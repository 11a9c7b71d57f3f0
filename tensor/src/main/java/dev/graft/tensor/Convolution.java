package dev.graft.tensor;

import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.backend.Conv2dKernels;
import dev.graft.tensor.backend.VectorInfo;
import dev.graft.tensor.backend.simd.MaxPool2x2;

/** Convolution (im2col + batched GEMM), pooling (im2col + reduction) and padding. */
final class Convolution {
    private Convolution() {
    }

    /** Output length of a sliding window, or a clear error when the window does not fit. */
    static int outSize(String op, int in, int k, int s, int p, int d, String axis) {
        int span = d * (k - 1) + 1;
        int o = Math.floorDiv(in + 2 * p - span, s) + 1;
        if (o <= 0) {
            throw new TensorShapeException(op + ": kernel of size " + k + " (dilation " + d + ") does not fit the input "
                    + axis + " of size " + in + " with padding " + p);
        }
        return o;
    }

    private static int[] pair(String op, String name, int[] v, int min) {
        if (v == null || v.length != 2) {
            throw new IllegalArgumentException(op + ": " + name + " must have two values (height, width), got "
                    + java.util.Arrays.toString(v));
        }
        for (int x : v) {
            if (x < min) {
                throw new IllegalArgumentException(op + ": " + name + " must be >= " + min + ", got " + java.util.Arrays.toString(v));
            }
        }
        return v;
    }

    static Tensor conv2d(Tensor x0, Tensor w0, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        return conv2d("conv2d", x0, w0, bias, stride, padding, dilation, groups);
    }

    /** {@code op} names the user's call in error messages (conv1d runs as a conv2d of height 1). */
    private static Tensor conv2d(String op, Tensor x0, Tensor w0, Tensor bias, int[] stride, int[] padding, int[] dilation,
                                 int groups) {
        pair(op, "stride", stride, 1);
        pair(op, "padding", padding, 0);
        pair(op, "dilation", dilation, 1);
        if (x0 == null || w0 == null) {
            throw new IllegalArgumentException(op + ": input and weight must not be null");
        }
        boolean unbatched = x0.dim() == 3;
        if (x0.dim() != 4 && !unbatched) {
            throw new TensorShapeException(op + ": input must be [N, C, H, W] or [C, H, W], got " + Shape.str(x0.shape()));
        }
        if (w0.dim() != 4) {
            throw new TensorShapeException(op + ": weight must be [out, in/groups, kh, kw], got " + Shape.str(w0.shape()));
        }
        Tensor.requireFloatingTensor(op, x0);
        Tensor.requireFloatingTensor(op, w0);
        if (x0.dtype() != w0.dtype() || (bias != null && bias.dtype() != w0.dtype())) {
            throw new TensorTypeException(op + ": input (" + x0.dtype() + "), weight (" + w0.dtype() + ")"
                    + (bias == null ? "" : " and bias (" + bias.dtype() + ")") + " must have the same dtype");
        }
        DType dt = DType.promote(x0.dtype(), w0.dtype());
        Tensor x = (unbatched ? x0.detach().unsqueeze(0) : x0.detach()).to(dt);
        Tensor w = w0.detach().to(dt);
        int[] xs = x.shape();
        int[] ws = w.shape();
        int n = xs[0];
        int c = xs[1];
        int o = ws[0];
        if (groups < 1 || c % groups != 0 || o % groups != 0) {
            throw new TensorShapeException(op + ": groups = " + groups + " must divide both input channels (" + c
                    + ") and output channels (" + o + ")");
        }
        if (ws[1] * groups != c) {
            throw new TensorShapeException(op + ": weight " + Shape.str(ws) + " expects " + ws[1] * groups
                    + " input channels (" + ws[1] + " per group x " + groups + " groups), input " + Shape.str(x0.shape())
                    + " has " + c);
        }
        if (bias != null && (bias.dim() != 1 || bias.size(0) != o)) {
            throw new TensorShapeException(op + ": bias must be [" + o + "], got " + Shape.str(bias.shape()));
        }
        int kh = ws[2];
        int kw = ws[3];
        int oh = outSize(op, xs[2], kh, stride[0], padding[0], dilation[0], "height");
        int ow = outSize(op, xs[3], kw, stride[1], padding[1], dilation[1], "width");
        int[] g = {kh, kw, stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1]};
        Tensor[] inputs = bias == null ? new Tensor[] {x0, w0} : new Tensor[] {x0, w0, bias};
        if (Conv2dKernels.applies(x, w, groups)) {
            Tensor out = Conv2dKernels.forward(x, w, bias == null ? null : bias.detach().to(dt), g, oh, ow, groups);
            if (unbatched) {
                out = out.reshape(o, oh, ow);
            }
            return out.record("conv2d", inputs, stride.clone(), padding.clone(), dilation.clone(), groups);
        }
        Tensor cols = Tensor.zeros(x.device(), dt, n, c, kh * kw, oh, ow);
        Backends.current().unfold2d(x, g, 0.0, cols);
        int ck = (c / groups) * kh * kw;
        int l = oh * ow;
        Tensor out;
        if (groups == 1) {
            out = Tensor.zeros(x.device(), dt, n, o, l);
            Backends.current().matmul(w.reshape(1, o, ck).expand(n, o, ck), cols.reshape(n, ck, l), out);
        } else {
            out = Tensor.zeros(x.device(), dt, n, groups, o / groups, l);
            Backends.current().matmul(w.reshape(1, groups, o / groups, ck).expand(n, groups, o / groups, ck),
                    cols.reshape(n, groups, ck, l), out);
        }
        out = out.reshape(n, o, oh, ow);
        if (bias != null) {
            out = out.add(bias.detach().to(dt).reshape(1, o, 1, 1)).detach();
        }
        if (unbatched) {
            out = out.reshape(o, oh, ow);
        }
        return out.record("conv2d", inputs, stride.clone(), padding.clone(), dilation.clone(), groups);
    }

    static Tensor unfold2d(Tensor x0, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        String op = "unfold2d";
        pair(op, "kernel", kernel, 1);
        pair(op, "stride", stride, 1);
        pair(op, "padding", padding, 0);
        pair(op, "dilation", dilation, 1);
        if (x0.dim() != 4) {
            throw new TensorShapeException(op + ": input must be [N, C, H, W], got " + Shape.str(x0.shape()));
        }
        Tensor.requireComputable(op, x0);
        int[] xs = x0.shape();
        int oh = outSize(op, xs[2], kernel[0], stride[0], padding[0], dilation[0], "height");
        int ow = outSize(op, xs[3], kernel[1], stride[1], padding[1], dilation[1], "width");
        int[] g = {kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1]};
        Tensor cols = Tensor.zeros(x0.device(), x0.dtype(), xs[0], xs[1], kernel[0] * kernel[1], oh, ow);
        Backends.current().unfold2d(x0.detach(), g, 0.0, cols);
        Tensor out = cols.reshape(xs[0], xs[1] * kernel[0] * kernel[1], oh * ow).detach();
        return out.record(op, new Tensor[] {x0}, kernel.clone(), stride.clone(), padding.clone(), dilation.clone());
    }

    static Tensor fold2d(Tensor cols0, int[] outputSize, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        String op = "fold2d";
        pair(op, "outputSize", outputSize, 1);
        pair(op, "kernel", kernel, 1);
        pair(op, "stride", stride, 1);
        pair(op, "padding", padding, 0);
        pair(op, "dilation", dilation, 1);
        Tensor.requireComputable(op, cols0);
        int kk = kernel[0] * kernel[1];
        int oh = outSize(op, outputSize[0], kernel[0], stride[0], padding[0], dilation[0], "height");
        int ow = outSize(op, outputSize[1], kernel[1], stride[1], padding[1], dilation[1], "width");
        int[] cs = cols0.shape();
        if (cs.length != 3 || cs[1] % kk != 0 || cs[2] != oh * ow) {
            throw new TensorShapeException(op + ": input must be [N, C*" + kk + ", " + (oh * ow) + "] for output size "
                    + java.util.Arrays.toString(outputSize) + " and kernel " + java.util.Arrays.toString(kernel) + ", got "
                    + Shape.str(cs));
        }
        int c = cs[1] / kk;
        int[] g = {kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1]};
        Tensor out = Tensor.zeros(cols0.device(), cols0.dtype(), cs[0], c, outputSize[0], outputSize[1]);
        Backends.current().fold2d(cols0.detach().reshape(cs[0], c, kk, oh, ow), g, out);
        return out.record(op, new Tensor[] {cols0}, kernel.clone(), stride.clone(), padding.clone(), dilation.clone());
    }

    static Tensor conv1d(Tensor x, Tensor w, Tensor bias, int stride, int padding, int dilation, int groups) {
        if (x.dim() != 3 && x.dim() != 2) {
            throw new TensorShapeException("conv1d: input must be [N, C, L] or [C, L], got " + Shape.str(x.shape()));
        }
        if (w.dim() != 3) {
            throw new TensorShapeException("conv1d: weight must be [out, in/groups, k], got " + Shape.str(w.shape()));
        }
        int c = x.size(x.dim() - 2);
        if (groups >= 1 && w.size(1) * groups != c) {
            throw new TensorShapeException("conv1d: weight " + Shape.str(w.shape()) + " expects " + w.size(1) * groups
                    + " input channels (" + w.size(1) + " per group x " + groups + " groups), input " + Shape.str(x.shape()) + " has " + c);
        }
        Tensor r = conv2d("conv1d", x.unsqueeze(-2), w.unsqueeze(-2), bias, new int[] {1, stride}, new int[] {0, padding},
                new int[] {1, dilation}, groups);
        return r.squeeze(-2);
    }

    private static Tensor batched4d(String op, Tensor x) {
        if (x.dim() == 3) {
            return x.detach().unsqueeze(0);
        }
        if (x.dim() != 4) {
            throw new TensorShapeException(op + ": input must be [N, C, H, W] or [C, H, W], got " + Shape.str(x.shape()));
        }
        return x.detach();
    }

    private static void checkPoolPadding(String op, int[] kernel, int[] padding) {
        for (int i = 0; i < 2; i++) {
            if (padding[i] > kernel[i] / 2) {
                throw new IllegalArgumentException(op + ": padding " + java.util.Arrays.toString(padding)
                        + " must be at most half the kernel " + java.util.Arrays.toString(kernel));
            }
        }
    }

    /** The pad value max pooling never selects: the dtype's lowest value (int32 needs its own: Long.MIN_VALUE narrows to 0). */
    private static double lowest(DType dt) {
        return switch (dt) {
            case INT32 -> Integer.MIN_VALUE;
            case INT64 -> Long.MIN_VALUE;
            case UINT8, BOOL -> 0;
            default -> Double.NEGATIVE_INFINITY;
        };
    }

    static Tensor maxPool2d(Tensor x0, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        String op = "maxPool2d";
        pair(op, "kernel", kernel, 1);
        pair(op, "stride", stride, 1);
        pair(op, "padding", padding, 0);
        pair(op, "dilation", dilation, 1);
        checkPoolPadding(op, kernel, padding);
        Tensor.requireComputable(op, x0);
        Tensor x = batched4d(op, x0);
        int[] xs = x.shape();
        int oh = outSize(op, xs[2], kernel[0], stride[0], padding[0], dilation[0], "height");
        int ow = outSize(op, xs[3], kernel[1], stride[1], padding[1], dilation[1], "width");
        int[] g = {kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1]};
        Tensor values;
        Tensor positions;
        if (x.device().isCpu() && VectorInfo.available() && MaxPool2x2.applies(x.dtype(), g)) {
            // the common 2 x 2 / stride 2 window straight from the input, without the im2col buffer
            values = Tensor.empty(DType.FLOAT32, xs[0], xs[1], oh, ow);
            positions = Tensor.empty(DType.UINT8, xs[0], xs[1], oh, ow);
            MaxPool2x2.forward(x.contiguous(), values, positions);
        } else {
            Tensor cols = Tensor.zeros(x.device(), x.dtype(), xs[0], xs[1], kernel[0] * kernel[1], oh, ow);
            Backends.current().unfold2d(x, g, lowest(x.dtype()), cols);
            ValuesIndices m = cols.max(2, false);
            values = m.values();
            positions = m.indices();
        }
        Tensor out = x0.dim() == 3 ? values.reshape(xs[1], oh, ow) : values;
        Tensor arg = x0.dim() == 3 ? positions.reshape(xs[1], oh, ow) : positions;
        return out.detach().record(op, new Tensor[] {x0}, g, arg);
    }

    static Tensor avgPool2d(Tensor x0, int[] kernel, int[] stride, int[] padding, boolean countIncludePad) {
        String op = "avgPool2d";
        pair(op, "kernel", kernel, 1);
        pair(op, "stride", stride, 1);
        pair(op, "padding", padding, 0);
        checkPoolPadding(op, kernel, padding);
        Tensor.requireFloatingTensor(op, x0);
        Tensor x = batched4d(op, x0);
        int[] xs = x.shape();
        int oh = outSize(op, xs[2], kernel[0], stride[0], padding[0], 1, "height");
        int ow = outSize(op, xs[3], kernel[1], stride[1], padding[1], 1, "width");
        int[] g = {kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1], 1, 1};
        Tensor cols = Tensor.zeros(x.device(), x.dtype(), xs[0], xs[1], kernel[0] * kernel[1], oh, ow);
        Backends.current().unfold2d(x, g, 0.0, cols);
        Tensor sum = cols.sum(new int[] {2}, false);
        Tensor divisor;
        if (countIncludePad || (padding[0] == 0 && padding[1] == 0)) {
            divisor = Tensor.scalar(kernel[0] * kernel[1], x.dtype());
        } else {
            Tensor ones = Tensor.ones(x.dtype(), 1, 1, xs[2], xs[3]);
            Tensor oc = Tensor.empty(x.dtype(), 1, 1, kernel[0] * kernel[1], oh, ow);
            Backends.current().unfold2d(ones, g, 0.0, oc);
            divisor = oc.sum(new int[] {2}, false);
        }
        Tensor out = sum.div(divisor).detach();
        if (x0.dim() == 3) {
            out = out.reshape(xs[1], oh, ow);
        }
        return out.record(op, new Tensor[] {x0}, g, divisor);
    }

    static Tensor pad(Tensor x, int[] pads, PadMode mode, double value) {
        String op = "pad";
        if (pads.length % 2 != 0 || pads.length / 2 > x.dim()) {
            throw new TensorShapeException(op + ": pads " + java.util.Arrays.toString(pads) + " must hold a (left, right) pair"
                    + " for at most " + x.dim() + " trailing dimensions of shape " + Shape.str(x.shape()));
        }
        Tensor.requireComputable(op, x);
        int rank = x.dim();
        int[] xs = x.shape();
        if (mode == PadMode.CONSTANT) {
            int[] os = xs.clone();
            Tensor src = x.detach();
            for (int i = 0; i < pads.length / 2; i++) {
                int d = rank - 1 - i;
                os[d] = xs[d] + pads[2 * i] + pads[2 * i + 1];
                if (os[d] < 0) {
                    throw new TensorShapeException(op + ": pads " + java.util.Arrays.toString(pads) + " crop dimension " + d
                            + " of size " + xs[d] + " below zero");
                }
                int cropL = Math.max(0, -pads[2 * i]);
                int cropR = Math.max(0, -pads[2 * i + 1]);
                src = src.narrow(d, cropL, Math.max(0, xs[d] - cropL - cropR));
            }
            Tensor out = Tensor.full(x.device(), value, x.dtype(), os);
            Tensor dst = out.detach();
            for (int i = 0; i < pads.length / 2; i++) {
                int d = rank - 1 - i;
                dst = dst.narrow(d, Math.max(0, pads[2 * i]), src.shape()[d]);
            }
            if (src.numel() > 0) {
                Backends.current().copy(src, dst);
            }
            return out.record("padConstant", new Tensor[] {x}, (Object) pads.clone());
        }
        Tensor r = x;
        for (int i = 0; i < pads.length / 2; i++) {
            int d = rank - 1 - i;
            int left = pads[2 * i];
            int right = pads[2 * i + 1];
            int n = xs[d];
            if (left < 0 || right < 0) {
                throw new TensorShapeException(op + ": " + mode + " padding must be non-negative, got " + java.util.Arrays.toString(pads));
            }
            if (mode == PadMode.REFLECT && (left >= n || right >= n)) {
                throw new TensorShapeException(op + ": reflect padding (" + left + ", " + right + ") must be smaller than dimension "
                        + d + " of size " + n + " (shape " + Shape.str(xs) + ")");
            }
            if (n == 0 && (left > 0 || right > 0)) {
                throw new TensorShapeException(op + ": cannot " + mode + "-pad the empty dimension " + d);
            }
            long[] idx = new long[n + left + right];
            for (int j = 0; j < idx.length; j++) {
                int p = j - left;
                if (mode == PadMode.REFLECT) {
                    p = p < 0 ? -p : (p >= n ? 2 * (n - 1) - p : p);
                } else {
                    p = Math.max(0, Math.min(n - 1, p));
                }
                idx[j] = p;
            }
            r = r.indexSelect(d, Tensor.fromArray(idx));
        }
        return r;
    }
}
