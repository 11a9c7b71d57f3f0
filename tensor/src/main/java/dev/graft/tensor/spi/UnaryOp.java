package dev.graft.tensor.spi;

/**
 * Elementwise functions of one argument, with up to two scalar parameters. {@link #apply} is the
 * specification every backend is tested against: it computes in float64; a float32 kernel must
 * agree with {@code (float) apply((double) x)} to within a few ulps.
 */
public enum UnaryOp {
    NEG(true), ABS(true), SIGN(true), RELU(true), SQUARE(true),
    /** clamp to [p0, p1]; NaN bounds mean "no bound". */
    CLAMP(true),
    FLOOR(true), CEIL(true),
    /** round half to even, like {@code torch.round}. */
    ROUND(true),
    EXP(false), LOG(false), LOG1P(false), SQRT(false), RSQRT(false), RECIPROCAL(false),
    /** x to the power p0. */
    POW(false),
    SIN(false), COS(false), TANH(false), SIGMOID(false),
    /** x for x &gt; 0 else p0 * x. */
    LEAKY_RELU(false),
    /** x * Phi(x) with the exact normal CDF (erf form). */
    GELU(false),
    /** the tanh approximation of GELU. */
    GELU_TANH(false),
    SILU(false), ERF(false);

    private final boolean integerClosed;

    UnaryOp(boolean integerClosed) {
        this.integerClosed = integerClosed;
    }

    /** True if an integer input gives an integer result (so no promotion to float is needed). */
    public boolean integerClosed() {
        return integerClosed;
    }

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double INV_SQRT_2 = 1.0 / Math.sqrt(2.0);

    public double apply(double x, double p0, double p1) {
        return switch (this) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SIGN -> Double.isNaN(x) ? x : Math.signum(x);
            case RELU -> x > 0 ? x : (Double.isNaN(x) ? x : 0.0);
            case SQUARE -> x * x;
            case CLAMP -> clamp(x, p0, p1);
            case FLOOR -> Math.floor(x);
            case CEIL -> Math.ceil(x);
            case ROUND -> Math.rint(x);
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case LOG1P -> Math.log1p(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1.0 / Math.sqrt(x);
            case RECIPROCAL -> 1.0 / x;
            case POW -> Math.pow(x, p0);
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> x >= 0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));
            case LEAKY_RELU -> x > 0 ? x : p0 * x;
            case GELU -> 0.5 * x * (1.0 + Erf.erf(x * INV_SQRT_2));
            case GELU_TANH -> 0.5 * x * (1.0 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
            case SILU -> x >= 0 ? x / (1.0 + Math.exp(-x)) : x * Math.exp(x) / (1.0 + Math.exp(x));
            case ERF -> Erf.erf(x);
        };
    }

    /** The integer form for {@link #integerClosed()} ops, exact in 64 bits. */
    public long applyLong(long x, double p0, double p1) {
        return switch (this) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SIGN -> Long.signum(x);
            case RELU -> Math.max(x, 0);
            case SQUARE -> x * x;
            case CLAMP -> (long) clamp(x, p0, p1);
            case FLOOR, CEIL, ROUND -> x;
            default -> throw new IllegalStateException(this + " is not defined on integers");
        };
    }

    private static double clamp(double x, double lo, double hi) {
        if (Double.isNaN(x)) {
            return x;
        }
        double r = x;
        if (!Double.isNaN(lo) && r < lo) {
            r = lo;
        }
        if (!Double.isNaN(hi) && r > hi) {
            r = hi;
        }
        return r;
    }
}
