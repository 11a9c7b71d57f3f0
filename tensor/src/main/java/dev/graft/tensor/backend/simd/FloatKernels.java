package dev.graft.tensor.backend.simd;

import dev.graft.tensor.spi.BinaryOp;
import dev.graft.tensor.spi.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Contiguous float32 loops. The switch on the op sits outside each loop so that every loop body
 * has constant vector operators (the JIT only intrinsifies constant ones); every loop finishes
 * with a scalar tail that uses the SPI's reference definition.
 */
final class FloatKernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int VL = S.length();

    private FloatKernels() {
    }

    /**
     * Ops with a vector loop here; the rest run the typed scalar loop. Transcendentals are either
     * computed here from +, *, fma and bit operations only (exp, log and what is built on them) or
     * left to java.lang.Math: the Vector API's own EXP/LOG/TANH/SIN/... give different last bits
     * before and after the JIT compiles them, which made the same training step produce different
     * losses within one run.
     */
    static boolean vectorized(UnaryOp op, float p0) {
        return switch (op) {
            case SIGN, FLOOR, CEIL, ROUND, LOG1P, SIN, COS, TANH, GELU_TANH -> false;
            case POW -> p0 == 2f;
            default -> true;
        };
    }

    static void unary(UnaryOp op, float p0, float p1, float[] x, int xo, float[] o, int oo, int n) {
        // one small method per loop: each is its own compilation unit, so the vector code of one op
        // is never dropped from (or deoptimised with) another op's loop, and none of them passes a
        // vector across a call that the JIT might not inline (it would box the vector)
        int i = switch (op) {
            case EXP -> expLoop(x, xo, o, oo, n);
            case LOG -> logLoop(x, xo, o, oo, n);
            case SIGMOID -> sigmoidLoop(false, x, xo, o, oo, n);
            case SILU -> sigmoidLoop(true, x, xo, o, oo, n);
            case ERF -> erfLoop(false, x, xo, o, oo, n);
            case GELU -> erfLoop(true, x, xo, o, oo, n);
            case NEG, ABS, RELU, SQUARE, SQRT -> plainLoop(op, x, xo, o, oo, n);
            case CLAMP -> clampLoop(p0, p1, x, xo, o, oo, n);
            case RSQRT, RECIPROCAL -> reciprocalLoop(op == UnaryOp.RSQRT, x, xo, o, oo, n);
            case POW -> p0 == 2f ? plainLoop(UnaryOp.SQUARE, x, xo, o, oo, n) : 0;
            case LEAKY_RELU -> leakyReluLoop(p0, x, xo, o, oo, n);
            default -> 0; // no vector form: everything goes to the tail loop
        };
        for (; i < n; i++) {
            o[oo + i] = (float) op.apply(x[xo + i], p0, p1);
        }
    }

    /** The one-instruction ops; returns how many leading elements it wrote (the rest is the tail). */
    private static int plainLoop(UnaryOp op, float[] x, int xo, float[] o, int oo, int n) {
        int ub = S.loopBound(n);
        switch (op) {
            case NEG -> {
                for (int i = 0; i < ub; i += VL) {
                    FloatVector.fromArray(S, x, xo + i).neg().intoArray(o, oo + i);
                }
            }
            case ABS -> {
                for (int i = 0; i < ub; i += VL) {
                    FloatVector.fromArray(S, x, xo + i).abs().intoArray(o, oo + i);
                }
            }
            case RELU -> {
                for (int i = 0; i < ub; i += VL) {
                    FloatVector.fromArray(S, x, xo + i).max(ZERO).intoArray(o, oo + i);
                }
            }
            case SQUARE -> {
                for (int i = 0; i < ub; i += VL) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.mul(v).intoArray(o, oo + i);
                }
            }
            case SQRT -> {
                for (int i = 0; i < ub; i += VL) {
                    FloatVector.fromArray(S, x, xo + i).sqrt().intoArray(o, oo + i);
                }
            }
            default -> throw new IllegalStateException(op.toString());
        }
        return ub;
    }

    private static int clampLoop(float p0, float p1, float[] x, int xo, float[] o, int oo, int n) {
        int ub = S.loopBound(n);
        FloatVector lo = FloatVector.broadcast(S, Float.isNaN(p0) ? Float.NEGATIVE_INFINITY : p0);
        FloatVector hi = FloatVector.broadcast(S, Float.isNaN(p1) ? Float.POSITIVE_INFINITY : p1);
        for (int i = 0; i < ub; i += VL) {
            FloatVector.fromArray(S, x, xo + i).max(lo).min(hi).intoArray(o, oo + i);
        }
        return ub;
    }

    /** 1 / sqrt(x) or 1 / x. */
    private static int reciprocalLoop(boolean rsqrt, float[] x, int xo, float[] o, int oo, int n) {
        int ub = S.loopBound(n);
        if (rsqrt) {
            for (int i = 0; i < ub; i += VL) {
                ONE.div(FloatVector.fromArray(S, x, xo + i).sqrt()).intoArray(o, oo + i);
            }
        } else {
            for (int i = 0; i < ub; i += VL) {
                ONE.div(FloatVector.fromArray(S, x, xo + i)).intoArray(o, oo + i);
            }
        }
        return ub;
    }

    private static int leakyReluLoop(float slope, float[] x, int xo, float[] o, int oo, int n) {
        int ub = S.loopBound(n);
        FloatVector sv = FloatVector.broadcast(S, slope);
        for (int i = 0; i < ub; i += VL) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            // v where v > 0, else slope * v (NaN takes the second branch, as in the reference)
            v.mul(sv).blend(v, v.compare(VectorOperators.GT, ZERO)).intoArray(o, oo + i);
        }
        return ub;
    }

    /**
     * The ops built on exp run in passes over blocks of {@link #BLOCK} elements held in a scratch
     * array (L1-resident): the argument of exp, exp in place ({@link #expLoop}, the only copy of
     * the exp code), then the rest. Each pass is a plain loop with all its vector code inlined;
     * a helper method taking and returning vectors is too large for C2 to inline in a hot loop
     * (FreqInlineSize), and every call to it then boxes its vectors.
     */
    static final int BLOCK = 512;

    /** sigmoid(x) = 1 / (1 + exp(-x)), or x * sigmoid(x) for SiLU; exp overflowing to +inf gives the correct 0. */
    private static int sigmoidLoop(boolean silu, float[] x, int xo, float[] o, int oo, int n) {
        int ub = S.loopBound(n);
        float[] buf = new float[Math.min(ub, BLOCK)];
        for (int c = 0; c < ub; c += BLOCK) {
            int m = Math.min(BLOCK, ub - c);
            plainLoop(UnaryOp.NEG, x, xo + c, buf, 0, m);
            expLoop(buf, 0, buf, 0, m);
            sigmoidFinish(silu, x, xo + c, buf, o, oo + c, m);
        }
        return ub;
    }

    private static void sigmoidFinish(boolean silu, float[] x, int xo, float[] e, float[] o, int oo, int m) {
        if (silu) {
            for (int i = 0; i < m; i += VL) {
                FloatVector s = ONE.div(FloatVector.fromArray(S, e, i).add(ONE));
                FloatVector.fromArray(S, x, xo + i).mul(s).intoArray(o, oo + i);
            }
        } else {
            for (int i = 0; i < m; i += VL) {
                ONE.div(FloatVector.fromArray(S, e, i).add(ONE)).intoArray(o, oo + i);
            }
        }
    }

    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));

    /**
     * erf(x), or GELU x/2 (1 + erf(x/sqrt 2)). erf in float32: an odd Taylor polynomial below
     * |x| = 0.5 (relative error &lt; 1e-7 there) and Abramowitz &amp; Stegun 7.1.26 above (absolute
     * error &lt; 1.5e-7, erf &gt; 0.52 there), whose exp(-x^2) is the first two passes.
     */
    private static int erfLoop(boolean gelu, float[] x, int xo, float[] o, int oo, int n) {
        int ub = S.loopBound(n);
        float[] buf = new float[Math.min(ub, BLOCK)];
        for (int c = 0; c < ub; c += BLOCK) {
            int m = Math.min(BLOCK, ub - c);
            negSquare(gelu, x, xo + c, buf, m);
            expLoop(buf, 0, buf, 0, m);
            erfFinish(gelu, x, xo + c, buf, o, oo + c, m);
        }
        return ub;
    }

    /** buf = -(a * a) for a = x (erf) or x / sqrt 2 (GELU). */
    private static void negSquare(boolean gelu, float[] x, int xo, float[] buf, int m) {
        FloatVector scale = gelu ? FloatVector.broadcast(S, INV_SQRT2) : ONE;
        for (int i = 0; i < m; i += VL) {
            FloatVector a = FloatVector.fromArray(S, x, xo + i).mul(scale).abs();
            a.mul(a).neg().intoArray(buf, i);
        }
    }

    private static void erfFinish(boolean gelu, float[] x, int xo, float[] e, float[] o, int oo, int m) {
        FloatVector scale = gelu ? FloatVector.broadcast(S, INV_SQRT2) : ONE;
        for (int i = 0; i < m; i += VL) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector a = v.mul(scale);
            FloatVector ax = a.abs();
            // A&S 7.1.26 on |a| (separate multiplies and adds, not fma: the same bits as before)
            FloatVector t = ONE.div(ax.mul(ERF_P).add(ONE));
            FloatVector poly = t.mul(ERF_A5).add(ERF_A4).mul(t).add(ERF_A3).mul(t).add(ERF_A2).mul(t).add(ERF_A1).mul(t);
            FloatVector far = poly.mul(FloatVector.fromArray(S, e, i)).neg().add(ONE);
            far = far.blend(far.neg(), a.compare(VectorOperators.LT, ZERO));
            // Taylor: 2/sqrt(pi) * (a - a^3/3 + a^5/10 - a^7/42 + a^9/216 - a^11/1320)
            FloatVector a2 = a.mul(a);
            FloatVector near = a2.mul(ERF_T11).add(ERF_T9).mul(a2).add(ERF_T7).mul(a2).add(ERF_T5).mul(a2).add(ERF_T3)
                    .mul(a2).add(ONE).mul(a).mul(TWO_OVER_SQRT_PI);
            FloatVector erf = far.blend(near, ax.compare(VectorOperators.LT, HALF));
            if (gelu) {
                v.mul(HALF).mul(erf.add(ONE)).intoArray(o, oo + i);
            } else {
                erf.intoArray(o, oo + i);
            }
        }
    }

    /** o = a op b for the arithmetic ops; sa/sb are 1 (vector) or 0 (one broadcast value). */
    static boolean arithmetic(BinaryOp op) {
        return switch (op) {
            case ADD, SUB, MUL, DIV, MAX, MIN -> true;
            default -> false;
        };
    }

    static void binary(BinaryOp op, float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
        // one method per operator, so that every lanewise call has a constant operator: with the
        // operator in a variable (a phi of constants) C2 cannot intrinsify the call ("missing
        // constant: opr=...") and runs the Java fallback lane by lane
        int i = switch (op) {
            case ADD -> add(a, ao, sa, b, bo, sb, o, oo, n);
            case SUB -> sub(a, ao, sa, b, bo, sb, o, oo, n);
            case MUL -> mul(a, ao, sa, b, bo, sb, o, oo, n);
            case DIV -> div(a, ao, sa, b, bo, sb, o, oo, n);
            case MAX -> max(a, ao, sa, b, bo, sb, o, oo, n);
            case MIN -> min(a, ao, sa, b, bo, sb, o, oo, n);
            default -> throw new IllegalStateException(op.toString());
        };
        for (; i < n; i++) {
            o[oo + i] = (float) op.apply(a[ao + i * sa], b[bo + i * sb]);
        }
    }

    // Each of these handles the three layouts (vector op vector, vector op one value, one value op
    // vector) and returns how many leading elements it wrote.

    private static int add(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
        int ub = S.loopBound(n);
        if (sa == 1 && sb == 1) {
            for (int i = 0; i < ub; i += VL) {
                FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
            }
        } else if (sa == 1) {
            FloatVector bv = FloatVector.broadcast(S, b[bo]);
            for (int i = 0; i < ub; i += VL) {
                FloatVector.fromArray(S, a, ao + i).add(bv).intoArray(o, oo + i);
            }
        } else if (sb == 1) {
            FloatVector av = FloatVector.broadcast(S, a[ao]);
            for (int i = 0; i < ub; i += VL) {
                av.add(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
            }
        } else {
            return 0;
        }
        return ub;
    }

    private static int sub(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
        int ub = S.loopBound(n);
        if (sa == 1 && sb == 1) {
            for (int i = 0; i < ub; i += VL) {
                FloatVector.fromArray(S, a, ao + i).sub(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
            }
        } else if (sa == 1) {
            FloatVector bv = FloatVector.broadcast(S, b[bo]);
            for (int i = 0; i < ub; i += VL) {
                FloatVector.fromArray(S, a, ao + i).sub(bv).intoArray(o, oo + i);
            }
        } else if (sb == 1) {
            FloatVector av = FloatVector.broadcast(S, a[ao]);
            for (int i = 0; i < ub; i += VL) {
                av.sub(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
            }
        } else {
            return 0;
        }
        return ub;
    }

    private static int mul(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
        int ub = S.loopBound(n);
        if (sa == 1 && sb == 1) {
            for (int i = 0; i < ub; i += VL) {
                FloatVector.fromArray(S, a, ao + i).mul(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
            }
        } else if (sa == 1) {
            FloatVector bv = FloatVector.broadcast(S, b[bo]);
            for (int i = 0; i < ub; i += VL) {
                FloatVector.fromArray(S, a, ao + i).mul(bv).intoArray(o, oo + i);
            }
        } else if (sb == 1) {
            FloatVector av = FloatVector.broadcast(S, a[ao]);
            for (int i = 0; i < ub; i += VL) {
                av.mul(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
            }
        } else {
            return 0;
        }
        return ub;
    }

    private static int div(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
        int ub = S.loopBound(n);
        if (sa == 1 && sb == 1) {
            for (int i = 0; i < ub; i += VL) {
                FloatVector.fromArray(S, a, ao + i).div(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
            }
        } else if (sa == 1) {
            // a / b, not a * (1/b): the same rounding as the reference
            FloatVector bv = FloatVector.broadcast(S, b[bo]);
            for (int i = 0; i < ub; i += VL) {
                FloatVector.fromArray(S, a, ao + i).div(bv).intoArray(o, oo + i);
            }
        } else if (sb == 1) {
            FloatVector av = FloatVector.broadcast(S, a[ao]);
            for (int i = 0; i < ub; i += VL) {
                av.div(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
            }
        } else {
            return 0;
        }
        return ub;
    }

    private static int max(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
        int ub = S.loopBound(n);
        if (sa == 1 && sb == 1) {
            for (int i = 0; i < ub; i += VL) {
                FloatVector.fromArray(S, a, ao + i).max(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
            }
        } else if (sa == 1) {
            FloatVector bv = FloatVector.broadcast(S, b[bo]);
            for (int i = 0; i < ub; i += VL) {
                FloatVector.fromArray(S, a, ao + i).max(bv).intoArray(o, oo + i);
            }
        } else if (sb == 1) {
            FloatVector av = FloatVector.broadcast(S, a[ao]);
            for (int i = 0; i < ub; i += VL) {
                av.max(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
            }
        } else {
            return 0;
        }
        return ub;
    }

    private static int min(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
        int ub = S.loopBound(n);
        if (sa == 1 && sb == 1) {
            for (int i = 0; i < ub; i += VL) {
                FloatVector.fromArray(S, a, ao + i).min(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
            }
        } else if (sa == 1) {
            FloatVector bv = FloatVector.broadcast(S, b[bo]);
            for (int i = 0; i < ub; i += VL) {
                FloatVector.fromArray(S, a, ao + i).min(bv).intoArray(o, oo + i);
            }
        } else if (sb == 1) {
            FloatVector av = FloatVector.broadcast(S, a[ao]);
            for (int i = 0; i < ub; i += VL) {
                av.min(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
            }
        } else {
            return 0;
        }
        return ub;
    }

    /**
     * dst[d + i] += src[s + i] for i < n where bit i % VL of lanes[i / VL] is set (col2im's kernel
     * taps, wrapped columns left out).
     */
    static void addIntoWhere(float[] src, int s, float[] dst, int d, int n, long[] lanes) {
        int i = 0;
        for (int c = 0; i + VL <= n; i += VL, c++) {
            VectorMask<Float> m = VectorMask.fromLong(S, lanes[c]);
            FloatVector.fromArray(S, dst, d + i, m).add(FloatVector.fromArray(S, src, s + i, m)).intoArray(dst, d + i, m);
        }
        if (i < n) {
            VectorMask<Float> m = VectorMask.fromLong(S, lanes[i / VL]).and(S.indexInRange(i, n));
            FloatVector.fromArray(S, dst, d + i, m).add(FloatVector.fromArray(S, src, s + i, m)).intoArray(dst, d + i, m);
        }
    }

    /** dst[d + i] += src[s + i] for i < n (col2im's rows). */
    static void addInto(float[] src, int s, float[] dst, int d, int n) {
        int i = 0;
        for (int ub = S.loopBound(n); i < ub; i += VL) {
            FloatVector.fromArray(S, dst, d + i).add(FloatVector.fromArray(S, src, s + i)).intoArray(dst, d + i);
        }
        if (i < n) {
            // rows are often shorter than a vector (14 or 28 columns): one masked step, not a scalar loop
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, dst, d + i, m).add(FloatVector.fromArray(S, src, s + i, m)).intoArray(dst, d + i, m);
        }
    }

    /** Sum of n contiguous floats with four independent vector accumulators. */
    static float sum(float[] x, int xo, int n) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = FloatVector.zero(S);
        FloatVector s2 = FloatVector.zero(S);
        FloatVector s3 = FloatVector.zero(S);
        int i = 0;
        int ub4 = n - n % (4 * VL);
        for (; i < ub4; i += 4 * VL) {
            s0 = s0.add(FloatVector.fromArray(S, x, xo + i));
            s1 = s1.add(FloatVector.fromArray(S, x, xo + i + VL));
            s2 = s2.add(FloatVector.fromArray(S, x, xo + i + 2 * VL));
            s3 = s3.add(FloatVector.fromArray(S, x, xo + i + 3 * VL));
        }
        int ub = S.loopBound(n);
        for (; i < ub; i += VL) {
            s0 = s0.add(FloatVector.fromArray(S, x, xo + i));
        }
        // not reduceLanes(ADD): its lane order differs between the interpreted fallback and the JIT
        // intrinsic, so the same row summed before and after warm-up rounded differently
        float[] lanes = s0.add(s1).add(s2.add(s3)).toArray();
        float r = 0;
        for (float v : lanes) {
            r += v;
        }
        for (; i < n; i++) {
            r += x[xo + i];
        }
        return r;
    }

    /**
     * out[oo + i] = reduce_j x[xo + j*jStride + i] for i in [0, inner): the reduced axis is the slow
     * one, so each vector lane accumulates one output (pooling windows, batch sums).
     */
    static void reduceMiddle(dev.graft.tensor.spi.ReduceOp op, float[] x, int xo, int jStride, int n, int inner, float[] out, int oo) {
        int i = 0;
        int ub = S.loopBound(inner);
        switch (op) {
            case SUM -> {
                for (; i < ub; i += VL) {
                    FloatVector acc = FloatVector.zero(S);
                    for (int j = 0; j < n; j++) {
                        acc = acc.add(FloatVector.fromArray(S, x, xo + j * jStride + i));
                    }
                    acc.intoArray(out, oo + i);
                }
            }
            case MAX -> {
                for (; i < ub; i += VL) {
                    FloatVector acc = FloatVector.fromArray(S, x, xo + i);
                    for (int j = 1; j < n; j++) {
                        acc = acc.max(FloatVector.fromArray(S, x, xo + j * jStride + i));
                    }
                    acc.intoArray(out, oo + i);
                }
            }
            case MIN -> {
                for (; i < ub; i += VL) {
                    FloatVector acc = FloatVector.fromArray(S, x, xo + i);
                    for (int j = 1; j < n; j++) {
                        acc = acc.min(FloatVector.fromArray(S, x, xo + j * jStride + i));
                    }
                    acc.intoArray(out, oo + i);
                }
            }
            default -> throw new IllegalStateException(op.toString());
        }
        for (; i < inner; i++) {
            float acc = op == dev.graft.tensor.spi.ReduceOp.SUM ? 0 : x[xo + i];
            for (int j = op == dev.graft.tensor.spi.ReduceOp.SUM ? 0 : 1; j < n; j++) {
                float v = x[xo + j * jStride + i];
                acc = switch (op) {
                    case SUM -> acc + v;
                    case MAX -> Float.isNaN(acc) || Float.isNaN(v) ? Float.NaN : Math.max(acc, v);
                    default -> Float.isNaN(acc) || Float.isNaN(v) ? Float.NaN : Math.min(acc, v);
                };
            }
            out[oo + i] = acc;
        }
    }

    /** out = (a op b) as 0/1 bytes for the comparison and logical ops, with the switch outside the loops. */
    static void compare(BinaryOp op, float[] a, int ao, int sa, float[] b, int bo, int sb, byte[] o, int oo, int so, int n) {
        switch (op) {
            case EQ -> {
                for (int i = 0; i < n; i++) {
                    o[oo + i * so] = (byte) (a[ao + i * sa] == b[bo + i * sb] ? 1 : 0);
                }
            }
            case NE -> {
                for (int i = 0; i < n; i++) {
                    o[oo + i * so] = (byte) (a[ao + i * sa] != b[bo + i * sb] ? 1 : 0);
                }
            }
            case LT -> {
                for (int i = 0; i < n; i++) {
                    o[oo + i * so] = (byte) (a[ao + i * sa] < b[bo + i * sb] ? 1 : 0);
                }
            }
            case LE -> {
                for (int i = 0; i < n; i++) {
                    o[oo + i * so] = (byte) (a[ao + i * sa] <= b[bo + i * sb] ? 1 : 0);
                }
            }
            case GT -> {
                for (int i = 0; i < n; i++) {
                    o[oo + i * so] = (byte) (a[ao + i * sa] > b[bo + i * sb] ? 1 : 0);
                }
            }
            case GE -> {
                for (int i = 0; i < n; i++) {
                    o[oo + i * so] = (byte) (a[ao + i * sa] >= b[bo + i * sb] ? 1 : 0);
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    o[oo + i * so] = (byte) op.apply(a[ao + i * sa], b[bo + i * sb]);
                }
            }
        }
    }

    /**
     * Max (or min) over the slow axis with the position of the first extreme, vectorised across
     * inner: positions ride along as float lanes (exact below 2^24). NaN wins and the first NaN is
     * kept, matching the reference.
     */
    static void argReduceMiddle(boolean max, float[] x, int xo, int jStride, int n, int inner, float[] out, long[] idx, int oo) {
        int i = 0;
        int ub = n < (1 << 24) ? S.loopBound(inner) : 0;
        for (; i < ub; i += VL) {
            FloatVector best = FloatVector.fromArray(S, x, xo + i);
            FloatVector pos = ZERO;
            FloatVector jv = ZERO;
            for (int j = 1; j < n; j++) {
                jv = jv.add(ONE); // j as a float, exact below 2^24 (no scalar broadcast in the loop)
                FloatVector v = FloatVector.fromArray(S, x, xo + j * jStride + i);
                // NaN tests as x != x: a plain compare, where test(IS_NAN) goes through the int bits
                VectorMask<Float> bestIsNan = best.compare(VectorOperators.NE, best);
                VectorMask<Float> better = (max ? v.compare(VectorOperators.GT, best) : v.compare(VectorOperators.LT, best))
                        .or(v.compare(VectorOperators.NE, v)).andNot(bestIsNan);
                best = best.blend(v, better);
                pos = pos.blend(jv, better);
            }
            best.intoArray(out, oo + i);
            for (int l = 0; l < VL; l++) {
                idx[oo + i + l] = (long) pos.lane(l);
            }
        }
        for (; i < inner; i++) {
            int bj = 0;
            float bv = x[xo + i];
            for (int j = 1; j < n && !Float.isNaN(bv); j++) {
                float v = x[xo + j * jStride + i];
                if (Float.isNaN(v) || (max ? v > bv : v < bv)) {
                    bv = v;
                    bj = j;
                }
            }
            out[oo + i] = bv;
            idx[oo + i] = bj;
        }
    }

    /** The int species of the same shape as {@link #S}, for exponent-bit manipulation. */
    private static final VectorSpecies<Integer> SI = VectorSpecies.of(int.class, S.vectorShape());
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;

    // Constants as vectors, broadcast once: a scalar argument (v.mul(0.5f), v.blend(0f, m)) is a
    // broadcast at every use, and each such call adds to the bytecode C2 must inline into a loop.
    private static final FloatVector ZERO = FloatVector.zero(S);
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);
    private static final FloatVector HALF = FloatVector.broadcast(S, 0.5f);
    private static final FloatVector MINUS_HALF = FloatVector.broadcast(S, -0.5f);
    private static final FloatVector POS_INF = FloatVector.broadcast(S, Float.POSITIVE_INFINITY);
    private static final FloatVector NEG_INF = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
    private static final FloatVector NAN = FloatVector.broadcast(S, Float.NaN);
    private static final FloatVector EXP_LO = FloatVector.broadcast(S, -104f);
    private static final FloatVector EXP_CLAMP_HI = FloatVector.broadcast(S, 88.8f);
    private static final FloatVector EXP_OVERFLOW = FloatVector.broadcast(S, 88.72284f);
    private static final FloatVector V_LOG2E = FloatVector.broadcast(S, LOG2E);
    private static final FloatVector NEG_LN2_HI = FloatVector.broadcast(S, -LN2_HI);
    private static final FloatVector NEG_LN2_LO = FloatVector.broadcast(S, -LN2_LO);
    private static final FloatVector V_LN2_HI = FloatVector.broadcast(S, LN2_HI);
    private static final FloatVector V_LN2_LO = FloatVector.broadcast(S, LN2_LO);
    private static final FloatVector C2 = FloatVector.broadcast(S, 0.5f);
    private static final FloatVector C3 = FloatVector.broadcast(S, 1f / 6f);
    private static final FloatVector C4 = FloatVector.broadcast(S, 1f / 24f);
    private static final FloatVector C5 = FloatVector.broadcast(S, 1f / 120f);
    private static final FloatVector C6 = FloatVector.broadcast(S, 1f / 720f);
    private static final FloatVector C7 = FloatVector.broadcast(S, 1f / 5040f);
    private static final FloatVector MIN_NORMAL = FloatVector.broadcast(S, Float.MIN_NORMAL);
    private static final FloatVector TWO_POW_23 = FloatVector.broadcast(S, 8388608f);
    private static final FloatVector SQRT2 = FloatVector.broadcast(S, 1.41421356f);
    private static final FloatVector TWO = FloatVector.broadcast(S, 2f);
    private static final FloatVector V23 = FloatVector.broadcast(S, 23f);
    private static final FloatVector L3 = FloatVector.broadcast(S, 1f / 3f);
    private static final FloatVector L5 = FloatVector.broadcast(S, 1f / 5f);
    private static final FloatVector L7 = FloatVector.broadcast(S, 1f / 7f);
    private static final FloatVector L9 = FloatVector.broadcast(S, 1f / 9f);
    private static final FloatVector L11 = FloatVector.broadcast(S, 1f / 11f);
    private static final FloatVector ERF_P = FloatVector.broadcast(S, 0.3275911f);
    private static final FloatVector ERF_A1 = FloatVector.broadcast(S, 0.254829592f);
    private static final FloatVector ERF_A2 = FloatVector.broadcast(S, -0.284496736f);
    private static final FloatVector ERF_A3 = FloatVector.broadcast(S, 1.421413741f);
    private static final FloatVector ERF_A4 = FloatVector.broadcast(S, -1.453152027f);
    private static final FloatVector ERF_A5 = FloatVector.broadcast(S, 1.061405429f);
    private static final FloatVector ERF_T3 = FloatVector.broadcast(S, -1f / 3f);
    private static final FloatVector ERF_T5 = FloatVector.broadcast(S, 1f / 10f);
    private static final FloatVector ERF_T7 = FloatVector.broadcast(S, -1f / 42f);
    private static final FloatVector ERF_T9 = FloatVector.broadcast(S, 1f / 216f);
    private static final FloatVector ERF_T11 = FloatVector.broadcast(S, -1f / 1320f);
    private static final FloatVector TWO_OVER_SQRT_PI = FloatVector.broadcast(S, (float) (2 / Math.sqrt(Math.PI)));

    /**
     * o = e^x from +, *, fma and exponent bits only, so every execution mode gives the same bits:
     * x = n ln2 + r with |r| &lt;= ln2/2 (Cody-Waite split of ln2), e^r by its degree-7 Taylor
     * polynomial (truncation below 1e-8 relative), times 2^n built in the exponent field (in two
     * factors, so subnormal results are right). Below -104 gives 0; above ln(FLT_MAX) +inf; NaN
     * stays NaN. o may be x (same offsets). Returns how many leading elements it wrote.
     */
    static int expLoop(float[] x, int xo, float[] o, int oo, int n) {
        int ub = S.loopBound(n);
        for (int i = 0; i < ub; i += VL) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector xc = v.max(EXP_LO).min(EXP_CLAMP_HI);
            FloatVector t = xc.mul(V_LOG2E);
            // round half away from zero: truncate t +- 0.5
            FloatVector half = HALF.blend(MINUS_HALF, t.compare(VectorOperators.LT, ZERO));
            IntVector k = (IntVector) t.add(half).convert(VectorOperators.F2I, 0);
            FloatVector kf = (FloatVector) k.convert(VectorOperators.I2F, 0);
            FloatVector r = kf.fma(NEG_LN2_HI, xc);
            r = kf.fma(NEG_LN2_LO, r);
            FloatVector p = r.fma(C7, C6).fma(r, C5).fma(r, C4).fma(r, C3).fma(r, C2).fma(r, ONE).fma(r, ONE);
            // 2^k as two normal factors, so results in the subnormal range round once, at the last multiply
            IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
            IntVector k2 = k.sub(k1);
            FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector s2 = k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector res = p.mul(s1).mul(s2);
            res = res.blend(ZERO, v.compare(VectorOperators.LT, EXP_LO));
            res.blend(POS_INF, v.compare(VectorOperators.GT, EXP_OVERFLOW)).intoArray(o, oo + i);
        }
        return ub;
    }

    /**
     * o = ln x, deterministic like {@link #expLoop}: x = m 2^e with m in [sqrt(1/2), sqrt(2)), and
     * ln m = 2 atanh(s), s = (m-1)/(m+1), by its series to s^11 (|s| &lt;= 0.172). Subnormals are
     * rescaled first; 0 gives -inf, negatives NaN, +inf stays +inf.
     */
    static int logLoop(float[] x, int xo, float[] o, int oo, int n) {
        int ub = S.loopBound(n);
        for (int i = 0; i < ub; i += VL) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            VectorMask<Float> sub = v.compare(VectorOperators.LT, MIN_NORMAL).and(v.compare(VectorOperators.GT, ZERO));
            IntVector bits = v.blend(v.mul(TWO_POW_23), sub).reinterpretAsInts();
            IntVector e = bits.lanewise(VectorOperators.LSHR, 23).and(0xFF).sub(127);
            FloatVector m = bits.and(0x7FFFFF).or(0x3F800000).reinterpretAsFloats();
            VectorMask<Float> big = m.compare(VectorOperators.GT, SQRT2);
            m = m.blend(m.mul(HALF), big);
            FloatVector ef = (FloatVector) e.convert(VectorOperators.I2F, 0);
            // both corrections: a subnormal's rescaled mantissa can be above sqrt 2 as well (this
            // used to take ef - 23 in place of ef + 1 - 23 there, ln 2 too small)
            ef = ef.blend(ef.sub(V23), sub);
            ef = ef.blend(ef.add(ONE), big);
            FloatVector sv = m.sub(ONE).div(m.add(ONE));
            FloatVector z = sv.mul(sv);
            FloatVector p = z.fma(L11, L9).fma(z, L7).fma(z, L5).fma(z, L3).fma(z, ONE);
            FloatVector lnm = sv.mul(TWO).mul(p);
            FloatVector res = ef.fma(V_LN2_HI, ef.fma(V_LN2_LO, lnm));
            res = res.blend(NEG_INF, v.compare(VectorOperators.EQ, ZERO));
            // x < 0 or NaN (x != x; cheaper than test(IS_NAN))
            res = res.blend(NAN, v.compare(VectorOperators.LT, ZERO).or(v.compare(VectorOperators.NE, v)));
            res.blend(POS_INF, v.compare(VectorOperators.EQ, POS_INF)).intoArray(o, oo + i);
        }
        return ub;
    }

}
