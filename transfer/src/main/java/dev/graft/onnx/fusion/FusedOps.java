package dev.graft.onnx.fusion;

import dev.graft.autograd.GradMode;
import dev.graft.onnx.OnnxAttribute;
import dev.graft.onnx.ops.OnnxOp;
import dev.graft.onnx.ops.OpContext;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;

import java.util.Map;

/**
 * The ops behind the nodes {@link dev.graft.onnx.GraphOptimizer} writes (domain {@code dev.graft.fused}).
 *
 * <p>Each has two paths. When a gradient is wanted (grad mode on and an input requires grad) it
 * records the same Graft ops the unfused chain would have, so fine-tuning sees the same graph and
 * gradients. Otherwise it may take a no-grad path written on arrays that makes one pass where the
 * chain made several; that path is taken only for contiguous float32 operands of the expected
 * shapes, and everything else falls back to the recorded composition.
 */
public final class FusedOps {
    private static final Map<String, OnnxOp> OPS = Map.of(
            "LayerNorm", FusedOps::layerNorm,
            "Gelu", FusedOps::gelu,
            "Linear", FusedOps::linear,
            "Attention", FusedOps::attention);

    /** Whether the Vector API loops of {@link FusedKernels} can be used (the module is optional at run time). */
    private static final boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private FusedOps() {
    }

    /** The op for a fused node type, or null. */
    public static OnnxOp find(String opType) {
        return OPS.get(opType);
    }

    /** True when a graph must be recorded: grad mode is on and some input requires grad. */
    static boolean recording(Tensor... ts) {
        if (!GradMode.isEnabled()) {
            return false;
        }
        for (Tensor t : ts) {
            if (t != null && t.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /**
     * A float32 CPU tensor whose storage array is exactly its row-major elements. The fused host
     * kernels take only these; tensors on a device take the composed path, whose primitives run in
     * the device's kernels.
     */
    static boolean dense(Tensor t) {
        return t.device().isCpu() && t.dtype() == DType.FLOAT32 && t.isContiguous() && t.offset() == 0
                && t.storage().length() == t.numel();
    }

    static float[] data(Tensor t) {
        return (float[]) t.storage().array();
    }

    private static Tensor[] one(Tensor t) {
        return new Tensor[] {t};
    }

    private static void requireFloat(OpContext ctx, Tensor... ts) {
        for (Tensor t : ts) {
            if (!t.dtype().isFloating()) {
                throw ctx.error("expects floating-point inputs, got " + t.dtype());
            }
        }
    }

    // ------------------------------------------------------------------ LayerNorm

    /** (x - mean) / sqrt(var + eps) * scale + bias over the last axis (biased variance), as the ONNX chain computes it. */
    static Tensor[] layerNorm(OpContext ctx) {
        Tensor x = ctx.input(0);
        Tensor scale = ctx.input(1);
        Tensor bias = ctx.input(2);
        OnnxAttribute epsAttr = ctx.attr("epsilon");
        if (epsAttr == null || epsAttr.t() == null) {
            throw ctx.error("attribute 'epsilon' (a tensor) is required");
        }
        Tensor eps = epsAttr.t();
        requireFloat(ctx, x, scale, bias);
        if (x.dim() == 0) {
            throw ctx.error("the input must have at least one dimension to normalise over its last axis");
        }
        int d = x.size(-1);
        if (!recording(x, scale, bias) && x.device().isCpu() && x.dtype() == DType.FLOAT32 && scale.dim() == 1 && bias.dim() == 1
                && scale.size(0) == d && bias.size(0) == d && dense(scale) && dense(bias) && d > 0 && eps.dtype() == DType.FLOAT32) {
            return one(layerNormRows(x.contiguous(), data(scale), data(bias), (float) eps.item()));
        }
        int[] last = {x.dim() - 1};
        Tensor mean = x.mean(last, true);
        Tensor dev = x.sub(mean);
        Tensor var = dev.square().mean(last, true);
        Tensor y = dev.div(var.add(eps).sqrt());
        return one(y.mul(scale).add(bias));
    }

    /** One pass per row (a row stays in cache): mean, then the centred sum of squares, then the scaled output. */
    static Tensor layerNormRows(Tensor x, float[] g, float[] b, float eps) {
        Tensor dx = dense(x) ? x : x.clone();
        Tensor out = Tensor.empty(DType.FLOAT32, x.shape());
        if (VECTOR) {
            FusedKernels.layerNormRows(data(dx), data(out), g, b, eps);
        } else {
            layerNormRowsScalar(data(dx), data(out), g, b, eps);
        }
        return out;
    }

    /** The scalar loops of {@link FusedKernels#layerNormRows}, for JVMs without the Vector API module. */
    static void layerNormRowsScalar(float[] src, float[] dst, float[] g, float[] b, float eps) {
        int d = g.length;
        int rows = src.length / d;
        for (int r = 0; r < rows; r++) {
            int o = r * d;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int i = 0;
            for (; i + 3 < d; i += 4) {
                s0 += src[o + i];
                s1 += src[o + i + 1];
                s2 += src[o + i + 2];
                s3 += src[o + i + 3];
            }
            for (; i < d; i++) {
                s0 += src[o + i];
            }
            float mean = ((s0 + s1) + (s2 + s3)) / d;
            float q0 = 0, q1 = 0, q2 = 0, q3 = 0;
            i = 0;
            for (; i + 3 < d; i += 4) {
                float a0 = src[o + i] - mean;
                float a1 = src[o + i + 1] - mean;
                float a2 = src[o + i + 2] - mean;
                float a3 = src[o + i + 3] - mean;
                q0 += a0 * a0;
                q1 += a1 * a1;
                q2 += a2 * a2;
                q3 += a3 * a3;
            }
            for (; i < d; i++) {
                float a = src[o + i] - mean;
                q0 += a * a;
            }
            float var = ((q0 + q1) + (q2 + q3)) / d;
            float sd = (float) Math.sqrt(var + eps);
            for (i = 0; i < d; i++) {
                dst[o + i] = (src[o + i] - mean) / sd * g[i] + b[i];
            }
        }
    }

    /** dst[r, j] += bias[j], the scalar twin of {@link FusedKernels#addRowBias}. */
    static void addRowBiasScalar(float[] dst, float[] bias) {
        int n = bias.length;
        for (int o = 0; o < dst.length; o += n) {
            for (int j = 0; j < n; j++) {
                dst[o + j] += bias[j];
            }
        }
    }

    // ------------------------------------------------------------------ GELU

    /** x * Phi(x) with the exact normal CDF (Graft's gelu, which records its own derivative). */
    static Tensor[] gelu(OpContext ctx) {
        Tensor x = ctx.input(0);
        requireFloat(ctx, x);
        Tensor y;
        if (VECTOR && !recording(x) && x.device().isCpu() && x.dtype() == DType.FLOAT32 && x.numel() > 0) {
            Tensor src = dense(x) ? x : x.contiguous();
            y = Tensor.empty(DType.FLOAT32, x.shape());
            FusedKernels.biasGelu(data(dense(src) ? src : src.clone()), null, data(y));
        } else {
            y = x.gelu();
        }
        if (y.dim() < ctx.attrInt("min_rank", 0)) {
            y = y.reshape(1);
        }
        return one(y);
    }

    // ------------------------------------------------------------------ Linear

    /** x @ W + b for W [K, N] and b [N], then GELU when {@code activation="gelu"}; without a graph to record, the bias is added into the product's fresh buffer. */
    static Tensor[] linear(OpContext ctx) {
        Tensor x = ctx.input(0);
        Tensor w = ctx.input(1);
        Tensor b = ctx.input(2);
        requireFloat(ctx, x, w, b);
        if (w.dim() != 2 || b.dim() != 1 || b.size(0) != w.size(1)) {
            throw ctx.error("expects a 2-D weight and a 1-D bias of its column count");
        }
        boolean gelu = "gelu".equals(ctx.attrString("activation", ""));
        if (recording(x, w, b)) {
            Tensor y = x.matmul(w).add(b);
            return one(gelu ? y.gelu() : y);
        }
        Tensor y = x.matmul(w);
        int n = b.size(0);
        if (dense(y) && dense(b) && n > 0 && y.dim() >= 1 && y.size(-1) == n) {
            float[] dst = data(y);
            float[] bb = data(b);
            if (VECTOR) {
                if (gelu) {
                    FusedKernels.biasGelu(dst, bb, dst);
                } else {
                    FusedKernels.addRowBias(dst, bb);
                }
                return one(y);
            }
            if (gelu) {
                return one(y.add(b).gelu());
            }
            addRowBiasScalar(dst, bb);
            return one(y);
        }
        y = y.add(b);
        return one(gelu ? y.gelu() : y);
    }

    // ------------------------------------------------------------------ attention

    /**
     * softmax(q @ k / c + mask) @ v (or * c when {@code scale_op="Mul"}), the softmax with the ONNX
     * semantics of the file's opset ({@code axis}; before opset 13 the trailing dims from {@code axis}
     * on are flattened). Without a graph to record and with the softmax over the last axis, the
     * scaling, the mask and the softmax are one in-place pass over the fresh score buffer.
     */
    static Tensor[] attention(OpContext ctx) {
        Tensor q = ctx.input(0);
        Tensor k = ctx.input(1);
        Tensor mask = ctx.optionalInput(2);
        Tensor v = ctx.input(3);
        OnnxAttribute scaleAttr = ctx.attr("scale");
        if (scaleAttr == null || scaleAttr.t() == null) {
            throw ctx.error("attribute 'scale' (a tensor) is required");
        }
        Tensor c = scaleAttr.t();
        boolean multiply = "Mul".equals(ctx.attrString("scale_op", "Div"));
        int opset = (int) ctx.attrInt("opset", 13);
        long axisAttr = ctx.attrInt("axis", opset >= 13 ? -1 : 1);
        requireFloat(ctx, q, k, v);
        Tensor s = q.matmul(k);
        int rank = s.dim();
        int axis = (int) (axisAttr < 0 ? axisAttr + rank : axisAttr);
        if (axis < 0 || axis >= rank) {
            throw ctx.error("softmax axis " + axisAttr + " is out of range for scores of rank " + rank);
        }
        boolean lastAxis = axis == rank - 1;
        if (VECTOR && lastAxis && !recording(q, k, mask, v) && dense(s) && c.dtype() == DType.FLOAT32 && s.numel() > 0
                && (mask == null || mask.dtype() == DType.FLOAT32 && mask.dim() <= rank)) {
            int n = s.size(-1);
            int rows = (int) (s.numel() / n);
            float[] maskData = null;
            int[] offsets = null;
            int stride = 0;
            if (mask != null) {
                Tensor mb;
                try {
                    mb = mask.broadcastTo(s.shape());
                } catch (RuntimeException e) {
                    mb = null; // not broadcastable: the composed path reports it
                }
                if (mb != null) {
                    maskData = (float[]) mb.storage().hostForRead();
                    offsets = rowOffsets(mb, rows);
                    stride = mb.strides()[rank - 1];
                }
            }
            if (mask == null || maskData != null) {
                FusedKernels.scaleMaskSoftmax(data(s), n, (float) c.item(), multiply, maskData, offsets, stride);
                return one(s.matmul(v));
            }
        }
        Tensor z = multiply ? s.mul(c) : s.div(c);
        if (mask != null) {
            z = z.add(mask);
        }
        Tensor p;
        if (lastAxis || opset >= 13) {
            p = z.softmax(axis);
        } else {
            // opset < 13: softmax over the trailing dims from axis on, flattened
            int[] shape = z.shape();
            int inner = 1;
            for (int i = axis; i < rank; i++) {
                inner *= shape[i];
            }
            p = z.reshape((int) (z.numel() / Math.max(inner, 1)), inner).softmax(1).reshape(shape);
        }
        return one(p.matmul(v));
    }

    /** The storage offset of each row (last-axis run) of a strided view, rows in row-major order. */
    private static int[] rowOffsets(Tensor t, int rows) {
        int[] shape = t.shape();
        int[] strides = t.strides();
        int lead = shape.length - 1;
        int[] idx = new int[lead];
        int[] out = new int[rows];
        int off = t.offset();
        for (int r = 0; r < rows; r++) {
            out[r] = off;
            for (int d = lead - 1; d >= 0; d--) {
                idx[d]++;
                off += strides[d];
                if (idx[d] < shape[d]) {
                    break;
                }
                off -= strides[d] * shape[d];
                idx[d] = 0;
            }
        }
        return out;
    }
}
