package dev.graft.onnx.ops;

import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.graft.onnx.ops.MathOps.one;

/**
 * MatMul, Gemm and Einsum. Graft multiplies floating-point matrices only; integer operands are
 * multiplied in float64 (exact while the sums stay below 2^53) and converted back.
 */
final class MathOpsLinalg {
    private MathOpsLinalg() {
    }

    static void register(OpRegistry r) {
        r.register("MatMul", ctx -> {
            Tensor a = ctx.input(0);
            Tensor b = ctx.input(1);
            if (a.dim() == 0 || b.dim() == 0) {
                throw ctx.error("MatMul operands need at least one dimension");
            }
            checkInner(ctx, a.shape(), b.shape());
            return one(matmul(a, b));
        });
        r.register("Gemm", MathOpsLinalg::gemm);
        r.register("Einsum", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                return one(einsum(ctx));
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                var eq = node.attributes().get("equation");
                if (eq == null || eq.s() == null) {
                    return "attribute 'equation' is missing";
                }
                String e = eq.s().replace(" ", "");
                if (!e.matches("[A-Za-z.,]*(->[A-Za-z.]*)?") || e.replace("...", "").contains(".")) {
                    return "equation '" + eq.s() + "' is not of the form 'terms->output' with letters and '...'";
                }
                int arrow = e.indexOf("->");
                int terms = (arrow < 0 ? e : e.substring(0, arrow)).split(",", -1).length;
                return terms == node.inputs().size() ? null
                        : "equation '" + eq.s() + "' has " + terms + " operand terms but the node has " + node.inputs().size() + " inputs";
            }
        });
    }

    private static void checkInner(OpContext ctx, int[] as, int[] bs) {
        int k = as[as.length - 1];
        int k2 = bs.length == 1 ? bs[0] : bs[bs.length - 2];
        if (k != k2) {
            throw ctx.error("inner dimensions differ: " + Arrays.toString(as) + " @ " + Arrays.toString(bs) + " (" + k + " vs " + k2 + ")");
        }
    }

    /** NumPy matmul that keeps the operands' dtype, integers included. */
    static Tensor matmul(Tensor a, Tensor b) {
        if (a.dtype().isFloating()) {
            return a.matmul(b.dtype() == a.dtype() ? b : b.to(a.dtype()));
        }
        DType dt = a.dtype();
        return a.to(DType.FLOAT64).matmul(b.to(DType.FLOAT64)).round().to(dt);
    }

    private static Tensor[] gemm(OpContext ctx) {
        Tensor a = ctx.input(0);
        Tensor b = ctx.input(1);
        Tensor c = ctx.optionalInput(2);
        if (a.dim() != 2 || b.dim() != 2) {
            throw ctx.error("A and B must be matrices");
        }
        if (ctx.attrInt("transA", 0) != 0) {
            a = a.transpose(0, 1);
        }
        if (ctx.attrInt("transB", 0) != 0) {
            b = b.transpose(0, 1);
        }
        if (a.shape()[1] != b.shape()[0]) {
            throw ctx.error("inner dimensions differ after transposition: " + Arrays.toString(a.shape()) + " @ "
                    + Arrays.toString(b.shape()));
        }
        double alpha = ctx.attrFloat("alpha", 1f);
        double beta = ctx.attrFloat("beta", 1f);
        Tensor y = matmul(a, b);
        if (alpha != 1) {
            y = scale(y, alpha);
        }
        if (c != null && beta != 0) {
            int[] ys = y.shape();
            int[] s = MathOps.broadcastShape(ctx, ys, c.shape());
            if (!Arrays.equals(s, ys)) {
                throw ctx.error("C of shape " + Arrays.toString(c.shape()) + " does not broadcast to the product's shape "
                        + Arrays.toString(ys));
            }
            Tensor cc = c.dtype() == y.dtype() ? c : c.to(y.dtype());
            y = y.add(beta == 1 ? cc : scale(cc, beta));
        }
        return one(y);
    }

    private static Tensor scale(Tensor t, double f) {
        return t.dtype().isFloating() ? t.mul(Tensor.scalar(f, t.dtype())) : t.to(DType.FLOAT64).mul(f).to(t.dtype());
    }

    // ------------------------------------------------------------------ Einsum

    /** Ellipsis dimensions get label ids from here up; letters use their char code. */
    private static final int ELLIPSIS = 256;

    private static Tensor einsum(OpContext ctx) {
        String eq = ctx.attrString("equation", "").replace(" ", "");
        int arrow = eq.indexOf("->");
        String lhs = arrow < 0 ? eq : eq.substring(0, arrow);
        String rhs = arrow < 0 ? null : eq.substring(arrow + 2);
        String[] terms = lhs.split(",", -1);
        int nIn = ctx.inputCount();
        if (terms.length != nIn) {
            throw ctx.error("equation '" + eq + "' has " + terms.length + " operand terms but the node has " + nIn + " inputs");
        }
        Tensor[] ops = new Tensor[nIn];
        List<List<Integer>> labels = new ArrayList<>();
        int ellRank = 0;
        for (int i = 0; i < nIn; i++) {
            ops[i] = ctx.input(i);
            int letters = countLetters(ctx, eq, terms[i]);
            boolean ell = terms[i].contains("...");
            int r = ops[i].dim();
            if (ell ? letters > r : letters != r) {
                throw ctx.error("term '" + terms[i] + "' names " + letters + " dimensions" + (ell ? " besides '...'" : "")
                        + " but input " + i + " has rank " + r);
            }
            if (ell) {
                ellRank = Math.max(ellRank, r - letters);
            }
        }
        Map<Integer, Integer> sizes = new LinkedHashMap<>();
        Map<Integer, Integer> count = new LinkedHashMap<>();
        for (int i = 0; i < nIn; i++) {
            List<Integer> l = termLabels(terms[i], ops[i].dim(), ellRank);
            labels.add(l);
            int[] s = ops[i].shape();
            for (int d = 0; d < l.size(); d++) {
                int id = l.get(d);
                count.merge(id, 1, Integer::sum);
                Integer prev = sizes.get(id);
                if (prev == null || prev == 1) {
                    sizes.put(id, s[d]);
                } else if (s[d] != prev && s[d] != 1) {
                    throw ctx.error("label '" + name(id) + "' has size " + prev + " in one place and " + s[d] + " in another");
                }
            }
        }
        List<Integer> out = new ArrayList<>();
        if (rhs == null) {
            // implicit output: the broadcast dimensions, then the labels used once, alphabetically
            for (int e = 0; e < ellRank; e++) {
                out.add(ELLIPSIS + e);
            }
            count.keySet().stream().filter(id -> id < ELLIPSIS && count.get(id) == 1).sorted().forEach(out::add);
        } else {
            countLetters(ctx, eq, rhs);
            if (rhs.indexOf("...") != rhs.lastIndexOf("...")) {
                throw ctx.error("the output term '" + rhs + "' has more than one '...'");
            }
            for (int id : termLabels(rhs, -1, ellRank)) {
                if (out.contains(id)) {
                    throw ctx.error("label '" + name(id) + "' appears twice in the output term '" + rhs + "'");
                }
                if (!sizes.containsKey(id)) {
                    throw ctx.error("output label '" + name(id) + "' appears in no input term");
                }
                out.add(id);
            }
        }
        DType dt = ops[0].dtype();
        for (int i = 0; i < nIn; i++) {
            Tensor t = ops[i].dtype() == dt ? ops[i] : ops[i].to(dt);
            ops[i] = dt.isFloating() ? t : t.to(DType.FLOAT64);
        }

        // diagonals first (a label repeated within one term), then labels needed nowhere else are summed
        for (int i = 0; i < nIn; i++) {
            Tensor t = ops[i];
            List<Integer> l = new ArrayList<>(labels.get(i));
            t = takeDiagonals(ctx, t, l);
            List<Integer> later = new ArrayList<>(out);
            for (int j = 0; j < nIn; j++) {
                if (j != i) {
                    later.addAll(labels.get(j));
                }
            }
            t = sumOut(t, l, later);
            ops[i] = t;
            labels.set(i, l);
        }
        Tensor cur = ops[0];
        List<Integer> cl = labels.get(0);
        for (int i = 1; i < nIn; i++) {
            List<Integer> keep = new ArrayList<>(out);
            for (int j = i + 1; j < nIn; j++) {
                keep.addAll(labels.get(j));
            }
            List<Integer> ol = labels.get(i);
            List<Integer> withOther = new ArrayList<>(keep);
            withOther.addAll(ol);
            cur = sumOut(cur, cl, withOther);
            Tensor other = sumOut(ops[i], ol, concat(keep, cl));
            Contracted c = contract(ctx, cur, cl, other, ol, keep, sizes);
            cur = c.t;
            cl = c.labels;
        }
        cur = sumOut(cur, cl, out);
        int[] perm = new int[out.size()];
        for (int d = 0; d < perm.length; d++) {
            perm[d] = cl.indexOf(out.get(d));
        }
        Tensor result = perm.length == 0 ? cur : cur.permute(perm);
        if (result == ops[0] && nIn == 1) {
            result = result.clone();
        }
        return dt.isFloating() ? result : result.round().to(dt);
    }

    private record Contracted(Tensor t, List<Integer> labels) {
    }

    /** cur and other share the labels in both; shared labels in keep stay as batch dims, the rest are summed by matmul. */
    private static Contracted contract(OpContext ctx, Tensor a, List<Integer> al, Tensor b, List<Integer> bl, List<Integer> keep,
                                       Map<Integer, Integer> sizes) {
        List<Integer> batch = new ArrayList<>();
        List<Integer> sum = new ArrayList<>();
        List<Integer> aOnly = new ArrayList<>();
        List<Integer> bOnly = new ArrayList<>();
        for (int id : al) {
            if (bl.contains(id)) {
                (keep.contains(id) ? batch : sum).add(id);
            } else {
                aOnly.add(id);
            }
        }
        for (int id : bl) {
            if (!al.contains(id)) {
                bOnly.add(id);
            }
        }
        Tensor pa = arrange(a, al, concat(batch, concat(aOnly, sum)), sizes);
        Tensor pb = arrange(b, bl, concat(batch, concat(sum, bOnly)), sizes);
        // batch dims stay separate (matmul broadcasts them) and single-label groups need no
        // reshape, so the attention patterns reach the GEMM as views, transposed operands included
        int[] bs = new int[batch.size() + 2];
        for (int d = 0; d < batch.size(); d++) {
            bs[d] = sizes.get(batch.get(d));
        }
        int m = prod(ctx, aOnly, sizes);
        int k = prod(ctx, sum, sizes);
        int n = prod(ctx, bOnly, sizes);
        int[] sa = bs.clone();
        sa[batch.size()] = m;
        sa[batch.size() + 1] = k;
        int[] sb = bs.clone();
        sb[batch.size()] = k;
        sb[batch.size() + 1] = n;
        Tensor r = reshapeIfNeeded(pa, sa).matmul(reshapeIfNeeded(pb, sb));
        List<Integer> rl = concat(batch, concat(aOnly, bOnly));
        int[] rs = new int[rl.size()];
        for (int d = 0; d < rs.length; d++) {
            rs[d] = sizes.get(rl.get(d));
        }
        return new Contracted(r.reshape(rs), rl);
    }

    private static Tensor reshapeIfNeeded(Tensor t, int[] shape) {
        return Arrays.equals(t.shape(), shape) ? t : t.reshape(shape);
    }

    /** Permutes t's dims into the given label order and expands broadcast (size-1) dims to the full size. */
    private static Tensor arrange(Tensor t, List<Integer> tl, List<Integer> order, Map<Integer, Integer> sizes) {
        int[] perm = new int[order.size()];
        int[] full = new int[order.size()];
        boolean identity = true;
        for (int d = 0; d < perm.length; d++) {
            perm[d] = tl.indexOf(order.get(d));
            full[d] = sizes.get(order.get(d));
            identity &= perm[d] == d;
        }
        Tensor p = identity ? t : t.permute(perm);
        return Arrays.equals(p.shape(), full) ? p : p.expand(full);
    }

    private static int prod(OpContext ctx, List<Integer> ids, Map<Integer, Integer> sizes) {
        long p = 1;
        for (int id : ids) {
            p *= sizes.get(id);
        }
        if (p > Integer.MAX_VALUE) {
            throw ctx.error("a contraction block would have " + p + " elements, more than an int can index");
        }
        return (int) p;
    }

    /** Replaces each label repeated within a term by its diagonal (masking with an identity and summing). */
    private static Tensor takeDiagonals(OpContext ctx, Tensor t, List<Integer> l) {
        for (int p = 0; p < l.size(); p++) {
            int q = l.subList(p + 1, l.size()).indexOf(l.get(p));
            while (q >= 0) {
                q += p + 1;
                int[] s = t.shape();
                if (s[p] != s[q]) {
                    throw ctx.error("label '" + name(l.get(p)) + "' is repeated over dimensions of sizes " + s[p] + " and " + s[q]);
                }
                int[] es = new int[s.length];
                Arrays.fill(es, 1);
                es[p] = s[p];
                es[q] = s[q];
                Tensor eye = Tensor.eye(s[p], s[q], t.dtype()).reshape(es);
                t = t.mul(eye).sum(new int[] {q}, false);
                l.remove(q);
                q = l.subList(p + 1, l.size()).indexOf(l.get(p));
            }
        }
        return t;
    }

    /** Sums the dims whose labels are not in {@code needed}; updates {@code l} in place. */
    private static Tensor sumOut(Tensor t, List<Integer> l, List<Integer> needed) {
        List<Integer> axes = new ArrayList<>();
        for (int d = 0; d < l.size(); d++) {
            if (!needed.contains(l.get(d))) {
                axes.add(d);
            }
        }
        if (axes.isEmpty()) {
            return t;
        }
        for (int d = axes.size() - 1; d >= 0; d--) {
            l.remove((int) axes.get(d));
        }
        return t.sum(axes.stream().mapToInt(Integer::intValue).toArray(), false);
    }

    private static List<Integer> concat(List<Integer> a, List<Integer> b) {
        List<Integer> r = new ArrayList<>(a);
        r.addAll(b);
        return r;
    }

    private static int countLetters(OpContext ctx, String eq, String term) {
        String rest = term.replace("...", "");
        if (term.indexOf("...") != term.lastIndexOf("...")) {
            throw ctx.error("term '" + term + "' of equation '" + eq + "' has more than one '...'");
        }
        for (char ch : rest.toCharArray()) {
            if (!(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z')) {
                throw ctx.error("equation '" + eq + "' has the character '" + ch + "' where a letter or '...' was expected");
            }
        }
        return rest.length();
    }

    /** The label ids of a term; its '...' stands for the last {@code rank - letters} of the ellRank broadcast dims. */
    private static List<Integer> termLabels(String term, int rank, int ellRank) {
        List<Integer> l = new ArrayList<>();
        int e = term.indexOf("...");
        String before = e < 0 ? term : term.substring(0, e);
        String after = e < 0 ? "" : term.substring(e + 3);
        for (char ch : before.toCharArray()) {
            l.add((int) ch);
        }
        if (e >= 0) {
            int n = rank < 0 ? ellRank : rank - before.length() - after.length();
            for (int d = 0; d < n; d++) {
                l.add(ELLIPSIS + ellRank - n + d);
            }
        }
        for (char ch : after.toCharArray()) {
            l.add((int) ch);
        }
        return l;
    }

    private static String name(int id) {
        return id < ELLIPSIS ? String.valueOf((char) id) : "...(" + (id - ELLIPSIS) + ")";
    }
}
