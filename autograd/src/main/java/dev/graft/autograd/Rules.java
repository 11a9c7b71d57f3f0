package dev.graft.autograd;

import dev.graft.tensor.DType;
import dev.graft.tensor.PadMode;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Conv2dKernels;
import dev.graft.tensor.backend.VectorInfo;
import dev.graft.tensor.backend.simd.ActivationGrads;
import dev.graft.tensor.backend.simd.MaxPool2x2;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Every backward rule, keyed by the op name the tensor core records (see the recording sites in
 * {@link Tensor}). Each rule returns gradients that may still have the broadcast shape; the
 * engine sums them to each input's shape. To add an op: record it in the tensor core with the
 * arguments its derivative needs, then add one entry here and a gradcheck test.
 */
final class Rules {
    private static final Map<String, BackwardRule> RULES = new HashMap<>();

    private Rules() {
    }

    static BackwardRule get(String op) {
        return RULES.get(op);
    }

    private static void def(String op, BackwardRule rule) {
        RULES.put(op, rule);
    }

    private static Tensor[] grads(Tensor... g) {
        return g;
    }

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    static {
        // ---- shape and copy ops
        def("to", (n, g) -> grads(g));
        def("toDevice", (n, g) -> grads(g)); // the engine moves it back to the input's device
        def("clone", (n, g) -> grads(g));
        def("contiguous", (n, g) -> grads(g));
        def("reshape", (n, g) -> grads(g.reshape(n.<int[]>attr(0))));
        def("permute", (n, g) -> {
            int[] p = n.attr(0);
            int[] inv = new int[p.length];
            for (int i = 0; i < p.length; i++) {
                inv[p[i]] = i;
            }
            return grads(g.permute(inv));
        });
        def("expand", (n, g) -> grads(g)); // the engine sums back to the input shape
        def("slice", (n, g) -> {
            int d = n.attr(0);
            int start = n.attr(1);
            int step = n.attr(2);
            Tensor x = n.input(0);
            Tensor gx = Tensor.zeros(g.device(), g.dtype(), x.shape());
            int len = g.shape()[d];
            if (len > 0) {
                gx.slice(d, start, start + (len - 1) * step + 1, step).copyFrom(g);
            }
            return grads(gx);
        });
        def("concat", (n, g) -> {
            int d = n.attr(0);
            int[] sizes = n.attr(1);
            return g.split(sizes, d).toArray(new Tensor[0]);
        });
        def("padConstant", (n, g) -> {
            int[] pads = n.<int[]>attr(0).clone();
            for (int i = 0; i < pads.length; i++) {
                pads[i] = -pads[i];
            }
            return grads(g.pad(pads, PadMode.CONSTANT, 0));
        });

        // ---- elementwise unary: attrs (p0, p1)
        def("neg", (n, g) -> grads(g.neg()));
        def("abs", (n, g) -> grads(g.mul(n.input(0).sign())));
        def("sign", (n, g) -> grads(Tensor.zerosLike(g)));
        def("floor", (n, g) -> grads(Tensor.zerosLike(g)));
        def("ceil", (n, g) -> grads(Tensor.zerosLike(g)));
        def("round", (n, g) -> grads(Tensor.zerosLike(g)));
        def("relu", (n, g) -> {
            Tensor x = n.input(0);
            if (x.dtype() == DType.FLOAT32 && g.dtype() == DType.FLOAT32 && x.device().isCpu() && g.device().isCpu()
                    && Arrays.equals(x.shape(), g.shape()) && VectorInfo.available()) {
                return grads(ActivationGrads.relu(x.contiguous(), g.contiguous()));
            }
            return grads(g.mul(x.gt(0)));
        });
        def("square", (n, g) -> grads(g.mul(n.input(0)).mul(2)));
        def("exp", (n, g) -> grads(g.mul(n.output())));
        def("log", (n, g) -> grads(g.div(n.input(0))));
        def("log1p", (n, g) -> grads(g.div(n.input(0).add(1))));
        def("sqrt", (n, g) -> grads(g.div(n.output().mul(2))));
        def("rsqrt", (n, g) -> grads(g.mul(n.output().pow(3)).mul(-0.5)));
        def("reciprocal", (n, g) -> grads(g.mul(n.output().square()).neg()));
        def("sin", (n, g) -> grads(g.mul(n.input(0).cos())));
        def("cos", (n, g) -> grads(g.mul(n.input(0).sin()).neg()));
        def("tanh", (n, g) -> grads(g.mul(n.output().square().neg().add(1))));
        def("sigmoid", (n, g) -> {
            Tensor s = n.output();
            return grads(g.mul(s).mul(s.neg().add(1)));
        });
        def("silu", (n, g) -> {
            Tensor x = n.input(0);
            Tensor s = x.sigmoid();
            // d/dx x*s(x) = s + x*s*(1-s)
            return grads(g.mul(s.add(x.mul(s).mul(s.neg().add(1)))));
        });
        def("erf", (n, g) -> {
            Tensor x = n.input(0);
            return grads(g.mul(x.square().neg().exp().mul(2 / Math.sqrt(Math.PI))));
        });
        def("gelu", (n, g) -> {
            Tensor x = n.input(0);
            Tensor cdf = x.mul(1 / Math.sqrt(2)).erf().add(1).mul(0.5);
            Tensor pdf = x.square().mul(-0.5).exp().mul(INV_SQRT_2PI);
            return grads(g.mul(cdf.add(x.mul(pdf))));
        });
        def("gelu_tanh", (n, g) -> {
            Tensor x = n.input(0);
            Tensor x2 = x.square();
            Tensor t = x.add(x.mul(x2).mul(0.044715)).mul(SQRT_2_OVER_PI).tanh();
            Tensor du = x2.mul(3 * 0.044715).add(1).mul(SQRT_2_OVER_PI);
            Tensor d = t.add(1).mul(0.5).add(x.mul(0.5).mul(t.square().neg().add(1)).mul(du));
            return grads(g.mul(d));
        });
        def("leaky_relu", (n, g) -> {
            double slope = n.attr(0);
            Tensor x = n.input(0);
            return grads(Tensor.where(x.gt(0), g, g.mul(slope)));
        });
        def("pow", (n, g) -> {
            if (n.inputCount() == 1) {
                double p = n.attr(0);
                Tensor x = n.input(0);
                return grads(p == 0 ? Tensor.zerosLike(g) : g.mul(x.pow(p - 1)).mul(p));
            }
            // tensor ** tensor
            Tensor a = n.input(0);
            Tensor b = n.input(1);
            Tensor out = n.output();
            Tensor ga = g.mul(b).mul(a.pow(b.sub(1)));
            // d/db a^b = a^b log a; defined as 0 where a == 0 (the limit used by torch when b > 0)
            Tensor logA = Tensor.where(a.eq(0), Tensor.zerosLike(a), a.log());
            Tensor gb = g.mul(out).mul(logA);
            return grads(ga, gb);
        });
        def("clamp", (n, g) -> {
            double lo = n.attr(0);
            double hi = n.attr(1);
            Tensor x = n.input(0);
            Tensor pass = Tensor.onesLike(x).gt(0);
            if (!Double.isNaN(lo)) {
                pass = pass.logicalAnd(x.ge(lo));
            }
            if (!Double.isNaN(hi)) {
                pass = pass.logicalAnd(x.le(hi));
            }
            return grads(g.mul(pass));
        });

        // ---- elementwise binary
        def("add", (n, g) -> grads(g, g));
        def("sub", (n, g) -> grads(g, g.neg()));
        def("mul", (n, g) -> grads(g.mul(n.input(1)), g.mul(n.input(0))));
        def("div", (n, g) -> {
            Tensor b = n.input(1);
            return grads(g.div(b), g.mul(n.input(0)).div(b.square()).neg());
        });
        // "max"/"min" name both the elementwise pair (two inputs) and the full reduction (one input)
        RULES.put("max", (n, g) -> n.inputCount() == 2 ? extremumPair(n, g, true) : extremumReduce(n, g));
        RULES.put("min", (n, g) -> n.inputCount() == 2 ? extremumPair(n, g, false) : extremumReduce(n, g));
        def("where", (n, g) -> {
            Tensor c = n.input(0);
            Tensor zero = Tensor.zerosLike(g);
            return grads(null, Tensor.where(c, g, zero), Tensor.where(c, zero, g));
        });

        // ---- reductions: attrs (axes, keepdim)
        def("sum", (n, g) -> grads(expandReduced(n, g)));
        def("prod", (n, g) -> {
            // d prod / dx_i = prod / x_i; exact where x_i != 0, which is the case gradcheck covers
            Tensor x = n.input(0);
            Tensor out = expandReduced(n, n.output());
            return grads(expandReduced(n, g).mul(out).div(x));
        });
        def("amax", (n, g) -> grads(extremumReduceGrad(n, g)));
        def("amin", (n, g) -> grads(extremumReduceGrad(n, g)));
        def("maxDim", Rules::extremumDim);
        def("minDim", Rules::extremumDim);
        def("sortValues", (n, g) -> {
            int d = n.attr(0);
            Tensor idx = n.attr(1);
            Tensor x = n.input(0);
            return grads(Tensor.zeros(g.device(), g.dtype(), x.shape()).scatterAdd(d, idx, g));
        });
        def("cumsum", (n, g) -> {
            int d = n.attr(0);
            if (g.dim() == 0) {
                return grads(g);
            }
            // d/dx_i of sum_j<=k x_j is the suffix sum of g: total - prefix + g
            Tensor total = g.sum(new int[] {d}, true);
            return grads(total.sub(g.cumsum(d)).add(g));
        });

        // ---- linear algebra
        def("matmul", (n, g) -> {
            Tensor a = n.input(0);
            Tensor b = n.input(1);
            Tensor a2 = a.dim() == 1 ? a.unsqueeze(0) : a;
            Tensor b2 = b.dim() == 1 ? b.unsqueeze(1) : b;
            Tensor g2 = g;
            if (a.dim() == 1) {
                g2 = g2.unsqueeze(g2.dim() - (b.dim() == 1 ? 0 : 1));
            }
            if (b.dim() == 1) {
                g2 = g2.unsqueeze(g2.dim());
            }
            // When an operand is a transposed view (a Linear weight used as W^T), compute its gradient
            // in the operand's own memory order, (g^T a)^T, so that the leaf's gradient comes out
            // contiguous instead of needing a transposing copy.
            // an operand that needs no gradient (a network's input) costs no product: for the first
            // layer of an MLP that is the largest GEMM of the backward pass
            Tensor ga = null;
            Tensor gb = null;
            if (a.requiresGrad()) {
                ga = columnMajor(a2) ? b2.matmul(g2.transpose(-1, -2)).transpose(-1, -2) : g2.matmul(b2.transpose(-1, -2));
                ga = Engine.sumToShape("matmul", ga, a2.shape()).reshape(a.shape());
            }
            if (b.requiresGrad()) {
                gb = columnMajor(b2) ? g2.transpose(-1, -2).matmul(a2).transpose(-1, -2) : a2.transpose(-1, -2).matmul(g2);
                gb = Engine.sumToShape("matmul", gb, b2.shape()).reshape(b.shape());
            }
            return grads(ga, gb);
        });

        // ---- indexing: attrs (dim)
        def("gather", (n, g) -> {
            int d = n.attr(0);
            Tensor x = n.input(0);
            return grads(Tensor.zeros(g.device(), g.dtype(), x.shape()).scatterAdd(d, n.input(1), g), null);
        });
        def("scatterAdd", (n, g) -> {
            int d = n.attr(0);
            Tensor idx = n.input(1);
            Tensor src = n.input(2);
            Tensor part = g.gather(d, idx);
            Tensor gsrc = Tensor.zeros(g.device(), g.dtype(), src.shape());
            Tensor region = gsrc;
            for (int i = 0; i < idx.dim(); i++) {
                region = region.narrow(i, 0, idx.shape()[i]);
            }
            region.copyFrom(part);
            return grads(g, null, gsrc);
        });
        def("indexSelect", (n, g) -> {
            int d = n.attr(0);
            Tensor x = n.input(0);
            Tensor idx = n.input(1).reshape(-1).to(dev.graft.tensor.DType.INT64);
            if (x.dim() == 0) {
                return grads(g.sum().reshape(), null);
            }
            int[] view = new int[g.dim()];
            Arrays.fill(view, 1);
            view[d] = idx.numel();
            Tensor full = idx.reshape(view).expand(g.shape()).contiguous();
            return grads(Tensor.zeros(g.device(), g.dtype(), x.shape()).scatterAdd(d, full, g), null);
        });

        // ---- convolution and pooling
        def("unfold2d", (n, g) -> {
            Tensor x = n.input(0);
            int[] s = x.shape();
            return grads(g.fold2d(new int[] {s[2], s[3]}, n.attr(0), n.attr(1), n.attr(2), n.attr(3)));
        });
        def("fold2d", (n, g) -> grads(g.unfold2d(n.attr(0), n.attr(1), n.attr(2), n.attr(3))));
        def("conv2d", Rules::conv2d);
        def("maxPool2d", (n, g) -> {
            Tensor x = n.input(0);
            int[] geo = n.attr(0);
            Tensor arg = n.attr(1);
            boolean unbatched = x.dim() == 3;
            Tensor g4 = unbatched ? g.unsqueeze(0) : g;
            Tensor a4 = unbatched ? arg.unsqueeze(0) : arg;
            int[] gs = g4.shape();
            if (arg.dtype() == DType.UINT8 && g.device().isCpu() && VectorInfo.available() && MaxPool2x2.applies(g.dtype(), geo)) {
                Tensor gx = MaxPool2x2.backward(g4.contiguous(), a4.contiguous(), unbatched ? x.unsqueeze(0).shape() : x.shape());
                return grads(unbatched ? gx.squeeze(0) : gx);
            }
            int kk = geo[0] * geo[1];
            Tensor cols = Tensor.zeros(g.device(), g.dtype(), gs[0], gs[1], kk, gs[2], gs[3])
                    .scatterAdd(2, a4.to(DType.INT64).unsqueeze(2), g4.unsqueeze(2)); // the 2 x 2 kernel's positions are uint8
            return grads(foldBack(cols, x, geo, unbatched));
        });
        def("avgPool2d", (n, g) -> {
            Tensor x = n.input(0);
            int[] geo = n.attr(0);
            Tensor divisor = n.attr(1);
            boolean unbatched = x.dim() == 3;
            Tensor g4 = (unbatched ? g.unsqueeze(0) : g).div(divisor);
            int[] gs = g4.shape();
            Tensor cols = g4.unsqueeze(2).expand(gs[0], gs[1], geo[0] * geo[1], gs[2], gs[3]);
            return grads(foldBack(cols, x, geo, unbatched));
        });
    }

    /** A matrix (or batch) laid out column by column: a transposed view of a contiguous one. */
    private static boolean columnMajor(Tensor t) {
        int[] st = t.strides();
        int[] sh = t.shape();
        int r = st.length;
        return r >= 2 && st[r - 2] == 1 && sh[r - 2] > 1 && sh[r - 1] > 1 && st[r - 1] >= sh[r - 2];
    }

    /** cols [N, C, kk, OH, OW] summed back into the input's [N, C, H, W] (or [C, H, W]). */
    private static Tensor foldBack(Tensor cols, Tensor x, int[] geo, boolean unbatched) {
        int[] cs = cols.shape();
        int[] xs = unbatched ? x.unsqueeze(0).shape() : x.shape();
        Tensor r = cols.reshape(cs[0], cs[1] * cs[2], cs[3] * cs[4]).fold2d(new int[] {xs[2], xs[3]},
                new int[] {geo[0], geo[1]}, new int[] {geo[2], geo[3]}, new int[] {geo[4], geo[5]}, new int[] {geo[6], geo[7]});
        return unbatched ? r.squeeze(0) : r;
    }

    private static Tensor[] conv2d(Node n, Tensor g) {
        Tensor x = n.input(0);
        Tensor w = n.input(1);
        boolean hasBias = n.inputCount() == 3;
        int[] stride = n.attr(0);
        int[] padding = n.attr(1);
        int[] dilation = n.attr(2);
        int groups = n.attr(3);
        boolean unbatched = x.dim() == 3;
        Tensor x4 = unbatched ? x.unsqueeze(0) : x;
        Tensor g4 = unbatched ? g.unsqueeze(0) : g;
        int[] xs = x4.shape();
        int[] ws = w.shape();
        int[] gs = g4.shape();
        int nb = xs[0];
        int c = xs[1];
        int o = ws[0];
        int[] kernel = {ws[2], ws[3]};
        int ck = (c / groups) * ws[2] * ws[3];
        int l = gs[2] * gs[3];
        Tensor gg = g4.reshape(nb, groups, o / groups, l);
        if (Conv2dKernels.applies(x4, w, groups) && g.dtype() == x.dtype() && g.device().isCpu()) {
            int[] geo = {ws[2], ws[3], stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1]};
            Tensor[] gxwb = Conv2dKernels.backward(x4, w, g4, geo, groups, x.requiresGrad(), w.requiresGrad(),
                    hasBias && n.input(2).requiresGrad());
            Tensor gx = gxwb[0] != null && unbatched ? gxwb[0].squeeze(0) : gxwb[0];
            return hasBias ? grads(gx, gxwb[1], gxwb[2]) : grads(gx, gxwb[1]);
        }
        Tensor gx = null;
        if (x.requiresGrad()) {
            Tensor wg = w.reshape(groups, o / groups, ck).transpose(-1, -2); // [G, Ck, O/G]
            Tensor cols = wg.matmul(gg); // [N, G, Ck, L]
            gx = cols.reshape(nb, c * ws[2] * ws[3], l).fold2d(new int[] {xs[2], xs[3]}, kernel, stride, padding, dilation);
            if (unbatched) {
                gx = gx.squeeze(0);
            }
        }
        Tensor gw = null;
        if (w.requiresGrad()) {
            Tensor cols = x4.unfold2d(kernel, stride, padding, dilation).reshape(nb, groups, ck, l);
            gw = gg.matmul(cols.transpose(-1, -2)).sum(new int[] {0}, false).reshape(ws);
        }
        if (!hasBias) {
            return grads(gx, gw);
        }
        Tensor gb = g4.sum(new int[] {0, 2, 3}, false);
        return grads(gx, gw, gb);
    }

    /** Gradient of a reduction over attrs (axes, keepdim), expanded back to the input's shape. */
    private static Tensor expandReduced(Node n, Tensor g) {
        int[] axes = n.attr(0);
        boolean keepdim = n.attr(1);
        int[] shape = n.input(0).shape();
        Tensor r = g;
        if (!keepdim) {
            boolean[] mask = dev.graft.tensor.Shape.axisMask("sum", axes, shape.length);
            int[] kept = new int[shape.length];
            for (int i = 0; i < shape.length; i++) {
                kept[i] = mask[i] ? 1 : shape[i];
            }
            r = g.reshape(kept);
        }
        return r.expand(shape);
    }

    /** max/min over axes (values only): the gradient is shared evenly between tied extremes, as torch.amax does. */
    private static Tensor extremumReduceGrad(Node n, Tensor g) {
        Tensor x = n.input(0);
        Tensor out = expandReduced(n, n.output());
        Tensor hit = x.eq(out).to(g.dtype());
        int[] axes = n.attr(0);
        Tensor count = hit.sum(axes.length == 0 ? allAxes(x.dim()) : axes, true);
        return expandReduced(n, g).mul(hit).div(count);
    }

    private static Tensor[] extremumReduce(Node n, Tensor g) {
        return grads(extremumReduceGrad(n, g));
    }

    private static int[] allAxes(int rank) {
        int[] a = new int[rank];
        for (int i = 0; i < rank; i++) {
            a[i] = i;
        }
        return a;
    }

    /** max/min along one axis with indices: the gradient goes to the reported index. attrs (axis, keepdim, indices). */
    private static Tensor[] extremumDim(Node n, Tensor g) {
        int axis = n.attr(0);
        boolean keepdim = n.attr(1);
        Tensor idx = n.attr(2);
        Tensor x = n.input(0);
        if (x.dim() == 0) {
            return grads(g);
        }
        Tensor gk = keepdim ? g : g.unsqueeze(axis);
        Tensor ik = keepdim ? idx : idx.unsqueeze(axis);
        return grads(Tensor.zeros(g.device(), g.dtype(), x.shape()).scatterAdd(axis, ik, gk));
    }

    /** Elementwise maximum/minimum of two tensors: the larger (smaller) side gets the gradient, ties split it in half. */
    private static Tensor[] extremumPair(Node n, Tensor g, boolean max) {
        Tensor a = n.input(0);
        Tensor b = n.input(1);
        Tensor aWins = max ? a.gt(b) : a.lt(b);
        Tensor tie = a.eq(b);
        Tensor wa = aWins.to(g.dtype()).add(tie.to(g.dtype()).mul(0.5));
        Tensor wb = wa.neg().add(1);
        return grads(g.mul(wa), g.mul(wb));
    }
}
