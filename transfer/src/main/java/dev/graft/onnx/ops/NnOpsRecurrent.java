package dev.graft.onnx.ops;

import dev.graft.onnx.OnnxAttribute;
import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * RNN, GRU and LSTM (opsets 7 and 14: directions, sequence_lens, initial states, peepholes,
 * input_forget, linear_before_reset, clip, custom activations, layout). The input projection of all
 * time steps is one matmul; each step then adds the recurrent matmul and applies the gates with
 * Tensor ops, so gradients flow through time into X, W, R, B and the initial states. Steps past a
 * batch element's sequence length keep its state and emit zeros, as ONNX Runtime does.
 */
final class NnOpsRecurrent {
    private NnOpsRecurrent() {
    }

    private enum Kind {
        RNN(1, List.of("Tanh")), GRU(3, List.of("Sigmoid", "Tanh")), LSTM(4, List.of("Sigmoid", "Tanh", "Tanh"));

        final int gates;
        final List<String> defaults;

        Kind(int gates, List<String> defaults) {
            this.gates = gates;
            this.defaults = defaults;
        }
    }

    private static final Set<String> ACTIVATIONS = Set.of("Relu", "Tanh", "Sigmoid", "Affine", "LeakyRelu", "ThresholdedRelu",
            "ScaledTanh", "HardSigmoid", "Elu", "Softsign", "Softplus");

    static void register(OpRegistry r) {
        for (Kind k : Kind.values()) {
            r.register(k.name(), new OnnxOp() {
                @Override
                public Tensor[] apply(OpContext ctx) {
                    return recurrent(ctx, k);
                }

                @Override
                public String unsupportedReason(OnnxNode node, int opset) {
                    OnnxAttribute a = node.attributes().get("activations");
                    if (a != null && a.strings() != null) {
                        for (String s : a.strings()) {
                            if (!ACTIVATIONS.contains(s)) {
                                return "activation '" + s + "' is not one of " + ACTIVATIONS;
                            }
                        }
                    }
                    OnnxAttribute d = node.attributes().get("direction");
                    if (d != null && d.s() != null && !Set.of("forward", "reverse", "bidirectional").contains(d.s())) {
                        return "direction '" + d.s() + "' is not forward, reverse or bidirectional";
                    }
                    return null;
                }
            });
        }
    }

    /** One activation function with its alpha and beta. */
    private record Act(String name, double alpha, double beta) {
        Tensor apply(Tensor x) {
            return switch (name) {
                case "Relu" -> x.relu();
                case "Tanh" -> x.tanh();
                case "Sigmoid" -> x.sigmoid();
                case "Affine" -> x.mul(alpha).add(beta);
                case "LeakyRelu" -> x.leakyRelu(alpha);
                case "ThresholdedRelu" -> x.mul(x.gt(alpha).to(x.dtype()));
                case "ScaledTanh" -> x.mul(beta).tanh().mul(alpha);
                case "HardSigmoid" -> x.mul(alpha).add(beta).clamp(0, 1);
                case "Elu" -> Tensor.where(x.gt(0), x, x.exp().sub(1).mul(alpha));
                case "Softsign" -> x.div(x.abs().add(1));
                case "Softplus" -> Tensor.where(x.gt(20), x, x.exp().log1p());
                default -> throw new IllegalArgumentException("activation " + name);
            };
        }
    }

    private static List<Act> activations(OpContext ctx, Kind kind, int dirs) {
        List<String> names = ctx.attrStrings("activations", null);
        if (names == null) {
            names = new ArrayList<>();
            for (int d = 0; d < dirs; d++) {
                names.addAll(kind.defaults);
            }
        } else if (names.size() == kind.defaults.size() && dirs == 2) {
            List<String> twice = new ArrayList<>(names);
            twice.addAll(names);
            names = twice;
        }
        if (names.size() != kind.defaults.size() * dirs) {
            throw ctx.error("activations " + names + " must list " + kind.defaults.size() * dirs + " functions");
        }
        float[] alphas = ctx.attrFloats("activation_alpha", new float[0]);
        float[] betas = ctx.attrFloats("activation_beta", new float[0]);
        int ai = 0;
        int bi = 0;
        List<Act> acts = new ArrayList<>();
        for (String n : names) {
            if (!ACTIVATIONS.contains(n)) {
                throw ctx.error("activation '" + n + "' is not supported");
            }
            double alpha = switch (n) {
                case "LeakyRelu" -> 0.01;
                case "HardSigmoid" -> 0.2;
                default -> 1.0;
            };
            double beta = n.equals("HardSigmoid") ? 0.5 : n.equals("Affine") ? 0 : 1.0;
            if (Set.of("Affine", "LeakyRelu", "ThresholdedRelu", "ScaledTanh", "HardSigmoid", "Elu").contains(n) && ai < alphas.length) {
                alpha = alphas[ai++];
            }
            if (Set.of("Affine", "ScaledTanh", "HardSigmoid").contains(n) && bi < betas.length) {
                beta = betas[bi++];
            }
            acts.add(new Act(n, alpha, beta));
        }
        return acts;
    }

    static Tensor[] recurrent(OpContext ctx, Kind kind) {
        Tensor x = ctx.input(0);
        Tensor w = ctx.input(1);
        Tensor r = ctx.input(2);
        Tensor b = ctx.optionalInput(3);
        Tensor seqLens = ctx.optionalInput(4);
        Tensor h0 = ctx.optionalInput(5);
        Tensor c0 = kind == Kind.LSTM ? ctx.optionalInput(6) : null;
        Tensor p = kind == Kind.LSTM ? ctx.optionalInput(7) : null;
        if (!x.dtype().isFloating() || x.dim() != 3 || w.dim() != 3 || r.dim() != 3) {
            throw ctx.error("X, W and R must be floating rank-3 tensors");
        }
        String direction = ctx.attrString("direction", "forward");
        int dirs = direction.equals("bidirectional") ? 2 : 1;
        long layout = ctx.attrInt("layout", 0);
        int hidden = (int) ctx.attrInt("hidden_size", r.size(2));
        int g = kind.gates;
        if (hidden < 1 || w.size(0) != dirs || r.size(0) != dirs || w.size(1) != g * hidden || r.size(1) != g * hidden || r.size(2) != hidden) {
            throw ctx.error("W must be [" + dirs + ", " + g * hidden + ", input_size] and R [" + dirs + ", " + g * hidden + ", " + hidden
                    + "] for direction " + direction + " and hidden_size " + hidden);
        }
        Tensor xs = layout == 1 ? x.transpose(0, 1) : x; // [T, batch, input]
        int steps = xs.size(0);
        int batch = xs.size(1);
        if (w.size(2) != xs.size(2)) {
            throw ctx.error("W's input size " + w.size(2) + " does not match X's " + xs.size(2));
        }
        if (b != null && (b.dim() != 2 || b.size(0) != dirs || b.size(1) != 2 * g * hidden)) {
            throw ctx.error("B must be [" + dirs + ", " + 2 * g * hidden + "]");
        }
        if (h0 != null && layout == 1) {
            h0 = h0.transpose(0, 1);
        }
        if (c0 != null && layout == 1) {
            c0 = c0.transpose(0, 1);
        }
        for (Tensor s : new Tensor[] {h0, c0}) {
            if (s != null && (s.dim() != 3 || s.size(0) != dirs || s.size(1) != batch || s.size(2) != hidden)) {
                throw ctx.error("initial states must be [" + dirs + ", " + batch + ", " + hidden + "] (layout " + layout + ")");
            }
        }
        if (p != null && (p.dim() != 2 || p.size(0) != dirs || p.size(1) != 3 * hidden)) {
            throw ctx.error("P must be [" + dirs + ", " + 3 * hidden + "]");
        }
        long[] lens = null;
        if (seqLens != null) {
            lens = ctx.longs(seqLens);
            if (lens.length != batch) {
                throw ctx.error("sequence_lens must hold " + batch + " lengths");
            }
            boolean full = true;
            for (long l : lens) {
                if (l < 0 || l > steps) {
                    throw ctx.error("sequence length " + l + " is outside [0, " + steps + "]");
                }
                full &= l == steps;
            }
            if (full) {
                lens = null;
            }
        }
        double clip = ctx.hasAttr("clip") ? ctx.attrFloat("clip", 0f) : Double.NaN;
        boolean inputForget = ctx.attrInt("input_forget", 0) != 0;
        boolean linearBeforeReset = ctx.attrInt("linear_before_reset", 0) != 0;
        List<Act> acts = activations(ctx, kind, dirs);
        int per = kind.defaults.size();

        Tensor[] yDirs = new Tensor[dirs];
        Tensor[] hLast = new Tensor[dirs];
        Tensor[] cLast = new Tensor[dirs];
        for (int d = 0; d < dirs; d++) {
            boolean reverse = direction.equals("reverse") || d == 1;
            Act f = acts.get(d * per);
            Act gAct = per > 1 ? acts.get(d * per + 1) : null;
            Act hAct = per > 2 ? acts.get(d * per + 2) : null;
            Tensor wd = w.select(0, d);
            Tensor rd = r.select(0, d);
            Tensor xw = xs.matmul(wd.t()); // [T, batch, G*H], every step's input projection at once
            Tensor rbh = null;
            if (b != null) {
                Tensor bd = b.select(0, d).to(x.dtype());
                Tensor wb = bd.narrow(0, 0, g * hidden);
                Tensor rb = bd.narrow(0, g * hidden, g * hidden);
                if (kind == Kind.GRU) {
                    // the hidden gate's recurrent bias sits inside the reset product (linear_before_reset)
                    rbh = rb.narrow(0, 2 * hidden, hidden);
                    xw = xw.add(wb).add(Tensor.concat(0, rb.narrow(0, 0, 2 * hidden), Tensor.zerosLike(rbh)));
                } else {
                    xw = xw.add(wb.add(rb));
                }
            }
            Tensor h = h0 != null ? h0.select(0, d) : Tensor.zeros(x.dtype(), batch, hidden);
            Tensor c = kind == Kind.LSTM ? (c0 != null ? c0.select(0, d) : Tensor.zeros(x.dtype(), batch, hidden)) : null;
            Tensor pi = null;
            Tensor po = null;
            Tensor pf = null;
            if (p != null) {
                Tensor pd = p.select(0, d);
                pi = pd.narrow(0, 0, hidden);
                po = pd.narrow(0, hidden, hidden);
                pf = pd.narrow(0, 2 * hidden, hidden);
            }
            Tensor[] ys = new Tensor[steps];
            for (int s = 0; s < steps; s++) {
                int t = reverse ? steps - 1 - s : s;
                Tensor gx = xw.select(0, t);
                Tensor hn;
                Tensor cn = null;
                switch (kind) {
                    case RNN -> hn = f.apply(clip(gx.add(h.matmul(rd.t())), clip));
                    case GRU -> {
                        Tensor zr = gx.narrow(1, 0, 2 * hidden).add(h.matmul(rd.narrow(0, 0, 2 * hidden).t()));
                        Tensor z = f.apply(clip(zr.narrow(1, 0, hidden), clip));
                        Tensor rr = f.apply(clip(zr.narrow(1, hidden, hidden), clip));
                        Tensor rh = rd.narrow(0, 2 * hidden, hidden);
                        Tensor pre;
                        if (linearBeforeReset) {
                            Tensor hr = h.matmul(rh.t());
                            pre = gx.narrow(1, 2 * hidden, hidden).add(rr.mul(rbh == null ? hr : hr.add(rbh)));
                        } else {
                            pre = gx.narrow(1, 2 * hidden, hidden).add(rr.mul(h).matmul(rh.t()));
                            pre = rbh == null ? pre : pre.add(rbh);
                        }
                        Tensor hh = gAct.apply(clip(pre, clip));
                        hn = hh.add(z.mul(h.sub(hh))); // (1 - z) * hh + z * h
                    }
                    default -> {
                        Tensor pre = gx.add(h.matmul(rd.t()));
                        Tensor ig = pre.narrow(1, 0, hidden);
                        Tensor og = pre.narrow(1, hidden, hidden);
                        Tensor fg = pre.narrow(1, 2 * hidden, hidden);
                        Tensor cg = pre.narrow(1, 3 * hidden, hidden);
                        if (pi != null) {
                            ig = ig.add(pi.mul(c));
                            fg = fg.add(pf.mul(c));
                        }
                        Tensor i = f.apply(clip(ig, clip));
                        Tensor fo = inputForget ? i.neg().add(1) : f.apply(clip(fg, clip));
                        cn = fo.mul(c).add(i.mul(gAct.apply(clip(cg, clip))));
                        if (po != null) {
                            og = og.add(po.mul(cn));
                        }
                        hn = f.apply(clip(og, clip)).mul(hAct.apply(cn));
                    }
                }
                if (lens != null) {
                    boolean[] valid = new boolean[batch];
                    for (int k = 0; k < batch; k++) {
                        valid[k] = t < lens[k];
                    }
                    Tensor m = Tensor.fromArray(valid, batch, 1);
                    hn = Tensor.where(m, hn, h);
                    if (cn != null) {
                        cn = Tensor.where(m, cn, c);
                    }
                    ys[t] = hn.maskedFill(m.logicalNot(), 0);
                } else {
                    ys[t] = hn;
                }
                h = hn;
                c = cn;
            }
            yDirs[d] = steps == 0 ? Tensor.zeros(x.dtype(), 0, batch, hidden) : Tensor.stack(0, ys); // [T, batch, H]
            hLast[d] = h;
            cLast[d] = c;
        }
        Tensor y = Tensor.stack(1, yDirs); // [T, dirs, batch, H]
        Tensor yh = Tensor.stack(0, hLast); // [dirs, batch, H]
        Tensor yc = kind == Kind.LSTM ? Tensor.stack(0, cLast) : null;
        if (layout == 1) {
            y = y.permute(2, 0, 1, 3);
            yh = yh.transpose(0, 1);
            yc = yc == null ? null : yc.transpose(0, 1);
        }
        return kind == Kind.LSTM ? new Tensor[] {y, yh, yc} : new Tensor[] {y, yh};
    }

    private static Tensor clip(Tensor t, double clip) {
        return Double.isNaN(clip) ? t : t.clamp(-clip, clip);
    }
}
