package dev.graft.nn;

import dev.graft.tensor.DType;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.TensorShapeException;

import java.util.Arrays;

/**
 * Stateless neural-network functions ({@code torch.nn.functional}): the computations behind the
 * layer modules, usable directly (and by importers that map graph ops onto them). All are built
 * from differentiable tensor ops.
 */
public final class Functional {
    private Functional() {
    }

    /** x @ weight^T + bias, with weight [out, in] (PyTorch's layout); bias may be null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        if (x.dim() == 0 || x.size(-1) != weight.size(1)) {
            throw new TensorShapeException("linear: input " + Arrays.toString(x.shape()) + " has " + (x.dim() == 0 ? 0 : x.size(-1))
                    + " features, the weight " + Arrays.toString(weight.shape()) + " expects " + weight.size(1));
        }
        Tensor y = x.matmul(weight.t());
        return bias == null ? y : y.add(bias);
    }

    /** Normalises over the trailing dims {@code normalizedShape} (biased variance), then scales and shifts. */
    public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        int k = normalizedShape.length;
        int[] xs = x.shape();
        if (k == 0 || k > xs.length || !Arrays.equals(Arrays.copyOfRange(xs, xs.length - k, xs.length), normalizedShape)) {
            throw new TensorShapeException("layerNorm: input " + Arrays.toString(xs) + " does not end with the normalized shape "
                    + Arrays.toString(normalizedShape));
        }
        int[] axes = new int[k];
        for (int i = 0; i < k; i++) {
            axes[i] = xs.length - k + i;
        }
        Tensor mean = x.mean(axes, true);
        Tensor d = x.sub(mean);
        Tensor var = d.square().mean(axes, true);
        Tensor y = d.mul(var.add(eps).rsqrt());
        if (weight != null) {
            y = y.mul(weight);
        }
        if (bias != null) {
            y = y.add(bias);
        }
        return y;
    }

    /** x [N, C, *] split into G groups of channels, each normalised over its channels and spatial positions. */
    public static Tensor groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, double eps) {
        int[] xs = x.shape();
        if (xs.length < 2 || xs[1] % groups != 0) {
            throw new TensorShapeException("groupNorm: input " + Arrays.toString(xs) + " must be [N, C, ...] with C divisible by "
                    + groups + " groups");
        }
        Tensor g = x.reshape(xs[0], groups, -1);
        Tensor mean = g.mean(new int[] {2}, true);
        Tensor d = g.sub(mean);
        Tensor var = d.square().mean(new int[] {2}, true);
        Tensor y = d.mul(var.add(eps).rsqrt()).reshape(xs);
        int[] cshape = new int[xs.length];
        Arrays.fill(cshape, 1);
        cshape[1] = xs[1];
        if (weight != null) {
            y = y.mul(weight.reshape(cshape));
        }
        if (bias != null) {
            y = y.add(bias.reshape(cshape));
        }
        return y;
    }

    /** Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p); identity when not training. */
    public static Tensor dropout(Tensor x, double p, boolean training, Generator g) {
        if (p < 0 || p > 1) {
            throw new IllegalArgumentException("dropout: probability must be in [0, 1], got " + p);
        }
        if (!training || p == 0) {
            return x;
        }
        if (p == 1) {
            return x.mul(0);
        }
        Tensor keep;
        synchronized (g) {
            keep = Tensor.rand(g, x.shape()).ge(p);
        }
        return x.mul(keep.to(x.dtype())).mul(1 / (1 - p));
    }

    public static Tensor relu6(Tensor x) {
        return x.clamp(0, 6);
    }

    /** x * relu6(x + 3) / 6. */
    public static Tensor hardswish(Tensor x) {
        return x.mul(relu6(x.add(3))).div(6);
    }

    /** relu6(x + 3) / 6. */
    public static Tensor hardsigmoid(Tensor x) {
        return relu6(x.add(3)).div(6);
    }

    /**
     * Adaptive average pooling of [N, C, H, W] (or [C, H, W]) to [.., outH, outW]: output cell i
     * averages input rows floor(i*H/outH) .. ceil((i+1)*H/outH) - 1, as in PyTorch.
     */
    public static Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        if (x.dim() != 3 && x.dim() != 4) {
            throw new TensorShapeException("adaptiveAvgPool2d: input must be [N, C, H, W] or [C, H, W], got " + Arrays.toString(x.shape()));
        }
        if (outH < 1 || outW < 1) {
            throw new IllegalArgumentException("adaptiveAvgPool2d: output size must be positive, got [" + outH + ", " + outW + "]");
        }
        int h = x.size(-2);
        int w = x.size(-1);
        if (h % outH == 0 && w % outW == 0) {
            int kh = h / outH;
            int kw = w / outW;
            if (kh == h && kw == w) {
                return x.mean(new int[] {-2, -1}, true);
            }
            return x.avgPool2d(new int[] {kh, kw}, new int[] {kh, kw}, new int[] {0, 0}, true);
        }
        Tensor[] rows = new Tensor[outH];
        for (int i = 0; i < outH; i++) {
            int h0 = (int) Math.floor((double) i * h / outH);
            int h1 = (int) Math.ceil((double) (i + 1) * h / outH);
            Tensor[] cells = new Tensor[outW];
            for (int j = 0; j < outW; j++) {
                int w0 = (int) Math.floor((double) j * w / outW);
                int w1 = (int) Math.ceil((double) (j + 1) * w / outW);
                cells[j] = x.narrow(-2, h0, h1 - h0).narrow(-1, w0, w1 - w0).mean(new int[] {-2, -1}, false);
            }
            rows[i] = Tensor.stack(-1, cells);
        }
        return Tensor.stack(-2, rows);
    }

    /**
     * softmax(q k^T / sqrt(d) + mask) v over the last two dims. {@code mask} (may be null) is a
     * bool tensor broadcastable to the scores, true where attention is NOT allowed, or a float
     * tensor added to the scores. Returns [output, weights].
     */
    public static Tensor[] scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor mask, double dropoutP, boolean training,
                                                     Generator g) {
        double scale = 1 / Math.sqrt(q.size(-1));
        Tensor scores = q.matmul(k.transpose(-2, -1)).mul(scale);
        if (mask != null) {
            scores = mask.dtype() == DType.BOOL ? scores.maskedFill(mask, Double.NEGATIVE_INFINITY) : scores.add(mask);
        }
        Tensor weights = scores.softmax(-1);
        Tensor attn = dropoutP > 0 ? dropout(weights, dropoutP, training, g) : weights;
        return new Tensor[] {attn.matmul(v), weights};
    }
}
