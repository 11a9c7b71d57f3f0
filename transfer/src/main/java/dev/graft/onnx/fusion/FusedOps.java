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
            "Linear", FusedOps::linear);

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

    /** A float32 tensor whose storage array is exactly its row-major elements. */
    static boolean dense(Tensor t) {
        return t.dtype() == DType.FLOAT32 && t.isContiguous() && t.offset() == 0 && t.storage().length() == t.numel();
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
        if (!recording(x, scale, bias) && x.dtype() == DType.FLOAT32 && scale.dim() == 1 && bias.dim() == 1
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
        int d = g.length;
        Tensor dx = dense(x) ? x : x.clone();
        float[] src = data(dx);
        Tensor out = Tensor.empty(DType.FLOAT32, x.shape());
        float[] dst = data(out);
        if (VECTOR) {
            FusedKernels.layerNormRows(src, dst, g, b, eps);
            return out;
        }
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
        return out;
    }

    // ------------------------------------------------------------------ GELU

    /** x * Phi(x) with the exact normal CDF (Graft's gelu, which records its own derivative). */
    static Tensor[] gelu(OpContext ctx) {
        Tensor x = ctx.input(0);
        requireFloat(ctx, x);
        Tensor y;
        if (VECTOR && !recording(x) && x.dtype() == DType.FLOAT32 && x.numel() > 0) {
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
            for (int o = 0; o < dst.length; o += n) {
                for (int j = 0; j < n; j++) {
                    dst[o + j] += bb[j];
                }
            }
            return one(y);
        }
        y = y.add(b);
        return one(gelu ? y.gelu() : y);
    }
}
