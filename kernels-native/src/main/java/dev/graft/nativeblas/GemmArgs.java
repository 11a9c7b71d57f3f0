package dev.graft.nativeblas;

/**
 * The checks every GEMM call makes in Java before it reaches native code (DESIGN.md decision 7):
 * a native GEMM trusts its arguments, so a wrong leading dimension or a short array would read or
 * write outside the Java array and take the JVM down. Each failure throws
 * {@link IllegalArgumentException} naming the call, the operand and the values.
 *
 * <p>The convention is CBLAS row-major: {@code C[M x N] = alpha * op(A)[M x K] * op(B)[K x N] + beta * C}.
 * An operand that is not transposed is stored as rows of its logical shape, one every {@code ld}
 * elements; a transposed one is stored as rows of the transposed shape. cuBLAS calls are phrased the
 * same way (row-major, then the transpose identity), so the same checks serve both.
 */
public final class GemmArgs {
    private GemmArgs() {
    }

    /**
     * Checks one row-major GEMM call; {@code aLen}, {@code bLen} and {@code cLen} are the lengths of
     * the arrays (or device buffers, in elements) the operands live in.
     */
    public static void check(String call, boolean transA, boolean transB, int m, int n, int k,
                             long aLen, long aOff, int lda, long bLen, long bOff, int ldb, long cLen, long cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException(call + ": dimensions must be >= 0, got M = " + m + ", N = " + n + ", K = " + k);
        }
        operand(call, "A", transA, m, k, aLen, aOff, lda);
        operand(call, "B", transB, k, n, bLen, bOff, ldb);
        operand(call, "C", false, m, n, cLen, cOff, ldc);
    }

    /**
     * One operand of logical shape [rows x cols]; stored as [rows x cols] with leading dimension
     * {@code ld}, or as [cols x rows] when transposed.
     */
    static void operand(String call, String name, boolean trans, int rows, int cols, long len, long off, int ld) {
        int storedRows = trans ? cols : rows;
        int storedCols = trans ? rows : cols;
        String what = name + " (" + (trans ? "transposed, stored " : "stored ") + storedRows + " x " + storedCols + ")";
        if (ld < Math.max(1, storedCols)) {
            throw new IllegalArgumentException(call + ": " + what + ": leading dimension ld" + name.toLowerCase()
                    + " = " + ld + " must be >= max(1, " + storedCols + ")");
        }
        if (off < 0) {
            throw new IllegalArgumentException(call + ": " + what + ": offset " + off + " is negative");
        }
        if (len < 0) {
            throw new IllegalArgumentException(call + ": " + what + ": no array");
        }
        if (storedRows == 0 || storedCols == 0) {
            return; // nothing is read or written
        }
        long needed = off + (long) (storedRows - 1) * ld + storedCols;
        if (needed > len) {
            throw new IllegalArgumentException(call + ": " + what + " with ld" + name.toLowerCase() + " = " + ld
                    + " and offset " + off + " reaches element " + (needed - 1) + ", but the array has " + len + " elements");
        }
    }
}
