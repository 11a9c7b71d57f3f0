package dev.graft.onnx.ops;

import dev.graft.onnx.OnnxDataType;
import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;

import java.util.Arrays;

import static dev.graft.onnx.ops.MathOps.one;

/**
 * ONNX's signal-processing ops (opset 17): the Hann, Hamming and Blackman windows, DFT, STFT and
 * MelWeightMatrix. Complex values are ONNX's trailing dimension of 2 (real, imaginary). DFT and
 * STFT are products with cosine and sine matrices, so they are differentiable in the signal and
 * the window (O(n^2) per transform, which suits the short frames these graphs use).
 */
final class MathOpsSignal {
    private MathOpsSignal() {
    }

    /** Refuses to build transforms or windows longer than this. */
    private static final long MAX_LENGTH = 1 << 16;

    static void register(OpRegistry r) {
        r.register("HannWindow", window(new double[] {0.5, 0.5, 0}));
        r.register("HammingWindow", window(new double[] {25.0 / 46, 21.0 / 46, 0}));
        r.register("BlackmanWindow", window(new double[] {0.42, 0.5, 0.08}));
        r.register("DFT", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                return one(dft(ctx));
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                return opset >= 20 ? "DFT from opset 20 (axis as an input) is not supported" : null;
            }
        });
        r.register("STFT", ctx -> one(stft(ctx)));
        r.register("MelWeightMatrix", ctx -> one(melWeightMatrix(ctx)));
    }

    // ------------------------------------------------------------------ windows

    /** a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N), N = size (periodic) or size - 1 (symmetric). */
    private static OnnxOp window(double[] a) {
        return ctx -> {
            long size = scalarLong(ctx, 0, "size");
            if (size < 0 || size > MAX_LENGTH) {
                throw ctx.error("size " + size + " is outside [0, " + MAX_LENGTH + "]");
            }
            boolean periodic = ctx.attrInt("periodic", 1) != 0;
            double n = periodic ? size : size - 1;
            double[] w = new double[(int) size];
            for (int i = 0; i < size; i++) {
                double t = n == 0 ? 0 : 2 * Math.PI * i / n;
                w[i] = a[0] - a[1] * Math.cos(t) + a[2] * Math.cos(2 * t);
            }
            return one(Tensor.fromArray(w, (int) size).to(outputType(ctx, DType.FLOAT32)));
        };
    }

    private static DType outputType(OpContext ctx, DType dflt) {
        if (!ctx.hasAttr("output_datatype")) {
            return dflt;
        }
        return OnnxDataType.of(ctx.attrInt("output_datatype")).graftOrThrow(ctx.node().describe() + " output_datatype");
    }

    // ------------------------------------------------------------------ DFT

    private static Tensor dft(OpContext ctx) {
        Tensor x = ctx.input(0);
        if (!x.dtype().isFloating()) {
            throw ctx.error("expects a floating-point signal");
        }
        int rank = x.dim();
        int channels = rank == 0 ? 0 : x.shape()[rank - 1];
        if (rank < 2 || channels != 1 && channels != 2) {
            throw ctx.error("the signal must be [..., n, 1] (real) or [..., n, 2] (complex)");
        }
        long ax = ctx.attrInt("axis", 1);
        int axis = (int) (ax < 0 ? ax + rank : ax);
        if (axis < 0 || axis >= rank - 1) {
            throw ctx.error("axis " + ax + " must name a signal dimension, not the trailing real/imaginary one");
        }
        boolean inverse = ctx.attrInt("inverse", 0) != 0;
        boolean onesided = ctx.attrInt("onesided", 0) != 0;
        int n = x.shape()[axis];
        long len = ctx.hasInput(1) ? scalarLong(ctx, 1, "dft_length") : n;
        if (len < 1 || len > MAX_LENGTH) {
            throw ctx.error("dft_length " + len + " is outside [1, " + MAX_LENGTH + "]");
        }
        if (onesided && inverse) {
            throw ctx.error("onesided is only defined for the forward transform");
        }
        // move the signal axis last (before the channel), fit it to the transform length
        Tensor re = x.select(rank - 1, 0).transpose(axis, rank - 2);
        Tensor im = channels == 2 ? x.select(rank - 1, 1).transpose(axis, rank - 2) : null;
        re = fit(re, (int) len);
        im = im == null ? null : fit(im, (int) len);
        int bins = onesided ? (int) len / 2 + 1 : (int) len;
        Tensor[] y = transform(re, im, (int) len, bins, inverse);
        Tensor out = Tensor.stack(-1, y[0].transpose(axis, rank - 2), y[1].transpose(axis, rank - 2));
        return out.contiguous();
    }

    /** Zero-pads or truncates the last dimension to {@code len}. */
    private static Tensor fit(Tensor t, int len) {
        int n = t.shape()[t.dim() - 1];
        if (n == len) {
            return t;
        }
        if (n > len) {
            return t.narrow(t.dim() - 1, 0, len);
        }
        int[] s = t.shape().clone();
        s[s.length - 1] = len - n;
        return Tensor.concat(t.dim() - 1, t, Tensor.zeros(t.dtype(), s));
    }

    /**
     * The DFT of (re + i im) over the last dimension of length n, bins 0..bins-1:
     * X[k] = sum_j x[j] e^{-/+ 2 pi i jk / n}, divided by n when inverse.
     */
    private static Tensor[] transform(Tensor re, Tensor im, int n, int bins, boolean inverse) {
        double[] c = new double[n * bins];
        double[] s = new double[n * bins];
        double sign = inverse ? 1 : -1;
        double scale = inverse ? 1.0 / n : 1;
        for (int j = 0; j < n; j++) {
            for (int k = 0; k < bins; k++) {
                // the angle reduced mod n first keeps it exact for long transforms
                double t = 2 * Math.PI * ((long) j * k % n) / n;
                c[j * bins + k] = Math.cos(t) * scale;
                s[j * bins + k] = sign * Math.sin(t) * scale;
            }
        }
        DType dt = re.dtype();
        Tensor cm = Tensor.fromArray(c, n, bins).to(dt);
        Tensor sm = Tensor.fromArray(s, n, bins).to(dt);
        // (a + ib)(cos + i sin') = (a cos - b sin') + i (a sin' + b cos)
        Tensor outRe = re.matmul(cm);
        Tensor outIm = re.matmul(sm);
        if (im != null) {
            outRe = outRe.sub(im.matmul(sm));
            outIm = outIm.add(im.matmul(cm));
        }
        return new Tensor[] {outRe, outIm};
    }

    // ------------------------------------------------------------------ STFT

    private static Tensor stft(OpContext ctx) {
        Tensor x = ctx.input(0);
        if (!x.dtype().isFloating() || x.dim() != 3 || x.shape()[2] != 1 && x.shape()[2] != 2) {
            throw ctx.error("the signal must be a floating-point [batch, length, 1 or 2] tensor");
        }
        long step = scalarLong(ctx, 1, "frame_step");
        Tensor window = ctx.optionalInput(2);
        long frame;
        if (ctx.hasInput(3)) {
            frame = scalarLong(ctx, 3, "frame_length");
            if (window != null && window.numel() != frame) {
                throw ctx.error("window of " + window.numel() + " values does not match frame_length " + frame);
            }
        } else if (window != null) {
            frame = window.numel();
        } else {
            throw ctx.error("either window or frame_length is required");
        }
        int length = x.shape()[1];
        if (step < 1 || frame < 1 || frame > length || frame > MAX_LENGTH) {
            throw ctx.error("frame_step " + step + " and frame_length " + frame + " do not fit a signal of length " + length);
        }
        boolean onesided = ctx.attrInt("onesided", 1) != 0;
        boolean complex = x.shape()[2] == 2;
        if (complex && onesided) {
            throw ctx.error("onesided output is only defined for real signals");
        }
        int frames = (int) ((length - frame) / step) + 1;
        int f = (int) frame;
        // frames [batch, frames, frame]: stacked slices of the signal
        Tensor re = x.select(2, 0);
        Tensor im = complex ? x.select(2, 1) : null;
        Tensor[] fr = new Tensor[frames];
        Tensor[] fi = complex ? new Tensor[frames] : null;
        for (int t = 0; t < frames; t++) {
            fr[t] = re.narrow(1, (int) (t * step), f);
            if (complex) {
                fi[t] = im.narrow(1, (int) (t * step), f);
            }
        }
        Tensor framesRe = Tensor.stack(1, fr);
        Tensor framesIm = complex ? Tensor.stack(1, fi) : null;
        if (window != null) {
            Tensor w = window.to(x.dtype()).reshape(f);
            framesRe = framesRe.mul(w);
            framesIm = framesIm == null ? null : framesIm.mul(w);
        }
        int bins = onesided ? f / 2 + 1 : f;
        Tensor[] y = transform(framesRe, framesIm, f, bins, false);
        return Tensor.stack(-1, y[0], y[1]);
    }

    // ------------------------------------------------------------------ MelWeightMatrix

    /** Triangular mel filters [dft_length/2 + 1, num_mel_bins], as the ONNX reference builds them. */
    private static Tensor melWeightMatrix(OpContext ctx) {
        long mels = scalarLong(ctx, 0, "num_mel_bins");
        long dftLength = scalarLong(ctx, 1, "dft_length");
        long sampleRate = scalarLong(ctx, 2, "sample_rate");
        double lower = ctx.input(3).detach().contiguous().toDoubleArray()[0];
        double upper = ctx.input(4).detach().contiguous().toDoubleArray()[0];
        if (mels < 1 || dftLength < 1 || sampleRate < 1 || mels > MAX_LENGTH || dftLength > MAX_LENGTH) {
            throw ctx.error("num_mel_bins " + mels + ", dft_length " + dftLength + " and sample_rate " + sampleRate
                    + " must be positive (and at most " + MAX_LENGTH + ")");
        }
        int spectrogramBins = (int) (dftLength / 2 + 1);
        double lowMel = 2595 * Math.log10(1 + lower / 700);
        double highMel = 2595 * Math.log10(1 + upper / 700);
        // the reference divides the mel span by the number of band edges (mels + 2), so the top
        // edge stays below upper_edge_hertz; kept for identical filters
        double melStep = (highMel - lowMel) / (mels + 2);
        int[] points = new int[(int) mels + 2];
        for (int i = 0; i < points.length; i++) {
            double hz = 700 * (Math.pow(10, (i * melStep + lowMel) / 2595) - 1);
            points[i] = (int) Math.floor((dftLength + 1) * hz / sampleRate);
        }
        double[] out = new double[spectrogramBins * (int) mels];
        for (int i = 0; i < mels; i++) {
            int lo = points[i];
            int center = points[i + 1];
            int hi = points[i + 2];
            int up = center - lo;
            if (up == 0) {
                set(ctx, out, spectrogramBins, (int) mels, center, i, 1);
            } else {
                for (int j = lo; j <= center; j++) {
                    set(ctx, out, spectrogramBins, (int) mels, j, i, (double) (j - lo) / up);
                }
            }
            int down = hi - center;
            if (down > 0) {
                for (int j = center; j < hi; j++) {
                    set(ctx, out, spectrogramBins, (int) mels, j, i, (double) (hi - j) / down);
                }
            }
        }
        return Tensor.fromArray(out, spectrogramBins, (int) mels).to(outputType(ctx, DType.FLOAT32));
    }

    private static void set(OpContext ctx, double[] out, int rows, int cols, int r, int c, double v) {
        if (r < 0 || r >= rows) {
            throw ctx.error("a mel band edge falls on spectrogram bin " + r + ", outside [0, " + rows
                    + "): check sample_rate and the edge frequencies");
        }
        out[r * cols + c] = v;
    }

    private static long scalarLong(OpContext ctx, int i, String what) {
        Tensor t = ctx.input(i);
        if (t.numel() != 1) {
            throw ctx.error(what + " must be a scalar, got shape " + Arrays.toString(t.shape()));
        }
        return ctx.longs(t)[0];
    }
}
