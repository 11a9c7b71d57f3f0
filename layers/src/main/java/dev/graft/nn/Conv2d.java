package dev.graft.nn;

import dev.graft.nn.init.Init;
import dev.graft.tensor.PadMode;
import dev.graft.tensor.Tensor;

import java.util.Arrays;

/**
 * 2-D convolution over [N, C, H, W] with weight [out, in/groups, kh, kw]: stride, padding
 * (explicit or "same"), dilation, groups (depthwise when groups == in channels), optional bias.
 */
public class Conv2d extends Module {
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final int[] dilation;
    private final int groups;
    private final boolean same;
    private final int inChannels;
    private final int outChannels;

    public Conv2d(int in, int out, int kernel) {
        this(in, out, new int[] {kernel, kernel}, new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, 1, true, WeightSource.defaults());
    }

    public Conv2d(int in, int out, int kernel, int stride, int padding) {
        this(in, out, new int[] {kernel, kernel}, new int[] {stride, stride}, new int[] {padding, padding}, new int[] {1, 1}, 1, true,
                WeightSource.defaults());
    }

    /** padding null means "same" (stride must be 1). */
    public Conv2d(int in, int out, int[] kernel, int[] stride, int[] padding, int[] dilation, int groups, boolean bias, WeightSource ws) {
        if (in <= 0 || out <= 0 || groups <= 0 || in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException("Conv2d: in=" + in + " and out=" + out + " channels must be positive and divisible by groups="
                    + groups);
        }
        this.same = padding == null;
        if (same && (stride[0] != 1 || stride[1] != 1)) {
            throw new IllegalArgumentException("Conv2d: padding 'same' needs stride 1, got " + Arrays.toString(stride));
        }
        this.kernel = kernel.clone();
        this.stride = stride.clone();
        this.padding = same ? new int[] {0, 0} : padding.clone();
        this.dilation = dilation.clone();
        this.groups = groups;
        this.inChannels = in;
        this.outChannels = out;
        int fanIn = (in / groups) * kernel[0] * kernel[1];
        registerParameter("weight", ws.get("weight", new int[] {out, in / groups, kernel[0], kernel[1]}, Init.torchDefaultWeight()));
        registerParameter("bias", bias ? ws.get("bias", new int[] {out}, Init.torchDefaultBias(fanIn)) : null);
    }

    /** "same" padding in PyTorch's convention: total d*(k-1), the odd extra element on the right/bottom. */
    static int[] samePads(int[] kernel, int[] dilation) {
        int th = dilation[0] * (kernel[0] - 1);
        int tw = dilation[1] * (kernel[1] - 1);
        return new int[] {tw / 2, tw - tw / 2, th / 2, th - th / 2};
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor in = x;
        if (same) {
            int[] p = samePads(kernel, dilation);
            if (p[0] == p[1] && p[2] == p[3]) {
                return in.conv2d(parameter("weight"), parameter("bias"), stride, new int[] {p[2], p[0]}, dilation, groups);
            }
            in = in.pad(p, PadMode.CONSTANT, 0);
        }
        return in.conv2d(parameter("weight"), parameter("bias"), stride, padding, dilation, groups);
    }

    @Override
    protected String extraRepr() {
        return inChannels + ", " + outChannels + ", kernel_size=" + Arrays.toString(kernel) + ", stride=" + Arrays.toString(stride)
                + (same ? ", padding=same" : ", padding=" + Arrays.toString(padding))
                + (groups != 1 ? ", groups=" + groups : "") + (parameter("bias") == null ? ", bias=False" : "");
    }
}
