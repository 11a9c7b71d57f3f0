package dev.graft.onnx.ops;

import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.PadMode;
import dev.graft.tensor.Tensor;

import java.util.Arrays;

/**
 * Conv and ConvTranspose of any spatial rank, plus the window geometry (strides, dilations, pads,
 * auto_pad) they share with the pooling ops. 1-D and 2-D run on Graft's conv1d/conv2d and
 * fold2d; higher ranks are sums of 2-D convolutions over the leading kernel axes, so every path is
 * differentiable in input, weight and bias.
 */
final class NnOpsConv {
    private NnOpsConv() {
    }

    static void register(OpRegistry r) {
        r.register("Conv", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                return new Tensor[] {conv(ctx)};
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                return autoPadReason(node);
            }
        });
        r.register("Col2Im", ctx -> new Tensor[] {col2im(ctx)});
        r.register("ConvTranspose", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                return new Tensor[] {convTranspose(ctx)};
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                return autoPadReason(node);
            }
        });
    }

    /**
     * Col2Im (opset 18), the adjoint of im2col: blocks [N, C*prod(block), L] summed back into an
     * image [N, C, image_shape...]. 1-D and 2-D run on fold2d over the padded image, then the pads
     * are cut off, so asymmetric pads need no special case.
     */
    static Tensor col2im(OpContext ctx) {
        Tensor cols = ctx.input(0);
        long[] image = ctx.longs(ctx.input(1));
        long[] block = ctx.longs(ctx.input(2));
        int n = image.length;
        if (n < 1 || n > 2 || block.length != n) {
            throw ctx.error("image_shape and block_shape must both hold 1 or 2 sizes (1-D or 2-D images), got "
                    + Arrays.toString(image) + " and " + Arrays.toString(block));
        }
        if (cols.dim() != 3 || !cols.dtype().isFloating()) {
            throw ctx.error("input must be a floating [N, C*prod(block_shape), L] tensor");
        }
        int[] stride = spatialInts(ctx, "strides", n, 1, 1);
        int[] dilation = spatialInts(ctx, "dilations", n, 1, 1);
        int[][] pads = explicitPads(ctx, n);
        int[] size = new int[2];
        int[] kernel = new int[2];
        int[] st = {1, 1};
        int[] dil = {1, 1};
        size[0] = 1;
        kernel[0] = 1;
        for (int i = 0; i < n; i++) {
            int j = 2 - n + i;
            long padded = image[i] + pads[0][i] + pads[1][i];
            if (image[i] < 1 || block[i] < 1 || padded > Integer.MAX_VALUE || block[i] > Integer.MAX_VALUE) {
                throw ctx.error("image_shape " + Arrays.toString(image) + " and block_shape " + Arrays.toString(block) + " must be positive");
            }
            size[j] = (int) padded;
            kernel[j] = (int) block[i];
            st[j] = stride[i];
            dil[j] = dilation[i];
        }
        Tensor y = cols.fold2d(size, kernel, st, new int[2], dil);
        if (n == 1) {
            y = y.squeeze(2);
        }
        int[] begin = new int[n];
        int[] end = new int[n];
        for (int i = 0; i < n; i++) {
            begin[i] = -pads[0][i];
            end[i] = -pads[1][i];
        }
        return padSpatial(y, begin, end, 0.0);
    }

    // ------------------------------------------------------------------ geometry

    static String autoPadReason(OnnxNode node) {
        var a = node.attributes().get("auto_pad");
        if (a == null || a.s() == null) {
            return null;
        }
        return switch (a.s()) {
            case "", "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER" -> null;
            default -> "auto_pad '" + a.s() + "' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER";
        };
    }

    static String autoPad(OpContext ctx) {
        String s = ctx.attrString("auto_pad", "NOTSET");
        return s.isEmpty() ? "NOTSET" : s;
    }

    /** One value per spatial axis from an ints attribute, each at least {@code min}. */
    static int[] spatialInts(OpContext ctx, String name, int n, int dflt, int min) {
        int[] v = ctx.attrIntArray(name, null);
        if (v == null) {
            v = new int[n];
            Arrays.fill(v, dflt);
        }
        if (v.length != n) {
            throw ctx.error("attribute '" + name + "' has " + v.length + " values " + Arrays.toString(v) + ", expected " + n
                    + " (one per spatial axis)");
        }
        for (int x : v) {
            if (x < min) {
                throw ctx.error("attribute '" + name + "' " + Arrays.toString(v) + " must hold values >= " + min);
            }
        }
        return v;
    }

    /** The explicit 'pads' attribute split into begin and end halves (all zero when absent). */
    static int[][] explicitPads(OpContext ctx, int n) {
        int[] p = ctx.attrIntArray("pads", null);
        if (p == null) {
            return new int[][] {new int[n], new int[n]};
        }
        if (p.length != 2 * n) {
            throw ctx.error("attribute 'pads' " + Arrays.toString(p) + " must hold " + 2 * n
                    + " values (begin and end for each of " + n + " spatial axes)");
        }
        for (int x : p) {
            if (x < 0) {
                throw ctx.error("attribute 'pads' " + Arrays.toString(p) + " must not be negative");
            }
        }
        return new int[][] {Arrays.copyOfRange(p, 0, n), Arrays.copyOfRange(p, n, 2 * n)};
    }

    /**
     * Begin and end pads of a sliding window (Conv and the pools): explicit pads, none for VALID, or
     * the SAME_* split that makes the output ceil(in / stride), the odd cell at the end for
     * SAME_UPPER and at the beginning for SAME_LOWER.
     */
    static int[][] windowPads(OpContext ctx, int[] in, int[] kernel, int[] stride, int[] dilation) {
        int n = in.length;
        String auto = autoPad(ctx);
        switch (auto) {
            case "NOTSET":
                return explicitPads(ctx, n);
            case "VALID":
                return new int[][] {new int[n], new int[n]};
            case "SAME_UPPER":
            case "SAME_LOWER": {
                int[] b = new int[n];
                int[] e = new int[n];
                for (int i = 0; i < n; i++) {
                    long out = ceilDiv(in[i], stride[i]);
                    long total = Math.max(0, (out - 1) * stride[i] + (long) (kernel[i] - 1) * dilation[i] + 1 - in[i]);
                    long small = total / 2;
                    b[i] = (int) (auto.equals("SAME_UPPER") ? small : total - small);
                    e[i] = (int) (total - b[i]);
                }
                return new int[][] {b, e};
            }
            default:
                throw ctx.error("auto_pad '" + auto + "' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
        }
    }

    static long ceilDiv(long a, long b) {
        return Math.floorDiv(a + b - 1, b);
    }

    /** The spatial sizes of x (dims 2..). */
    static int[] spatial(Tensor x) {
        return Arrays.copyOfRange(x.shape(), 2, x.dim());
    }

    /**
     * Pads the spatial axes of x [N, C, ...] by begin/end (negative values crop), with a constant.
     * Returns x itself when nothing changes.
     */
    static Tensor padSpatial(Tensor x, int[] begin, int[] end, double value) {
        int n = begin.length;
        boolean any = false;
        int[] p = new int[2 * n];
        for (int i = 0; i < n; i++) {
            int axisFromEnd = n - 1 - i;
            p[2 * axisFromEnd] = begin[i];
            p[2 * axisFromEnd + 1] = end[i];
            any |= begin[i] != 0 || end[i] != 0;
        }
        return any ? x.pad(p, PadMode.CONSTANT, value) : x;
    }

    static boolean symmetric(int[][] pads) {
        return Arrays.equals(pads[0], pads[1]);
    }

    static int[] ones(int n) {
        int[] v = new int[n];
        Arrays.fill(v, 1);
        return v;
    }

    // ------------------------------------------------------------------ Conv

    /**
     * Conv's and ConvTranspose's shared operand checks: X is [N, C, spatial...], W has X's rank and
     * dtype, and a kernel_shape attribute, when present, equals W's spatial shape (returned).
     */
    private static int[] checkedKernel(OpContext ctx, Tensor x, Tensor w, String weightLayout) {
        int r = x.dim();
        if (r < 3) {
            throw ctx.error("input X must be [N, C, spatial...] with at least one spatial axis");
        }
        if (w.dim() != r) {
            throw ctx.error("weight W must have the rank of X (" + r + "), " + weightLayout);
        }
        if (!x.dtype().isFloating() || x.dtype() != w.dtype()) {
            throw ctx.error("X and W must be floating tensors of one dtype");
        }
        int[] kernel = Arrays.copyOfRange(w.shape(), 2, r);
        int[] ks = ctx.attrIntArray("kernel_shape", null);
        if (ks != null && !Arrays.equals(ks, kernel)) {
            throw ctx.error("kernel_shape " + Arrays.toString(ks) + " does not match the weight's spatial shape " + Arrays.toString(kernel));
        }
        return kernel;
    }

    static Tensor conv(OpContext ctx) {
        Tensor x = ctx.input(0);
        Tensor w = ctx.input(1);
        Tensor b = ctx.optionalInput(2);
        int r = x.dim();
        int[] kernel = checkedKernel(ctx, x, w, "[M, C/group, k...]");
        int n = r - 2;
        int[] stride = spatialInts(ctx, "strides", n, 1, 1);
        int[] dilation = spatialInts(ctx, "dilations", n, 1, 1);
        long g = ctx.attrInt("group", 1);
        int c = x.size(1);
        int m = w.size(0);
        if (g < 1 || c % g != 0 || m % g != 0 || (long) w.size(1) * g != c) {
            throw ctx.error("group " + g + " must divide the input channels " + c + " and output channels " + m
                    + ", and W's second dim must be C/group");
        }
        if (b != null && (b.dim() != 1 || b.size(0) != m || b.dtype() != x.dtype())) {
            throw ctx.error("bias B must be [" + m + "] of X's dtype");
        }
        int[] in = spatial(x);
        int[][] pads = windowPads(ctx, in, kernel, stride, dilation);
        for (int i = 0; i < n; i++) {
            long span = (long) (kernel[i] - 1) * dilation[i] + 1;
            if ((long) in[i] + pads[0][i] + pads[1][i] < span) {
                throw ctx.error("kernel " + Arrays.toString(kernel) + " (dilations " + Arrays.toString(dilation)
                        + ") does not fit spatial axis " + i + " of size " + in[i] + " with pads " + pads[0][i] + "+" + pads[1][i]);
            }
        }
        return convNd(x, w, b, stride, dilation, pads, (int) g);
    }

    /** Convolution with pads [begin[], end[]]; x [N, C, ...], w [M, C/g, k...]. */
    static Tensor convNd(Tensor x, Tensor w, Tensor b, int[] stride, int[] dilation, int[][] pads, int groups) {
        int n = x.dim() - 2;
        if (n <= 2 && symmetric(pads) && nativePaddingSafe(x, w, stride, dilation, pads[0])) {
            return conv12(x, w, b, stride, dilation, pads[0], groups);
        }
        Tensor xp = padSpatial(x, pads[0], pads[1], 0.0);
        Tensor y = n <= 2 ? conv12(xp, w, b, stride, dilation, new int[n], groups) : convValid(xp, w, stride, dilation, groups);
        if (n > 2 && b != null) {
            y = y.add(b.reshape(broadcastShape(b.size(0), y.dim())));
        }
        return y;
    }

    /**
     * Graft's SIMD unfold (as of this writing) fails when a padding exceeds the number of output
     * columns (e.g. length 1, kernel 5, pad 2); such inputs are padded explicitly instead.
     */
    private static boolean nativePaddingSafe(Tensor x, Tensor w, int[] stride, int[] dilation, int[] pad) {
        for (int i = 0; i < pad.length; i++) {
            long span = (long) (w.size(2 + i) - 1) * dilation[i] + 1;
            long out = ((long) x.size(2 + i) + 2L * pad[i] - span) / stride[i] + 1;
            if (pad[i] > out) {
                return false;
            }
        }
        return true;
    }

    static int[] broadcastShape(int channels, int rank) {
        int[] s = ones(rank);
        s[1] = channels;
        return s;
    }

    private static Tensor conv12(Tensor x, Tensor w, Tensor b, int[] stride, int[] dilation, int[] pad, int groups) {
        if (x.dim() == 3) {
            return x.conv1d(w, b, stride[0], pad[0], dilation[0], groups);
        }
        return x.conv2d(w, b, stride, pad, dilation, groups);
    }

    /**
     * Unpadded convolution of any spatial rank: rank 1 and 2 directly, higher ranks as the sum over
     * the first kernel axis of lower-rank convolutions, with the first output axis folded into the batch.
     */
    static Tensor convValid(Tensor x, Tensor w, int[] stride, int[] dilation, int groups) {
        int n = x.dim() - 2;
        if (n <= 2) {
            return conv12(x, w, null, stride, dilation, new int[n], groups);
        }
        int batch = x.size(0);
        int c = x.size(1);
        int k0 = w.size(2);
        int out0 = (x.size(2) - ((k0 - 1) * dilation[0] + 1)) / stride[0] + 1;
        int[] rest = Arrays.copyOfRange(x.shape(), 3, x.dim());
        int[] restStride = Arrays.copyOfRange(stride, 1, n);
        int[] restDil = Arrays.copyOfRange(dilation, 1, n);
        Tensor acc = null;
        for (int k = 0; k < k0; k++) {
            int start = k * dilation[0];
            Tensor xs = x.slice(2, start, start + (out0 - 1) * stride[0] + 1, stride[0]).transpose(1, 2);
            int[] folded = new int[2 + rest.length];
            folded[0] = batch * out0;
            folded[1] = c;
            System.arraycopy(rest, 0, folded, 2, rest.length);
            Tensor yk = convValid(xs.reshape(folded), w.select(2, k), restStride, restDil, groups);
            acc = acc == null ? yk : acc.add(yk);
        }
        int[] ys = acc.shape(); // [batch*out0, M, rest_out...]
        int[] unfolded = new int[ys.length + 1];
        unfolded[0] = batch;
        unfolded[1] = out0;
        System.arraycopy(ys, 1, unfolded, 2, ys.length - 1);
        return acc.reshape(unfolded).transpose(1, 2);
    }

    // ------------------------------------------------------------------ ConvTranspose

    static Tensor convTranspose(OpContext ctx) {
        Tensor x = ctx.input(0);
        Tensor w = ctx.input(1);
        Tensor b = ctx.optionalInput(2);
        int r = x.dim();
        int[] kernel = checkedKernel(ctx, x, w, "[C, M/group, k...]");
        int n = r - 2;
        int[] stride = spatialInts(ctx, "strides", n, 1, 1);
        int[] dilation = spatialInts(ctx, "dilations", n, 1, 1);
        int[] outPad = spatialInts(ctx, "output_padding", n, 0, 0);
        long g = ctx.attrInt("group", 1);
        int c = x.size(1);
        if (g < 1 || c % g != 0 || w.size(0) != c) {
            throw ctx.error("group " + g + " must divide the input channels " + c + " and W must be [" + c + ", M/group, k...]");
        }
        long mLong = (long) w.size(1) * g;
        if (mLong > Integer.MAX_VALUE) {
            throw ctx.error("output channels " + mLong + " are too many");
        }
        int m = (int) mLong;
        if (b != null && (b.dim() != 1 || b.size(0) != m || b.dtype() != x.dtype())) {
            throw ctx.error("bias B must be [" + m + "] of X's dtype");
        }
        int[] in = spatial(x);
        long[] full = new long[n]; // output size before padding is cut: (in-1)*s + (k-1)*d + 1
        for (int i = 0; i < n; i++) {
            full[i] = (long) (in[i] - 1) * stride[i] + (long) (kernel[i] - 1) * dilation[i] + 1;
            if (in[i] < 1 || full[i] > Integer.MAX_VALUE) {
                throw ctx.error("spatial axis " + i + " of size " + in[i] + " gives an output of " + full[i]);
            }
        }
        int[] begin = new int[n];
        int[] out = new int[n];
        int[] outShapeAttr = ctx.attrIntArray("output_shape", null);
        String auto = autoPad(ctx);
        if (outShapeAttr != null || auto.startsWith("SAME")) {
            int[] target = new int[n];
            if (outShapeAttr != null) {
                if (outShapeAttr.length != n && outShapeAttr.length != n + 2) {
                    throw ctx.error("output_shape " + Arrays.toString(outShapeAttr) + " must hold " + n + " spatial sizes");
                }
                System.arraycopy(outShapeAttr, outShapeAttr.length - n, target, 0, n);
            } else {
                for (int i = 0; i < n; i++) {
                    target[i] = Math.multiplyExact(in[i], stride[i]);
                }
            }
            for (int i = 0; i < n; i++) {
                if (target[i] < 1) {
                    throw ctx.error("output_shape " + Arrays.toString(target) + " must be positive");
                }
                // The spec's split: the odd cell is cut at the end for SAME_UPPER and at the beginning
                // otherwise; a target larger than the full output pads the end, as ONNX Runtime does.
                long total = Math.max(0, full[i] + outPad[i] - target[i]);
                begin[i] = (int) (auto.equals("SAME_UPPER") ? total / 2 : total - total / 2);
                out[i] = target[i];
            }
        } else {
            int[][] pads = auto.equals("VALID") ? new int[][] {new int[n], new int[n]} : explicitPads(ctx, n);
            for (int i = 0; i < n; i++) {
                long o = full[i] + outPad[i] - pads[0][i] - pads[1][i];
                if (o < 1) {
                    throw ctx.error("pads " + Arrays.toString(pads[0]) + "/" + Arrays.toString(pads[1]) + " leave no output on spatial axis " + i);
                }
                begin[i] = pads[0][i];
                out[i] = (int) o;
            }
        }
        Tensor y = transposedFull(x, w, stride, dilation, (int) g, m);
        int[] end = new int[n];
        for (int i = 0; i < n; i++) {
            end[i] = (int) (out[i] + begin[i] - full[i]);
            begin[i] = -begin[i];
        }
        y = padSpatial(y, begin, end, 0.0);
        if (b != null) {
            y = y.add(b.reshape(broadcastShape(m, y.dim())));
        }
        return y;
    }

    /** The transposed convolution without any padding removed: spatial size (in-1)*s + (k-1)*d + 1. */
    private static Tensor transposedFull(Tensor x, Tensor w, int[] stride, int[] dilation, int groups, int m) {
        int n = x.dim() - 2;
        if (n == 1) {
            Tensor y = transposedFull(x.unsqueeze(2), w.unsqueeze(2), new int[] {1, stride[0]}, new int[] {1, dilation[0]}, groups, m);
            return y.squeeze(2);
        }
        int batch = x.size(0);
        int c = x.size(1);
        int cin = c / groups;
        int cout = m / groups;
        if (n == 2) {
            // GEMM then col2im, as ConvTranspose2d does: every input pixel scatters a weighted kernel.
            int h = x.size(2);
            int wd = x.size(3);
            int kk = w.size(2) * w.size(3);
            int[] kernel = {w.size(2), w.size(3)};
            int[] outSize = {(h - 1) * stride[0] + (kernel[0] - 1) * dilation[0] + 1, (wd - 1) * stride[1] + (kernel[1] - 1) * dilation[1] + 1};
            Tensor wg = w.reshape(groups, cin, cout * kk).transpose(-1, -2); // [G, cout*kk, cin]
            Tensor xg = x.reshape(batch, groups, cin, h * wd);
            Tensor cols = wg.matmul(xg).reshape(batch, m * kk, h * wd);
            return cols.fold2d(outSize, kernel, stride, new int[] {0, 0}, dilation);
        }
        // Higher ranks: a stride-1 convolution of the zero-stuffed input, padded by (k-1)*d, with the
        // kernel flipped and its in/out channels swapped within each group.
        Tensor xs = x;
        int[] kernel = Arrays.copyOfRange(w.shape(), 2, w.dim());
        int[] pad = new int[n];
        for (int i = 0; i < n; i++) {
            xs = stuffZeros(xs, 2 + i, stride[i]);
            pad[i] = (kernel[i] - 1) * dilation[i];
        }
        int[] wShape = new int[w.dim() + 1];
        wShape[0] = groups;
        wShape[1] = cin;
        wShape[2] = cout;
        System.arraycopy(kernel, 0, wShape, 3, n);
        int[] flatShape = new int[w.dim()];
        flatShape[0] = m;
        flatShape[1] = cin;
        System.arraycopy(kernel, 0, flatShape, 2, n);
        Tensor wt = w.reshape(wShape).transpose(1, 2).reshape(flatShape);
        for (int i = 0; i < n; i++) {
            wt = wt.indexSelect(2 + i, reversed(kernel[i]));
        }
        return convValid(padSpatial(xs, pad, pad, 0.0), wt, ones(n), dilation, groups);
    }

    /** Inserts stride-1 zeros between the elements along axis: length L becomes (L-1)*stride + 1. */
    private static Tensor stuffZeros(Tensor x, int axis, int stride) {
        if (stride == 1) {
            return x;
        }
        int len = x.size(axis);
        Tensor u = x.unsqueeze(axis + 1);
        int trailing = u.dim() - (axis + 1);
        int[] p = new int[2 * trailing];
        p[2 * (trailing - 1) + 1] = stride - 1;
        Tensor padded = u.pad(p, PadMode.CONSTANT, 0.0);
        int[] s = x.shape().clone();
        s[axis] = len * stride;
        return padded.reshape(s).narrow(axis, 0, (len - 1) * stride + 1);
    }

    static Tensor reversed(int n) {
        long[] idx = new long[n];
        for (int i = 0; i < n; i++) {
            idx[i] = n - 1 - i;
        }
        return Tensor.fromArray(idx, n);
    }
}
