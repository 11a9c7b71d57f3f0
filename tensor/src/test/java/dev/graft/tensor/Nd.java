package dev.graft.tensor;

import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * The tests' independent reference: a row-major float64 array with a shape, and the handful of
 * layout operations (permute, slice, expand, broadcasting zip) written as plain loops over
 * multi-indices. Nothing here calls Graft; the tests compare Graft's results against it.
 */
final class Nd {
    final int[] shape;
    final double[] data;

    Nd(int[] shape, double[] data) {
        if (numel(shape) != data.length) {
            throw new IllegalArgumentException("Nd: " + data.length + " values for shape " + Arrays.toString(shape));
        }
        this.shape = shape.clone();
        this.data = data;
    }

    static Nd zeros(int... shape) {
        return new Nd(shape, new double[numel(shape)]);
    }

    static Nd filled(double v, int... shape) {
        double[] d = new double[numel(shape)];
        Arrays.fill(d, v);
        return new Nd(shape, d);
    }

    static int numel(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    int numel() {
        return data.length;
    }

    int rank() {
        return shape.length;
    }

    static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    int flat(int[] idx) {
        int p = 0;
        for (int i = 0; i < shape.length; i++) {
            p = p * shape[i] + idx[i];
        }
        return p;
    }

    double get(int... idx) {
        return data[flat(idx)];
    }

    void set(double v, int... idx) {
        data[flat(idx)] = v;
    }

    /** Calls v with every multi-index of shape in row-major order (the array is reused). */
    static void forEachIndex(int[] shape, IndexVisitor v) {
        int n = numel(shape);
        int[] idx = new int[shape.length];
        for (int f = 0; f < n; f++) {
            v.visit(idx, f);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
    }

    @FunctionalInterface
    interface IndexVisitor {
        void visit(int[] idx, int flat);
    }

    Nd map(DoubleUnaryOperator f) {
        double[] d = new double[data.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = f.applyAsDouble(data[i]);
        }
        return new Nd(shape, d);
    }

    /** NumPy broadcasting, written out independently of Graft's Shape.broadcast. */
    static int[] broadcastShape(int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int ai = i - (n - a.length);
            int bi = i - (n - b.length);
            int da = ai < 0 ? 1 : a[ai];
            int db = bi < 0 ? 1 : b[bi];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("not broadcastable");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** The element of this array that broadcasting maps output index idx (of a larger rank) onto. */
    double getBroadcast(int[] outIdx) {
        int lead = outIdx.length - shape.length;
        int p = 0;
        for (int i = 0; i < shape.length; i++) {
            int k = shape[i] == 1 ? 0 : outIdx[i + lead];
            p = p * shape[i] + k;
        }
        return data[p];
    }

    static Nd zip(Nd a, Nd b, DoubleBinaryOperator f) {
        int[] s = broadcastShape(a.shape, b.shape);
        Nd out = zeros(s);
        forEachIndex(s, (idx, flat) -> out.data[flat] = f.applyAsDouble(a.getBroadcast(idx), b.getBroadcast(idx)));
        return out;
    }

    static Nd where(Nd c, Nd a, Nd b) {
        int[] s = broadcastShape(broadcastShape(c.shape, a.shape), b.shape);
        Nd out = zeros(s);
        forEachIndex(s, (idx, flat) -> out.data[flat] = c.getBroadcast(idx) != 0 ? a.getBroadcast(idx) : b.getBroadcast(idx));
        return out;
    }

    Nd expand(int... s) {
        Nd out = zeros(s);
        forEachIndex(s, (idx, flat) -> out.data[flat] = getBroadcast(idx));
        return out;
    }

    Nd permute(int... dims) {
        int[] s = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            s[i] = shape[dims[i]];
        }
        Nd out = zeros(s);
        int[] src = new int[shape.length];
        forEachIndex(s, (idx, flat) -> {
            for (int i = 0; i < dims.length; i++) {
                src[dims[i]] = idx[i];
            }
            out.data[flat] = get(src);
        });
        return out;
    }

    /** Elements start, start+step, ... below end along dim; start/end must already be in [0, n]. */
    Nd slice(int dim, int start, int end, int step) {
        int len = end > start ? (end - start + step - 1) / step : 0;
        int[] s = shape.clone();
        s[dim] = len;
        Nd out = zeros(s);
        int[] src = new int[shape.length];
        forEachIndex(s, (idx, flat) -> {
            System.arraycopy(idx, 0, src, 0, idx.length);
            src[dim] = start + idx[dim] * step;
            out.data[flat] = get(src);
        });
        return out;
    }

    /** Removes dimension dim by fixing its index. */
    Nd select(int dim, int index) {
        int[] s = new int[shape.length - 1];
        for (int i = 0, k = 0; i < shape.length; i++) {
            if (i != dim) {
                s[k++] = shape[i];
            }
        }
        Nd out = zeros(s);
        int[] src = new int[shape.length];
        forEachIndex(s, (idx, flat) -> {
            for (int i = 0, k = 0; i < shape.length; i++) {
                src[i] = i == dim ? index : idx[k++];
            }
            out.data[flat] = get(src);
        });
        return out;
    }

    Nd reshape(int... s) {
        return new Nd(s, data.clone());
    }

    double maxAbs() {
        double m = 0;
        for (double v : data) {
            if (Double.isFinite(v)) {
                m = Math.max(m, Math.abs(v));
            }
        }
        return m;
    }

    @Override
    public String toString() {
        return "Nd" + Arrays.toString(shape) + Arrays.toString(data.length > 40 ? Arrays.copyOf(data, 40) : data);
    }
}
