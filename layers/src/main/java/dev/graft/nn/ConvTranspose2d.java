package dev.graft.nn;

import dev.graft.nn.init.Init;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.TensorShapeException;

import java.util.Arrays;

/**
 * Transposed 2-D convolution (the adjoint of Conv2d, "deconvolution") with weight
 * [in, out/groups, kh, kw]: each input pixel scatters a weighted kernel into the output, computed
 * as a GEMM followed by col2im (fold). Output size: (H-1)*stride - 2*padding + dilation*(k-1) + outputPadding + 1.
 */
public class ConvTranspose2d extends Module {
    private final int inChannels;
    private final int outChannels;
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final int[] outputPadding;
    private final int[] dilation;
    private final int groups;

    public ConvTranspose2d(int in, int out, int kernel, int stride) {
        this(in, out, new int[] {kernel, kernel}, new int[] {stride, stride}, new int[] {0, 0}, new int[] {0, 0}, new int[] {1, 1}, 1,
                true, WeightSource.defaults());
    }

    public ConvTranspose2d(int in, int out, int[] kernel, int[] stride, int[] padding, int[] outputPadding, int[] dilation, int groups,
                           boolean bias, WeightSource ws) {
        if (in <= 0 || out <= 0 || groups <= 0 || in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException("ConvTranspose2d: in=" + in + " and out=" + out
                    + " channels must be positive and divisible by groups=" + groups);
        }
        for (int i = 0; i < 2; i++) {
            if (outputPadding[i] >= Math.max(stride[i], dilation[i])) {
                throw new IllegalArgumentException("ConvTranspose2d: outputPadding " + Arrays.toString(outputPadding)
                        + " must be smaller than stride or dilation");
            }
        }
        this.inChannels = in;
        this.outChannels = out;
        this.kernel = kernel.clone();
        this.stride = stride.clone();
        this.padding = padding.clone();
        this.outputPadding = outputPadding.clone();
        this.dilation = dilation.clone();
        this.groups = groups;
        // torch computes fan-in from weight.size(1) * kh * kw, i.e. out/groups for the transposed layout
        int fanIn = (out / groups) * kernel[0] * kernel[1];
        registerParameter("weight", ws.get("weight", new int[] {in, out / groups, kernel[0], kernel[1]}, Init.torchDefaultWeight()));
        registerParameter("bias", bias ? ws.get("bias", new int[] {out}, Init.torchDefaultBias(fanIn)) : null);
    }

    @Override
    public Tensor forward(Tensor x0) {
        boolean unbatched = x0.dim() == 3;
        Tensor x = unbatched ? x0.unsqueeze(0) : x0;
        if (x.dim() != 4 || x.size(1) != inChannels) {
            throw new TensorShapeException("ConvTranspose2d: input must be [N, " + inChannels + ", H, W], got " + Arrays.toString(x0.shape()));
        }
        int n = x.size(0);
        int h = x.size(2);
        int w = x.size(3);
        int kk = kernel[0] * kernel[1];
        int oh = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kernel[0] - 1) + outputPadding[0] + 1;
        int ow = (w - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kernel[1] - 1) + outputPadding[1] + 1;
        if (oh <= 0 || ow <= 0) {
            throw new TensorShapeException("ConvTranspose2d: input " + Arrays.toString(x0.shape()) + " gives an empty output ["
                    + oh + ", " + ow + "]");
        }
        int cin = inChannels / groups;
        int cout = outChannels / groups;
        Tensor wg = parameter("weight").reshape(groups, cin, cout * kk).transpose(-1, -2); // [G, cout*kk, cin]
        Tensor xg = x.reshape(n, groups, cin, h * w);
        Tensor cols = wg.matmul(xg).reshape(n, outChannels * kk, h * w);
        Tensor y = cols.fold2d(new int[] {oh, ow}, kernel, stride, padding, dilation);
        Tensor b = parameter("bias");
        if (b != null) {
            y = y.add(b.reshape(1, outChannels, 1, 1));
        }
        return unbatched ? y.squeeze(0) : y;
    }
}
