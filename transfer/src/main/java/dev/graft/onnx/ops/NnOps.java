package dev.graft.onnx.ops;

import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.DType;
import dev.graft.tensor.PadMode;
import dev.graft.tensor.Tensor;

import java.util.Arrays;

/**
 * Neural-network layer ops, one file per family: convolutions and Col2Im ({@link NnOpsConv}),
 * pooling and MaxUnpool ({@link NnOpsPool}), Resize and Upsample ({@link NnOpsResize}), GridSample,
 * AffineGrid and RoiAlign ({@link NnOpsSampling}), RNN/GRU/LSTM ({@link NnOpsRecurrent}), the
 * training losses ({@link NnOpsLoss}) and, here, the normalisations (BatchNormalization,
 * InstanceNormalization, LayerNormalization, GroupNormalization, RMSNormalization, LpNormalization,
 * MeanVarianceNormalization, LRN). All float paths compose Tensor ops, so gradients reach inputs,
 * weights, scales, biases and running statistics alike.
 */
final class NnOps {
    private NnOps() {
    }

    static void register(OpRegistry r) {
        NnOpsConv.register(r);
        NnOpsPool.register(r);
        NnOpsResize.register(r);
        NnOpsSampling.register(r);
        NnOpsRecurrent.register(r);
        NnOpsLoss.register(r);
        r.register("BatchNormalization", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                return batchNorm(ctx);
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                if (opset < 14 && node.outputs().stream().skip(1).anyMatch(o -> !o.isEmpty())) {
                    return "the training outputs (mean, var, saved_mean, saved_var) of BatchNormalization before opset 14 are not supported";
                }
                return null;
            }
        });
        r.register("InstanceNormalization", NnOps::instanceNorm);
        r.register("LayerNormalization", stashChecked(NnOps::layerNorm));
        r.register("GroupNormalization", stashChecked(ctx -> new Tensor[] {groupNorm(ctx)}));
        r.register("MeanVarianceNormalization", ctx -> {
            // (x - mean) / (std + 1e-9) over axes (default N and spatial: [0, 2, 3]), population std
            Tensor x = floating(ctx, ctx.input(0));
            int[] axes = ctx.toInts(ctx.attrInts("axes", new long[] {0, 2, 3}), "axes");
            for (int k = 0; k < axes.length; k++) {
                axes[k] = ctx.axis(axes[k], x.dim());
            }
            Tensor centered = x.sub(x.mean(axes, true));
            return new Tensor[] {centered.div(centered.square().mean(axes, true).sqrt().add(1e-9))};
        });
        r.register("LRN", NnOps::lrn);
        r.register("RMSNormalization", stashChecked(ctx -> new Tensor[] {rmsNorm(ctx)}));
        r.register("LpNormalization", ctx -> {
            Tensor x = floating(ctx, ctx.input(0));
            int axis = ctx.axis(ctx.attrInt("axis", -1), x.dim());
            long p = ctx.attrInt("p", 2);
            if (p != 1 && p != 2) {
                throw ctx.error("p " + p + " must be 1 or 2");
            }
            return new Tensor[] {x.div(NnOpsPool.lpNorm(x, p, new int[] {axis}))};
        });
    }

    /** An op whose only load-time refusal is an unsupported {@code stash_type}. */
    private static OnnxOp stashChecked(OnnxOp op) {
        return new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                return op.apply(ctx);
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                return stashReason(node);
            }
        };
    }

    private static String stashReason(OnnxNode node) {
        var a = node.attributes().get("stash_type");
        if (a != null && a.i() != 1 && a.i() != 11) {
            return "stash_type " + a.i() + " is not float (1) or double (11)";
        }
        return null;
    }

    private static Tensor floating(OpContext ctx, Tensor x) {
        if (!x.dtype().isFloating()) {
            throw ctx.error("expected a floating input, got " + x.dtype());
        }
        return x;
    }

    /** Reshapes a per-channel (or per-channel-and-position, for opset < 9 spatial=0) parameter to broadcast over x. */
    static Tensor channelParam(OpContext ctx, Tensor p, Tensor x, String what) {
        int rank = x.dim();
        if (p.dim() == 0 || p.dim() > rank - 1) {
            throw ctx.error(what + " of shape " + Arrays.toString(p.shape()) + " does not fit channel dim 1 of X");
        }
        int[] shape = NnOpsConv.ones(rank);
        for (int i = 0; i < p.dim(); i++) {
            int xs = x.size(1 + i);
            if (p.size(i) != xs && p.size(i) != 1) {
                throw ctx.error(what + " of shape " + Arrays.toString(p.shape()) + " does not match X's dims from 1");
            }
            shape[1 + i] = p.size(i);
        }
        return p.to(x.dtype()).reshape(shape);
    }

    // ------------------------------------------------------------------ BatchNormalization

    static Tensor[] batchNorm(OpContext ctx) {
        Tensor x = floating(ctx, ctx.input(0));
        if (x.dim() < 2) {
            throw ctx.error("X must be [N, C, ...]");
        }
        Tensor scale = channelParam(ctx, ctx.input(1), x, "scale");
        Tensor bias = channelParam(ctx, ctx.input(2), x, "B");
        Tensor mean = ctx.input(3);
        Tensor var = ctx.input(4);
        double eps = ctx.attrFloat("epsilon", 1e-5f);
        boolean training = ctx.opset() >= 14 && ctx.attrInt("training_mode", 0) != 0;
        if (!training) {
            // folded into one multiply-add over X: y = x * a + (B - mean * a), a = scale / sqrt(var + eps)
            Tensor a = scale.mul(channelParam(ctx, var, x, "input_var").add(eps).rsqrt());
            Tensor shift = bias.sub(channelParam(ctx, mean, x, "input_mean").mul(a));
            return new Tensor[] {x.mul(a).add(shift)};
        }
        // Training mode: normalise with the batch statistics (population variance) and blend them
        // into the running ones: running = running * momentum + batch * (1 - momentum).
        double momentum = ctx.attrFloat("momentum", 0.9f);
        int[] axes = new int[x.dim() - 1];
        axes[0] = 0;
        for (int i = 1; i < axes.length; i++) {
            axes[i] = i + 1;
        }
        Tensor bm = x.mean(axes, true);
        Tensor centered = x.sub(bm);
        Tensor bv = centered.square().mean(axes, true);
        Tensor y = centered.mul(bv.add(eps).rsqrt()).mul(scale).add(bias);
        int[] statShape = mean.shape();
        Tensor runMean = mean.to(x.dtype()).mul(momentum).add(bm.reshape(statShape).mul(1 - momentum)).to(mean.dtype());
        Tensor runVar = var.to(x.dtype()).mul(momentum).add(bv.reshape(var.shape()).mul(1 - momentum)).to(var.dtype());
        return new Tensor[] {y, runMean, runVar};
    }

    /**
     * Local response normalisation across channels: y = x / (bias + alpha/size * sum of x^2 over the
     * channels c - floor((size-1)/2) .. c + ceil((size-1)/2))^beta, the window sum taken as size
     * shifted slices of the zero-padded squares.
     */
    static Tensor[] lrn(OpContext ctx) {
        Tensor x = floating(ctx, ctx.input(0));
        if (x.dim() < 3) {
            throw ctx.error("X must be [N, C, spatial...]");
        }
        long size = ctx.attrInt("size");
        if (size < 1 || size > Integer.MAX_VALUE / 2) {
            throw ctx.error("size " + size + " must be a positive channel count");
        }
        double alpha = ctx.attrFloat("alpha", 1e-4f);
        double beta = ctx.attrFloat("beta", 0.75f);
        double bias = ctx.attrFloat("bias", 1f);
        int before = (int) ((size - 1) / 2);
        int after = (int) (size - 1 - before);
        int c = x.size(1);
        int[] p = new int[2 * (x.dim() - 1)];
        p[p.length - 2] = before;
        p[p.length - 1] = after;
        Tensor sq = x.square().pad(p, PadMode.CONSTANT, 0.0);
        Tensor sum = null;
        for (int k = 0; k < size; k++) {
            Tensor s = sq.narrow(1, k, c);
            sum = sum == null ? s : sum.add(s);
        }
        return new Tensor[] {x.div(sum.mul(alpha / size).add(bias).pow(beta))};
    }

    // ------------------------------------------------------------------ Instance, Layer, Group

    static Tensor[] instanceNorm(OpContext ctx) {
        Tensor x = floating(ctx, ctx.input(0));
        if (x.dim() < 3) {
            throw ctx.error("X must be [N, C, spatial...]");
        }
        Tensor scale = ctx.input(1);
        Tensor bias = ctx.input(2);
        if (scale.dim() != 1 || scale.size(0) != x.size(1) || bias.dim() != 1 || bias.size(0) != x.size(1)) {
            throw ctx.error("scale and B must be [" + x.size(1) + "]");
        }
        double eps = ctx.attrFloat("epsilon", 1e-5f);
        int[] axes = NnOpsPool.spatialAxes(x);
        Tensor centered = x.sub(x.mean(axes, true));
        Tensor normed = centered.mul(centered.square().mean(axes, true).add(eps).rsqrt());
        return new Tensor[] {normed.mul(channelParam(ctx, scale, x, "scale")).add(channelParam(ctx, bias, x, "B"))};
    }

    private static DType stashType(OpContext ctx) {
        long s = ctx.attrInt("stash_type", 1);
        if (s == 1) {
            return DType.FLOAT32;
        }
        if (s == 11) {
            return DType.FLOAT64;
        }
        throw ctx.error("stash_type " + s + " is not float (1) or double (11)");
    }

    /**
     * LayerNormalization (opset 17): statistics over axes [axis, rank) in the stash type; outputs Y
     * and optionally Mean and InvStdDev with the normalised axes kept as 1.
     */
    static Tensor[] layerNorm(OpContext ctx) {
        Tensor x = floating(ctx, ctx.input(0));
        int rank = x.dim();
        if (rank == 0) {
            throw ctx.error("X must have at least one dimension");
        }
        int axis = ctx.axis(ctx.attrInt("axis", -1), rank);
        double eps = ctx.attrFloat("epsilon", 1e-5f);
        DType stash = stashType(ctx);
        int[] axes = new int[rank - axis];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = axis + i;
        }
        Tensor xs = x.to(stash);
        Tensor mean = xs.mean(axes, true);
        Tensor centered = xs.sub(mean);
        Tensor inv = centered.square().mean(axes, true).add(eps).rsqrt();
        Tensor y = centered.mul(inv).to(x.dtype()).mul(ctx.input(1).to(x.dtype()));
        Tensor b = ctx.optionalInput(2);
        if (b != null) {
            y = y.add(b.to(x.dtype()));
        }
        return new Tensor[] {y, mean, inv};
    }

    /** RMSNormalization (opset 23): x / sqrt(mean(x^2 over [axis, rank)) + epsilon) * scale, in the stash type. */
    static Tensor rmsNorm(OpContext ctx) {
        Tensor x = floating(ctx, ctx.input(0));
        int rank = x.dim();
        if (rank == 0) {
            throw ctx.error("X must have at least one dimension");
        }
        int axis = ctx.axis(ctx.attrInt("axis", -1), rank);
        double eps = ctx.attrFloat("epsilon", 1e-5f);
        int[] axes = new int[rank - axis];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = axis + i;
        }
        Tensor xs = x.to(stashType(ctx));
        Tensor normed = xs.mul(xs.square().mean(axes, true).add(eps).rsqrt()).to(x.dtype());
        return normed.mul(ctx.input(1).to(x.dtype()));
    }

    /**
     * GroupNormalization: statistics per (sample, group of C/num_groups channels). Opset 18 gives
     * scale and bias per group, opset 21 per channel; either length is accepted.
     */
    static Tensor groupNorm(OpContext ctx) {
        Tensor x = floating(ctx, ctx.input(0));
        if (x.dim() < 2) {
            throw ctx.error("X must be [N, C, ...]");
        }
        long groups = ctx.attrInt("num_groups");
        int c = x.size(1);
        if (groups < 1 || c % groups != 0) {
            throw ctx.error("num_groups " + groups + " must divide the " + c + " channels");
        }
        int g = (int) groups;
        double eps = ctx.attrFloat("epsilon", 1e-5f);
        DType stash = ctx.hasAttr("stash_type") ? stashType(ctx) : x.dtype();
        Tensor xr = x.to(stash).reshape(x.size(0), g, -1);
        int[] axes = {2};
        Tensor centered = xr.sub(xr.mean(axes, true));
        Tensor normed = centered.mul(centered.square().mean(axes, true).add(eps).rsqrt()).reshape(x.shape()).to(x.dtype());
        return normed.mul(perChannel(ctx, ctx.input(1), c, g, x, "scale")).add(perChannel(ctx, ctx.input(2), c, g, x, "bias"));
    }

    private static Tensor perChannel(OpContext ctx, Tensor p, int c, int g, Tensor x, String what) {
        if (p.dim() != 1 || (p.size(0) != c && p.size(0) != g)) {
            throw ctx.error(what + " must be [" + c + "] (per channel) or [" + g + "] (per group)");
        }
        Tensor pc = p.size(0) == c ? p : p.reshape(g, 1).expand(g, c / g).reshape(c);
        return channelParam(ctx, pc, x, what);
    }
}
