package dev.graft.tensor;

import java.util.Arrays;

/** Arithmetic on shapes ({@code int[]} dimension sizes): element counts, strides, broadcasting, axis normalisation. */
public final class Shape {
    private Shape() {
    }

    /** Number of elements; fails if it exceeds what one Java array can index. */
    public static int numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new TensorShapeException("shape " + str(shape) + ": negative dimension " + d);
            }
            n *= d;
            if (n > Integer.MAX_VALUE - 8) {
                throw new TensorShapeException("shape " + str(shape) + " has more elements than one Java array can hold");
            }
        }
        return (int) n;
    }

    /** Row-major (C-order) strides. */
    public static int[] contiguousStrides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(shape[i], 1);
        }
        return s;
    }

    /** NumPy broadcasting of two shapes; {@code op} names the operation in the error. */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i < n - a.length ? 1 : a[i - (n - a.length)];
            int db = i < n - b.length ? 1 : b[i - (n - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new TensorShapeException(op + ": shapes " + str(a) + " and " + str(b)
                        + " cannot be broadcast (dimension " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Turns a possibly negative axis into {@code [0, rank)}. */
    public static int axis(String op, int axis, int rank) {
        // a 0-d tensor accepts -1 and 0, as in torch (the range the message below promises)
        int a = axis < 0 ? axis + Math.max(rank, 1) : axis;
        if (a < 0 || a >= Math.max(rank, 1) || (rank == 0 && a != 0)) {
            throw new TensorShapeException(op + ": dimension " + axis + " is out of range for a tensor of rank "
                    + rank + " (expected " + (-Math.max(rank, 1)) + " to " + (Math.max(rank, 1) - 1) + ")");
        }
        return a;
    }

    /** Normalises and de-duplicates a set of axes; an empty array means every axis. */
    public static boolean[] axisMask(String op, int[] axes, int rank) {
        boolean[] mask = new boolean[rank];
        if (axes.length == 0) {
            Arrays.fill(mask, true);
            return mask;
        }
        for (int a : axes) {
            int n = axis(op, a, rank);
            if (rank == 0) {
                continue;
            }
            if (mask[n]) {
                throw new TensorShapeException(op + ": dimension " + a + " appears more than once in " + Arrays.toString(axes));
            }
            mask[n] = true;
        }
        return mask;
    }

    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
