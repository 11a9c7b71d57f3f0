package dev.graft.onnx.ops;

import dev.graft.onnx.OnnxNode;
import dev.graft.tensor.DType;
import dev.graft.tensor.Tensor;

import java.util.Arrays;
import java.util.function.BinaryOperator;
import java.util.function.DoubleBinaryOperator;
import java.util.function.LongBinaryOperator;
import java.util.function.UnaryOperator;

/**
 * ONNX's elementwise arithmetic, activations, comparisons and softmax family, composed from
 * {@link Tensor} ops so that float computations are differentiable. Reductions, index-producing
 * ops and sequences live in {@link MathOpsReduce}; MatMul, Gemm and Einsum in {@link MathOpsLinalg}.
 *
 * <p>ONNX requires the operands of an elementwise op to share one type and gives the result that
 * type, while Graft promotes like PyTorch (int32 + int64 is int64, int / int is float). The ops
 * here therefore never let a promotion happen: scalar constants are made in the input's dtype,
 * and the integer forms of Div, Mod and Pow compute on exact {@code long}s, the way ONNX Runtime
 * does in C++ (division truncates toward zero, narrow types wrap).
 */
final class MathOps {
    private MathOps() {
    }

    static void register(OpRegistry r) {
        // ---- elementwise binary arithmetic
        r.register("Add", binary((c, a, b) -> a.add(b)));
        r.register("Sub", binary((c, a, b) -> a.sub(b)));
        r.register("Mul", binary((c, a, b) -> a.mul(b)));
        r.register("Div", binary(MathOps::div));
        // Pow alone takes operands of different types: the exponent must not be cast to the base's type
        r.register("Pow", ctx -> {
            Tensor a = ctx.input(0);
            Tensor b = legacyBroadcast(ctx, a, ctx.input(1));
            return one(pow(ctx, a, b));
        });
        r.register("Mod", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                return one(mod(ctx, ctx.input(0), ctx.input(1), ctx.attrInt("fmod", 0) != 0));
            }
        });
        r.register("PRelu", ctx -> {
            Tensor x = ctx.input(0);
            Tensor slope = sameType(x, ctx.input(1));
            if (ctx.opset() < 7 && slope.dim() == 1 && slope.numel() > 1 && x.dim() > 2 && slope.numel() == x.size(1)) {
                // before opset 7 a 1-D slope holds one value per channel (axis 1), as PyTorch's exporter wrote it
                int[] s = new int[x.dim() - 1];
                java.util.Arrays.fill(s, 1);
                s[0] = slope.numel();
                slope = slope.reshape(s);
            }
            // relu(x) + slope * min(x, 0): no branch whose unused side could poison the gradient
            Tensor y = x.relu().add(slope.mul(x.minimum(zero(x))));
            return one(y);
        });

        // ---- variadic, broadcasting
        r.register("Sum", variadic(Tensor::add, false));
        r.register("Mean", variadic(Tensor::add, true));
        r.register("Max", variadic(Tensor::maximum, false));
        r.register("Min", variadic(Tensor::minimum, false));

        // ---- elementwise unary
        r.register("Neg", unary(Tensor::neg));
        r.register("Abs", unary(Tensor::abs));
        r.register("Sign", unary(Tensor::sign));
        r.register("Sqrt", floatUnary(Tensor::sqrt));
        r.register("Reciprocal", floatUnary(Tensor::reciprocal));
        r.register("Exp", floatUnary(Tensor::exp));
        r.register("Log", floatUnary(Tensor::log));
        r.register("Erf", floatUnary(Tensor::erf));
        r.register("Tanh", floatUnary(Tensor::tanh));
        r.register("Sigmoid", floatUnary(Tensor::sigmoid));
        r.register("Sin", floatUnary(Tensor::sin));
        r.register("Cos", floatUnary(Tensor::cos));
        r.register("Tan", floatUnary(x -> x.sin().div(x.cos())));
        r.register("Sinh", floatUnary(x -> x.exp().sub(x.neg().exp()).mul(0.5)));
        r.register("Cosh", floatUnary(x -> x.exp().add(x.neg().exp()).mul(0.5)));
        r.register("Floor", unary(Tensor::floor));
        r.register("Ceil", unary(Tensor::ceil));
        r.register("Round", unary(Tensor::round));
        r.register("IsNaN", ctx -> {
            Tensor x = ctx.input(0);
            return one(x.dtype().isFloating() ? x.ne(x) : Tensor.zeros(DType.BOOL, x.shape()));
        });
        r.register("IsInf", ctx -> {
            Tensor x = ctx.input(0);
            boolean pos = ctx.attrInt("detect_positive", 1) != 0;
            boolean neg = ctx.attrInt("detect_negative", 1) != 0;
            if (!x.dtype().isFloating() || !pos && !neg) {
                return one(Tensor.zeros(DType.BOOL, x.shape()));
            }
            Tensor p = x.eq(Double.POSITIVE_INFINITY);
            Tensor n = x.eq(Double.NEGATIVE_INFINITY);
            return one(pos && neg ? p.logicalOr(n) : pos ? p : n);
        });

        // ---- activations
        r.register("Relu", unary(Tensor::relu));
        r.register("LeakyRelu", ctx -> one(floatInput(ctx).leakyRelu(ctx.attrFloat("alpha", 0.01f))));
        r.register("Elu", ctx -> {
            Tensor x = floatInput(ctx);
            return one(elu(x, ctx.attrFloat("alpha", 1f)));
        });
        r.register("Selu", ctx -> {
            Tensor x = floatInput(ctx);
            double alpha = ctx.attrFloat("alpha", 1.67326319217681884765625f);
            double gamma = ctx.attrFloat("gamma", 1.05070102214813232421875f);
            return one(elu(x, alpha).mul(gamma));
        });
        r.register("Celu", ctx -> {
            Tensor x = floatInput(ctx);
            double alpha = ctx.attrFloat("alpha", 1f);
            if (alpha == 0) {
                throw ctx.error("alpha must be non-zero");
            }
            // max(0, x) + min(0, alpha * (exp(x / alpha) - 1)), with exp seeing only x <= 0
            Tensor neg = x.minimum(zero(x)).div(alpha).exp().sub(1).mul(alpha);
            return one(x.relu().add(neg));
        });
        r.register("Gelu", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                Tensor x = floatInput(ctx);
                return one("tanh".equals(ctx.attrString("approximate", "none")) ? x.geluTanh() : x.gelu());
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                var a = node.attributes().get("approximate");
                String s = a == null ? "none" : a.s();
                return "none".equals(s) || "tanh".equals(s) ? null : "approximate '" + s + "' is not supported (none, tanh)";
            }
        });
        r.register("HardSigmoid", ctx -> {
            Tensor x = floatInput(ctx);
            return one(hardSigmoid(x, ctx.attrFloat("alpha", 0.2f), ctx.attrFloat("beta", 0.5f)));
        });
        r.register("HardSwish", ctx -> {
            Tensor x = floatInput(ctx);
            return one(x.mul(hardSigmoid(x, 1.0 / 6, 0.5)));
        });
        r.register("Softplus", floatUnary(MathOps::softplus));
        r.register("Softsign", floatUnary(x -> x.div(x.abs().add(1))));
        r.register("Mish", floatUnary(x -> x.mul(softplus(x).tanh())));
        r.register("ThresholdedRelu", ctx -> {
            Tensor x = floatInput(ctx);
            return one(x.mul(x.gt(ctx.attrFloat("alpha", 1f)).to(x.dtype())));
        });
        r.register("Clip", MathOps::clip);

        // ---- softmax family
        r.register("Softmax", softmaxLike((x, a) -> x.softmax(a)));
        r.register("LogSoftmax", softmaxLike((x, a) -> x.logSoftmax(a)));
        r.register("Hardmax", softmaxLike(MathOps::hardmax));

        // ---- comparison and logic
        r.register("Equal", compare(Tensor::eq));
        r.register("Less", compare(Tensor::lt));
        r.register("Greater", compare(Tensor::gt));
        r.register("LessOrEqual", compare(Tensor::le));
        r.register("GreaterOrEqual", compare(Tensor::ge));
        r.register("And", compare((a, b) -> bool(a).logicalAnd(bool(b))));
        r.register("Or", compare((a, b) -> bool(a).logicalOr(bool(b))));
        r.register("Xor", compare((a, b) -> bool(a).ne(bool(b))));
        r.register("Not", ctx -> one(bool(ctx.input(0)).logicalNot()));
        r.register("Where", ctx -> {
            Tensor x = ctx.input(1);
            Tensor y = sameType(x, ctx.input(2));
            broadcastShape(ctx, broadcastShape(ctx, ctx.input(0).shape(), x.shape()), y.shape());
            return one(Tensor.where(bool(ctx.input(0)), x, y));
        });

        r.register("Shrink", ctx -> {
            Tensor x = ctx.input(0);
            double lambd = ctx.attrFloat("lambd", 0.5f);
            double bias = ctx.attrFloat("bias", 0f);
            Tensor zero = Tensor.zerosLike(x);
            Tensor y = Tensor.where(x.lt(-lambd), x.add(Tensor.scalar(bias, x.dtype())),
                    Tensor.where(x.gt(lambd), x.sub(Tensor.scalar(bias, x.dtype())), zero));
            return one(y);
        });
        r.register("BitShift", new OnnxOp() {
            @Override
            public Tensor[] apply(OpContext ctx) {
                Tensor a = ctx.input(0);
                Tensor b = sameType(a, ctx.input(1));
                if (a.dtype().isFloating()) {
                    throw ctx.error("expects unsigned integer inputs, got " + a.dtype());
                }
                boolean left = "LEFT".equals(ctx.attrString("direction", ""));
                // uint32 and uint64 are held in int64: a logical right shift keeps their top bit unsigned
                return one(intBinary(ctx, a, b, (x, y) -> y >= 64 || y < 0 ? 0 : left ? x << y : x >>> y));
            }

            @Override
            public String unsupportedReason(OnnxNode node, int opset) {
                var d = node.attributes().get("direction");
                String s = d == null ? null : d.s();
                return "LEFT".equals(s) || "RIGHT".equals(s) ? null : "direction must be LEFT or RIGHT, got " + s;
            }
        });

        MathOpsReduce.register(r);
        MathOpsSpecial.register(r);
        MathOpsSignal.register(r);
        MathOpsTraining.register(r);
        MathOpsLinalg.register(r);
    }

    // ------------------------------------------------------------------ op factories

    static Tensor[] one(Tensor t) {
        return new Tensor[] {t};
    }

    /** Elementwise binary op on same-typed operands, with opset &lt; 7's attribute-driven broadcast. */
    private static OnnxOp binary(Binary f) {
        return ctx -> {
            Tensor a = ctx.input(0);
            Tensor b = sameType(a, legacyBroadcast(ctx, a, ctx.input(1)));
            broadcastShape(ctx, a.shape(), b.shape());
            return one(f.apply(ctx, a, b));
        };
    }

    @FunctionalInterface
    private interface Binary {
        Tensor apply(OpContext ctx, Tensor a, Tensor b);
    }

    /** Before opset 7, {@code broadcast=1} with {@code axis} aligned B's dimensions with A's from that axis. */
    static Tensor legacyBroadcast(OpContext ctx, Tensor a, Tensor b) {
        if (ctx.opset() >= 7 || ctx.attrInt("broadcast", 0) == 0 || !ctx.hasAttr("axis")) {
            return b;
        }
        int axis = ctx.axis(ctx.attrInt("axis"), a.dim());
        int trailing = a.dim() - axis - b.dim();
        if (trailing < 0) {
            throw ctx.error("B of rank " + b.dim() + " does not fit into A from axis " + axis);
        }
        Tensor r = b;
        for (int i = 0; i < trailing; i++) {
            r = r.unsqueeze(r.dim());
        }
        return r;
    }

    private static OnnxOp variadic(BinaryOperator<Tensor> f, boolean mean) {
        return ctx -> {
            if (ctx.inputCount() == 0) {
                throw ctx.error("needs at least one input");
            }
            Tensor acc = ctx.input(0);
            int[] shape = acc.shape();
            for (int i = 1; i < ctx.inputCount(); i++) {
                Tensor t = sameType(acc, ctx.input(i));
                shape = broadcastShape(ctx, shape, t.shape());
                acc = f.apply(acc, t);
            }
            if (mean && ctx.inputCount() > 1) {
                acc = acc.dtype().isFloating() ? acc.div(ctx.inputCount())
                        : intBinary(ctx, acc, Tensor.scalar(ctx.inputCount(), acc.dtype()), (x, y) -> x / y);
            }
            if (!Arrays.equals(acc.shape(), shape)) {
                acc = acc.expand(shape);
            }
            // a single input is passed through as a fresh tensor, never as the caller's own object
            return one(ctx.inputCount() == 1 ? acc.clone() : acc);
        };
    }

    private static OnnxOp unary(UnaryOperator<Tensor> f) {
        return ctx -> one(f.apply(ctx.input(0)));
    }

    /** Unary ops ONNX defines on floating types only. */
    private static OnnxOp floatUnary(UnaryOperator<Tensor> f) {
        return ctx -> one(f.apply(floatInput(ctx)));
    }

    private static OnnxOp compare(BinaryOperator<Tensor> f) {
        return ctx -> {
            Tensor a = ctx.input(0);
            Tensor b = legacyBroadcast(ctx, a, ctx.input(1));
            broadcastShape(ctx, a.shape(), b.shape());
            return one(f.apply(a, b));
        };
    }

    @FunctionalInterface
    private interface AxisFn {
        Tensor apply(Tensor x, int axis);
    }

    /**
     * Softmax, LogSoftmax and Hardmax: from opset 13 along {@code axis} (default -1); before, the
     * input is coerced to 2-D at {@code axis} (default 1) and normalised over the flattened tail.
     */
    private static OnnxOp softmaxLike(AxisFn f) {
        return ctx -> {
            Tensor x = ctx.input(0);
            if (!x.dtype().isFloating()) {
                throw ctx.error("expects a floating-point input, got " + x.dtype());
            }
            int rank = x.dim();
            if (rank == 0) {
                return one(f.apply(x.reshape(1), 0).reshape());
            }
            if (ctx.opset() >= 13) {
                return one(f.apply(x, ctx.axis(ctx.attrInt("axis", -1), rank)));
            }
            long a = ctx.attrInt("axis", 1);
            // the coerced form also accepts axis == rank (everything in the outer block)
            int axis = a == rank ? rank : ctx.axis(a, rank);
            int[] s = x.shape();
            long outer = 1;
            for (int i = 0; i < axis; i++) {
                outer *= s[i];
            }
            long inner = 1;
            for (int i = axis; i < rank; i++) {
                inner *= s[i];
            }
            Tensor y = f.apply(x.reshape((int) outer, (int) inner), 1);
            return one(y.reshape(s));
        };
    }

    // ------------------------------------------------------------------ implementations

    private static Tensor div(OpContext ctx, Tensor a, Tensor b) {
        if (a.dtype().isFloating()) {
            return a.div(b);
        }
        return intBinary(ctx, a, b, (x, y) -> {
            if (y == 0) {
                throw ctx.error("integer division by zero");
            }
            return x / y; // Java, like C++, truncates toward zero
        });
    }

    /** Pow: the result has the base's type; the exponent may be of any numeric type. */
    private static Tensor pow(OpContext ctx, Tensor a, Tensor b) {
        broadcastShape(ctx, a.shape(), b.shape());
        if (a.dtype().isFloating()) {
            if (b.numel() == 1 && b.dim() <= a.dim()) {
                double p = b.detach().contiguous().toDoubleArray()[0];
                if (p == Math.rint(p)) {
                    // A whole scalar power (x^2 in a decomposed LayerNorm) is structure, not a weight:
                    // its derivative x^p log x is NaN for negative x and would poison a trained
                    // exponent initializer, so it is applied as a constant.
                    return a.pow(p); // b has no more dims than a, so the result has a's shape
                }
            }
            Tensor e = b.to(a.dtype());
            return a.pow(e);
        }
        if (b.dtype().isFloating()) {
            return doubleBinary(ctx, a, b, Math::pow).to(a.dtype());
        }
        return intBinary(ctx, a, b, (x, y) -> {
            if (y < 0) {
                return (long) Math.pow(x, y); // 1, -1 or 0 (integer truncation of a fraction)
            }
            long r = 1;
            long base = x;
            for (long e = y; e > 0; e >>= 1) {
                if ((e & 1) != 0) {
                    r *= base;
                }
                base *= base;
            }
            return r;
        });
    }

    /**
     * ONNX gives an op's operands one type; a mismatch (which a checked model never has) is
     * resolved toward the first operand, never by Graft's promotion.
     */
    private static Tensor sameType(Tensor ref, Tensor t) {
        return t.dtype() == ref.dtype() ? t : t.to(ref.dtype());
    }

    /** The ONNX Mod: integer modulo takes the divisor's sign (fmod=0) or the dividend's (fmod=1); floats need fmod=1. */
    static Tensor mod(OpContext ctx, Tensor a, Tensor b0, boolean fmod) {
        Tensor b = sameType(a, b0);
        broadcastShape(ctx, a.shape(), b.shape());
        if (!a.dtype().isFloating()) {
            return intBinary(ctx, a, b, (x, y) -> {
                if (y == 0) {
                    throw ctx.error("integer modulo by zero");
                }
                return fmod ? x % y : Math.floorMod(x, y);
            });
        }
        if (!fmod) {
            throw ctx.error("floating-point Mod requires fmod=1");
        }
        // The value is C's fmod computed exactly; the gradient is that of a - trunc(a/b) * b, whose
        // quotient is piecewise constant: d/da = 1, d/db = -trunc(a/b).
        Tensor exact = doubleBinary(ctx, a, b, (x, y) -> x % y).to(a.dtype());
        Tensor q = doubleBinary(ctx, a, b, (x, y) -> {
            double t = x / y;
            return Double.isFinite(t) ? (t < 0 ? Math.ceil(t) : Math.floor(t)) : 0;
        }).to(a.dtype());
        if (!a.requiresGrad() && !b.requiresGrad()) {
            return exact;
        }
        Tensor zeroA = a.sub(a.detach());
        Tensor zeroB = b.sub(b.detach());
        return exact.add(zeroA).sub(q.mul(zeroB));
    }

    private static Tensor elu(Tensor x, double alpha) {
        // relu(x) + alpha * (exp(min(x, 0)) - 1): exp never sees a large positive value
        return x.relu().add(x.minimum(zero(x)).exp().sub(1).mul(alpha));
    }

    private static Tensor hardSigmoid(Tensor x, double alpha, double beta) {
        return x.mul(alpha).add(beta).clamp(0, 1);
    }

    /** log(1 + exp(x)) computed as relu(x) + log1p(exp(-|x|)), which never overflows. */
    private static Tensor softplus(Tensor x) {
        return x.relu().add(x.abs().neg().exp().log1p());
    }

    private static Tensor hardmax(Tensor x, int axis) {
        int n = x.shape()[axis];
        if (x.numel() == 0) {
            return Tensor.zeros(x.dtype(), x.shape());
        }
        Tensor idx = x.detach().argmax(axis, true);
        int[] s = new int[x.dim()];
        Arrays.fill(s, 1);
        s[axis] = n;
        Tensor iota = Tensor.arange(n).reshape(s);
        return idx.eq(iota).to(x.dtype());
    }

    private static Tensor[] clip(OpContext ctx) {
        Tensor x = ctx.input(0);
        Tensor lo;
        Tensor hi;
        if (ctx.opset() < 11) {
            lo = ctx.hasAttr("min") ? Tensor.scalar(ctx.attrFloat("min", 0), x.dtype()) : null;
            hi = ctx.hasAttr("max") ? Tensor.scalar(ctx.attrFloat("max", 0), x.dtype()) : null;
        } else {
            lo = bound(ctx, x, ctx.optionalInput(1), "min");
            hi = bound(ctx, x, ctx.optionalInput(2), "max");
        }
        // max then min, as ONNX Runtime does: where min > max every element becomes max
        Tensor y = x;
        if (lo != null) {
            y = y.maximum(lo);
        }
        if (hi != null) {
            y = y.minimum(hi);
        }
        return one(y == x ? x.clone() : y);
    }

    private static Tensor bound(OpContext ctx, Tensor x, Tensor b, String what) {
        if (b == null) {
            return null;
        }
        if (b.numel() != 1) {
            throw ctx.error(what + " must be a scalar, got shape " + Arrays.toString(b.shape()));
        }
        return sameType(x, b.reshape());
    }

    // ------------------------------------------------------------------ helpers

    static Tensor floatInput(OpContext ctx) {
        Tensor x = ctx.input(0);
        if (!x.dtype().isFloating()) {
            throw ctx.error("expects a floating-point input, got " + x.dtype());
        }
        return x;
    }

    /** A 0-d zero of x's dtype (so it never promotes x). */
    static Tensor zero(Tensor x) {
        return Tensor.scalar(0, x.dtype());
    }

    static Tensor bool(Tensor t) {
        return t.dtype() == DType.BOOL ? t : t.ne(0);
    }

    /** The NumPy broadcast of two shapes, or an error naming both. */
    static int[] broadcastShape(OpContext ctx, int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            int x = i < n - a.length ? 1 : a[i - (n - a.length)];
            int y = i < n - b.length ? 1 : b[i - (n - b.length)];
            if (x != y && x != 1 && y != 1) {
                throw ctx.error("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " cannot be broadcast (dimension " + i + ": " + x + " vs " + y + ")");
            }
            r[i] = x == 1 ? y : x;
        }
        return r;
    }

    /** An elementwise integer op on exact longs, broadcasting; the result has a's dtype (narrow types wrap). */
    static Tensor intBinary(OpContext ctx, Tensor a, Tensor b, LongBinaryOperator f) {
        int[] s = broadcastShape(ctx, a.shape(), b.shape());
        long[] x = a.detach().expand(s).contiguous().toLongArray();
        long[] y = b.detach().expand(s).contiguous().toLongArray();
        long[] r = new long[x.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = f.applyAsLong(x[i], y[i]);
        }
        return Tensor.fromArray(r, s).to(a.dtype());
    }

    /** An elementwise op computed in double, broadcasting; the result is float64 (not differentiable). */
    static Tensor doubleBinary(OpContext ctx, Tensor a, Tensor b, DoubleBinaryOperator f) {
        int[] s = broadcastShape(ctx, a.shape(), b.shape());
        double[] x = a.detach().expand(s).contiguous().toDoubleArray();
        double[] y = b.detach().expand(s).contiguous().toDoubleArray();
        double[] r = new double[x.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = f.applyAsDouble(x[i], y[i]);
        }
        return Tensor.fromArray(r, s);
    }
}
