package dev.graft.tensor.backend.simd;

import dev.graft.tensor.spi.BinaryOp;
import dev.graft.tensor.spi.UnaryOp;
import jdk.incubator.vector.FloatVector;
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
        int i = 0;
        int ub = S.loopBound(n);
        switch (op) {
            case NEG -> {
                for (; i < ub; i += VL) {
                    FloatVector.fromArray(S, x, xo + i).neg().intoArray(o, oo + i);
                }
            }
            case ABS -> {
                for (; i < ub; i += VL) {
                    FloatVector.fromArray(S, x, xo + i).abs().intoArray(o, oo + i);
                }
            }
            case RELU -> {
                for (; i < ub; i += VL) {
                    FloatVector.fromArray(S, x, xo + i).max(0f).intoArray(o, oo + i);
                }
            }
            case SQUARE -> {
                for (; i < ub; i += VL) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.mul(v).intoArray(o, oo + i);
                }
            }
            case CLAMP -> {
                float lo = Float.isNaN(p0) ? Float.NEGATIVE_INFINITY : p0;
                float hi = Float.isNaN(p1) ? Float.POSITIVE_INFINITY : p1;
                for (; i < ub; i += VL) {
                    FloatVector.fromArray(S, x, xo + i).max(lo).min(hi).intoArray(o, oo + i);
                }
            }
            case EXP -> {
                for (; i < ub; i += VL) {
                    exp(FloatVector.fromArray(S, x, xo + i)).intoArray(o, oo + i);
                }
            }
            case LOG -> {
                for (; i < ub; i += VL) {
                    log(FloatVector.fromArray(S, x, xo + i)).intoArray(o, oo + i);
                }
            }
            case SQRT -> {
                for (; i < ub; i += VL) {
                    FloatVector.fromArray(S, x, xo + i).sqrt().intoArray(o, oo + i);
                }
            }
            case RSQRT -> {
                FloatVector one = FloatVector.broadcast(S, 1f);
                for (; i < ub; i += VL) {
                    one.div(FloatVector.fromArray(S, x, xo + i).sqrt()).intoArray(o, oo + i);
                }
            }
            case RECIPROCAL -> {
                FloatVector one = FloatVector.broadcast(S, 1f);
                for (; i < ub; i += VL) {
                    one.div(FloatVector.fromArray(S, x, xo + i)).intoArray(o, oo + i);
                }
            }
            case POW -> {
                if (p0 == 2f) {
                    for (; i < ub; i += VL) {
                        FloatVector v = FloatVector.fromArray(S, x, xo + i);
                        v.mul(v).intoArray(o, oo + i);
                    }
                } else {
                    FloatVector e = FloatVector.broadcast(S, p0);
                    for (; i < ub; i += VL) {
                        FloatVector.fromArray(S, x, xo + i).lanewise(VectorOperators.POW, e).intoArray(o, oo + i);
                    }
                }
            }
            case SIGMOID -> {
                for (; i < ub; i += VL) {
                    sigmoid(FloatVector.fromArray(S, x, xo + i)).intoArray(o, oo + i);
                }
            }
            case SILU -> {
                for (; i < ub; i += VL) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.mul(sigmoid(v)).intoArray(o, oo + i);
                }
            }
            case LEAKY_RELU -> {
                for (; i < ub; i += VL) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.blend(v.mul(p0), v.compare(VectorOperators.GT, 0f).not()).intoArray(o, oo + i);
                }
            }
            case GELU -> {
                float invSqrt2 = (float) (1 / Math.sqrt(2));
                for (; i < ub; i += VL) {
                    FloatVector v = FloatVector.fromArray(S, x, xo + i);
                    v.mul(0.5f).mul(erf(v.mul(invSqrt2)).add(1f)).intoArray(o, oo + i);
                }
            }
            case ERF -> {
                for (; i < ub; i += VL) {
                    erf(FloatVector.fromArray(S, x, xo + i)).intoArray(o, oo + i);
                }
            }
            default -> {
                // no vector form: everything goes to the tail loop
            }
        }
        for (; i < n; i++) {
            o[oo + i] = (float) op.apply(x[xo + i], p0, p1);
        }
    }

    /** 1 / (1 + exp(-x)); exp overflows to +inf for very negative x, which gives the correct 0. */
    private static FloatVector sigmoid(FloatVector v) {
        return FloatVector.broadcast(S, 1f).div(exp(v.neg()).add(1f));
    }

    /**
     * erf in float32: an odd Taylor polynomial below |x| = 0.5 (relative error &lt; 1e-7 there) and
     * Abramowitz &amp; Stegun 7.1.26 above (absolute error &lt; 1.5e-7, erf &gt; 0.52 there).
     */
    static FloatVector erf(FloatVector x) {
        FloatVector ax = x.abs();
        // A&S 7.1.26 on |x|
        FloatVector t = FloatVector.broadcast(S, 1f).div(ax.mul(0.3275911f).add(1f));
        FloatVector poly = t.mul(1.061405429f).add(-1.453152027f)
                .mul(t).add(1.421413741f)
                .mul(t).add(-0.284496736f)
                .mul(t).add(0.254829592f)
                .mul(t);
        FloatVector far = poly.mul(exp(ax.mul(ax).neg())).neg().add(1f);
        far = far.blend(far.neg(), x.compare(VectorOperators.LT, 0f));
        // Taylor: 2/sqrt(pi) * (x - x^3/3 + x^5/10 - x^7/42 + x^9/216 - x^11/1320)
        FloatVector x2 = x.mul(x);
        FloatVector near = x2.mul(-1f / 1320f).add(1f / 216f)
                .mul(x2).add(-1f / 42f)
                .mul(x2).add(1f / 10f)
                .mul(x2).add(-1f / 3f)
                .mul(x2).add(1f)
                .mul(x).mul((float) (2 / Math.sqrt(Math.PI)));
        VectorMask<Float> small = ax.compare(VectorOperators.LT, 0.5f);
        return far.blend(near, small);
    }

    /** o = a op b for the arithmetic ops; sa/sb are 1 (vector) or 0 (one broadcast value). */
    static boolean arithmetic(BinaryOp op) {
        return switch (op) {
            case ADD, SUB, MUL, DIV, MAX, MIN -> true;
            default -> false;
        };
    }

    static void binary(BinaryOp op, float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
        int i = 0;
        int ub = S.loopBound(n);
        VectorOperators.Binary vop = switch (op) {
            case ADD -> VectorOperators.ADD;
            case SUB -> VectorOperators.SUB;
            case MUL -> VectorOperators.MUL;
            case DIV -> VectorOperators.DIV;
            case MAX -> VectorOperators.MAX;
            case MIN -> VectorOperators.MIN;
            case POW -> VectorOperators.POW;
            default -> throw new IllegalStateException(op.toString());
        };
        if (sa == 1 && sb == 1) {
            switch (op) {
                case ADD -> {
                    for (; i < ub; i += VL) {
                        FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
                    }
                }
                case SUB -> {
                    for (; i < ub; i += VL) {
                        FloatVector.fromArray(S, a, ao + i).sub(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
                    }
                }
                case MUL -> {
                    for (; i < ub; i += VL) {
                        FloatVector.fromArray(S, a, ao + i).mul(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
                    }
                }
                case DIV -> {
                    for (; i < ub; i += VL) {
                        FloatVector.fromArray(S, a, ao + i).div(FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
                    }
                }
                default -> {
                    for (; i < ub; i += VL) {
                        FloatVector.fromArray(S, a, ao + i).lanewise(vop, FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
                    }
                }
            }
        } else if (sa == 1 && sb == 0) {
            FloatVector bv = FloatVector.broadcast(S, b[bo]);
            switch (op) {
                case ADD -> {
                    for (; i < ub; i += VL) {
                        FloatVector.fromArray(S, a, ao + i).add(bv).intoArray(o, oo + i);
                    }
                }
                case MUL -> {
                    for (; i < ub; i += VL) {
                        FloatVector.fromArray(S, a, ao + i).mul(bv).intoArray(o, oo + i);
                    }
                }
                default -> {
                    for (; i < ub; i += VL) {
                        FloatVector.fromArray(S, a, ao + i).lanewise(vop, bv).intoArray(o, oo + i);
                    }
                }
            }
        } else if (sa == 0 && sb == 1) {
            FloatVector av = FloatVector.broadcast(S, a[ao]);
            for (; i < ub; i += VL) {
                av.lanewise(vop, FloatVector.fromArray(S, b, bo + i)).intoArray(o, oo + i);
            }
        }
        for (; i < n; i++) {
            o[oo + i] = (float) op.apply(a[ao + i * sa], b[bo + i * sb]);
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
            FloatVector pos = FloatVector.zero(S);
            for (int j = 1; j < n; j++) {
                FloatVector v = FloatVector.fromArray(S, x, xo + j * jStride + i);
                jdk.incubator.vector.VectorMask<Float> bestIsNan = best.test(VectorOperators.IS_NAN);
                jdk.incubator.vector.VectorMask<Float> better = (max ? v.compare(VectorOperators.GT, best) : v.compare(VectorOperators.LT, best))
                        .or(v.test(VectorOperators.IS_NAN)).andNot(bestIsNan);
                best = best.blend(v, better);
                pos = pos.blend((float) j, better);
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

    private static final jdk.incubator.vector.VectorSpecies<Integer> SI = jdk.incubator.vector.IntVector.SPECIES_PREFERRED;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;

    /**
     * e^x from +, *, fma and exponent bits only, so every execution mode gives the same bits:
     * x = n ln2 + r with |r| &lt;= ln2/2 (Cody-Waite split of ln2), e^r by its degree-7 Taylor
     * polynomial (truncation below 1e-8 relative), times 2^n built in the exponent field (in two
     * factors, so subnormal results are right). Below -104 gives 0; above ln(FLT_MAX) +inf; NaN stays NaN.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(-104f).min(88.8f);
        FloatVector t = xc.mul(LOG2E);
        FloatVector half = FloatVector.broadcast(S, 0.5f).blend(-0.5f, t.compare(VectorOperators.LT, 0f));
        jdk.incubator.vector.IntVector n = (jdk.incubator.vector.IntVector) t.add(half).convertShape(VectorOperators.F2I, SI, 0);
        FloatVector nf = (FloatVector) n.convertShape(VectorOperators.I2F, S, 0);
        FloatVector r = nf.fma(FloatVector.broadcast(S, -LN2_HI), xc);
        r = nf.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(S, 1f / 5040f), FloatVector.broadcast(S, 1f / 720f));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 120f));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 24f));
        p = p.fma(r, FloatVector.broadcast(S, 1f / 6f));
        p = p.fma(r, FloatVector.broadcast(S, 0.5f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        p = p.fma(r, FloatVector.broadcast(S, 1f));
        // 2^n as two normal factors, so results in the subnormal range round once, at the last multiply
        jdk.incubator.vector.IntVector n1 = n.lanewise(VectorOperators.ASHR, 1);
        jdk.incubator.vector.IntVector n2 = n.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector res = p.mul(s1).mul(s2);
        res = res.blend(0f, x.compare(VectorOperators.LT, -104f));
        return res.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, 88.72284f));
    }

    /**
     * ln x, deterministic like {@link #exp}: x = m 2^e with m in [sqrt(1/2), sqrt(2)), and
     * ln m = 2 atanh(s), s = (m-1)/(m+1), by its series to s^11 (|s| &lt;= 0.172). Subnormals are
     * rescaled first; 0 gives -inf, negatives NaN, +inf stays +inf.
     */
    static FloatVector log(FloatVector x) {
        jdk.incubator.vector.VectorMask<Float> sub = x.compare(VectorOperators.LT, Float.MIN_NORMAL).and(x.compare(VectorOperators.GT, 0f));
        FloatVector xs = x.blend(x.mul(8388608f), sub); // 2^23
        jdk.incubator.vector.IntVector bits = xs.reinterpretAsInts();
        jdk.incubator.vector.IntVector e = bits.lanewise(VectorOperators.LSHR, 23).and(0xFF).sub(127);
        FloatVector m = bits.and(0x7FFFFF).or(0x3F800000).reinterpretAsFloats();
        jdk.incubator.vector.VectorMask<Float> big = m.compare(VectorOperators.GT, 1.41421356f);
        m = m.blend(m.mul(0.5f), big);
        FloatVector ef = (FloatVector) e.convertShape(VectorOperators.I2F, S, 0);
        ef = ef.blend(ef.add(1f), big).blend(ef.sub(23f), sub);
        FloatVector sv = m.sub(1f).div(m.add(1f));
        FloatVector z = sv.mul(sv);
        FloatVector p = z.fma(FloatVector.broadcast(S, 1f / 11f), FloatVector.broadcast(S, 1f / 9f));
        p = p.fma(z, FloatVector.broadcast(S, 1f / 7f));
        p = p.fma(z, FloatVector.broadcast(S, 1f / 5f));
        p = p.fma(z, FloatVector.broadcast(S, 1f / 3f));
        p = p.fma(z, FloatVector.broadcast(S, 1f));
        FloatVector lnm = sv.mul(2f).mul(p);
        FloatVector res = ef.fma(FloatVector.broadcast(S, LN2_HI), ef.fma(FloatVector.broadcast(S, LN2_LO), lnm));
        res = res.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f));
        res = res.blend(Float.NaN, x.compare(VectorOperators.LT, 0f).or(x.test(VectorOperators.IS_NAN)));
        return res.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
    }

}
