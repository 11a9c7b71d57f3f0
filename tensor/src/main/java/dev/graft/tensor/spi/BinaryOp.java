package dev.graft.tensor.spi;

/**
 * Elementwise functions of two arguments. Operands reach a backend already broadcast (stride-0
 * views) and of one dtype; comparisons and logical ops write {@code bool}, the others write the
 * operand dtype. {@link #apply} (float64) and {@link #applyLong} (exact integers) are the specification.
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAX, MIN,
    EQ, NE, LT, LE, GT, GE,
    LOGICAL_AND, LOGICAL_OR;

    /** True for the ops whose result is {@code bool} whatever the operand type. */
    public boolean isPredicate() {
        return ordinal() >= EQ.ordinal();
    }

    public double apply(double a, double b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> Math.pow(a, b);
            // NaN propagates, like torch.maximum / torch.minimum
            case MAX -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
            case MIN -> Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b);
            case EQ -> a == b ? 1 : 0;
            case NE -> a != b ? 1 : 0;
            case LT -> a < b ? 1 : 0;
            case LE -> a <= b ? 1 : 0;
            case GT -> a > b ? 1 : 0;
            case GE -> a >= b ? 1 : 0;
            case LOGICAL_AND -> a != 0 && b != 0 ? 1 : 0;
            case LOGICAL_OR -> a != 0 || b != 0 ? 1 : 0;
        };
    }

    public long applyLong(long a, long b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> {
                if (b == 0) {
                    throw new ArithmeticException("integer division by zero");
                }
                yield Math.floorDiv(a, b);
            }
            case POW -> {
                if (b < 0) {
                    throw new ArithmeticException("integers to negative powers are not allowed (" + a + " ** " + b + ")");
                }
                long r = 1;
                long base = a;
                long e = b;
                while (e > 0) {
                    if ((e & 1) != 0) {
                        r *= base;
                    }
                    base *= base;
                    e >>= 1;
                }
                yield r;
            }
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case EQ -> a == b ? 1 : 0;
            case NE -> a != b ? 1 : 0;
            case LT -> a < b ? 1 : 0;
            case LE -> a <= b ? 1 : 0;
            case GT -> a > b ? 1 : 0;
            case GE -> a >= b ? 1 : 0;
            case LOGICAL_AND -> a != 0 && b != 0 ? 1 : 0;
            case LOGICAL_OR -> a != 0 || b != 0 ? 1 : 0;
        };
    }
}
