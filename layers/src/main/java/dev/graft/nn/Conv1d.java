package dev.graft.nn;

import dev.graft.nn.init.Init;
import dev.graft.tensor.PadMode;
import dev.graft.tensor.Tensor;

/** 1-D convolution over [N, C, L] with weight [out, in/groups, k]; padding &lt; 0 means "same" (stride 1). */
public class Conv1d extends Module {
    private final int kernel;
    private final int stride;
    private final int padding;
    private final int dilation;
    private final int groups;

    public Conv1d(int in, int out, int kernel) {
        this(in, out, kernel, 1, 0, 1, 1, true, WeightSource.defaults());
    }

    public Conv1d(int in, int out, int kernel, int stride, int padding, int dilation, int groups, boolean bias, WeightSource ws) {
        if (in <= 0 || out <= 0 || groups <= 0 || in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException("Conv1d: in=" + in + " and out=" + out + " channels must be positive and divisible by groups="
                    + groups);
        }
        if (padding < 0 && stride != 1) {
            throw new IllegalArgumentException("Conv1d: padding 'same' needs stride 1, got " + stride);
        }
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.groups = groups;
        registerParameter("weight", ws.get("weight", new int[] {out, in / groups, kernel}, Init.torchDefaultWeight()));
        registerParameter("bias", bias ? ws.get("bias", new int[] {out}, Init.torchDefaultBias((in / groups) * kernel)) : null);
    }

    @Override
    public Tensor forward(Tensor x) {
        if (padding < 0) {
            int total = dilation * (kernel - 1);
            Tensor in = x.pad(new int[] {total / 2, total - total / 2}, PadMode.CONSTANT, 0);
            return in.conv1d(parameter("weight"), parameter("bias"), 1, 0, dilation, groups);
        }
        return x.conv1d(parameter("weight"), parameter("bias"), stride, padding, dilation, groups);
    }
}
