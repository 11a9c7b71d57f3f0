package dev.graft.tensor;

import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.ReduceOp;

/**
 * Reductions over any set of axes, expressed through the backend's row reduction: the reduced
 * axes are permuted to the end and flattened (a view when the strides allow, a copy otherwise).
 */
final class Reductions {
    private Reductions() {
    }

    static int reducedCount(String op, int[] shape, int[] axes) {
        boolean[] mask = Shape.axisMask(op, axes, shape.length);
        int n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (mask[i]) {
                n *= shape[i];
            }
        }
        return n;
    }

    static Tensor reduce(Tensor x, String name, ReduceOp op, int[] axes, boolean keepdim) {
        Tensor.requireComputable(name, x);
        Tensor[] r = rows(x, name, op, axes, keepdim, false);
        return r[0];
    }

    static ValuesIndices extreme(Tensor x, ReduceOp op, int axis, boolean keepdim) {
        String name = op == ReduceOp.MAX ? "max" : "min";
        Tensor.requireComputable(name, x);
        int a = Shape.axis(name, axis, Math.max(1, x.dim()));
        Tensor[] r = rows(x, name, op, x.dim() == 0 ? new int[0] : new int[] {a}, keepdim, true);
        Tensor values = r[0].record(name + "Dim", new Tensor[] {x}, a, keepdim, r[1]);
        return new ValuesIndices(values, r[1]);
    }

    /** [values, indices-or-null] with the output shape for keepdim. */
    private static Tensor[] rows(Tensor x, String name, ReduceOp op, int[] axes, boolean keepdim, boolean withIndices) {
        int[] shape = x.shape();
        int rank = shape.length;
        boolean[] mask = Shape.axisMask(name, axes, rank);
        int n = 1;
        for (int i = 0; i < rank; i++) {
            if (mask[i]) {
                n *= shape[i];
            }
        }
        if (n == 0 && (op == ReduceOp.MAX || op == ReduceOp.MIN)) {
            throw new TensorShapeException(name + ": cannot reduce over an empty dimension (shape " + Shape.str(shape)
                    + ", axes " + java.util.Arrays.toString(axes) + ")");
        }
        Tensor x3 = asOuterReducedInner(x.detach(), mask);
        DType outType = (op == ReduceOp.SUM || op == ReduceOp.PROD) && x.dtype().isIntegral() ? DType.INT64 : x.dtype();
        if (outType != x3.dtype()) {
            x3 = x3.to(outType);
        }
        int[] s3 = x3.shape();
        Tensor out = Tensor.zeros(x.device(), outType, s3[0], s3[2]);
        Tensor idx = withIndices ? Tensor.zeros(x.device(), DType.INT64, s3[0], s3[2]) : null;
        Backends.current().reduce(op, x3, out, idx);
        int[] outShape = keptShape(shape, mask, keepdim);
        return new Tensor[] {out.reshape(outShape).detach(), idx == null ? null : idx.reshape(outShape).detach()};
    }

    /**
     * x as [outer, n, inner] with the reduced axes in the middle. When the reduced axes form one
     * block (after ignoring size-1 axes) the view keeps the tensor's own order, so nothing moves;
     * otherwise the reduced axes are permuted to the end (a copy when the strides require one).
     */
    private static Tensor asOuterReducedInner(Tensor x, boolean[] mask) {
        int[] shape = x.shape();
        int rank = shape.length;
        int first = -1;
        int last = -1;
        boolean block = true;
        for (int i = 0; i < rank; i++) {
            if (mask[i] && shape[i] != 1) {
                if (first < 0) {
                    first = i;
                } else if (last != i - 1) {
                    // a kept axis of size > 1 lies between two reduced ones
                    for (int j = last + 1; j < i; j++) {
                        if (shape[j] != 1) {
                            block = false;
                        }
                    }
                }
                last = i;
            }
        }
        int outer = 1;
        int n = 1;
        int inner = 1;
        if (first < 0) {
            for (int i = 0; i < rank; i++) {
                if (!mask[i]) {
                    outer *= shape[i];
                }
            }
            return x.reshape(outer, 1, 1);
        }
        if (block) {
            for (int i = 0; i < rank; i++) {
                if (mask[i] || shape[i] == 1) {
                    n *= mask[i] ? shape[i] : 1;
                } else if (i < first) {
                    outer *= shape[i];
                } else {
                    inner *= shape[i];
                }
            }
            return x.reshape(outer, n, inner);
        }
        int[] perm = new int[rank];
        int k = 0;
        for (int i = 0; i < rank; i++) {
            if (!mask[i]) {
                perm[k++] = i;
                outer *= shape[i];
            }
        }
        for (int i = 0; i < rank; i++) {
            if (mask[i]) {
                perm[k++] = i;
                n *= shape[i];
            }
        }
        return x.permute(perm).reshape(outer, n, 1);
    }

    static int[] keptShape(int[] shape, boolean[] mask, boolean keepdim) {
        int count = 0;
        for (int i = 0; i < shape.length; i++) {
            if (!mask[i] || keepdim) {
                count++;
            }
        }
        int[] s = new int[count];
        int k = 0;
        for (int i = 0; i < shape.length; i++) {
            if (!mask[i]) {
                s[k++] = shape[i];
            } else if (keepdim) {
                s[k++] = 1;
            }
        }
        return s;
    }

    /** Drops the (size-1) reduced axes of a keepdim result. */
    static Tensor squeezeAxes(Tensor r, int[] axes) {
        boolean[] mask = Shape.axisMask("squeeze", axes, r.dim());
        int[] s = keptShape(r.shape(), mask, false);
        return r.reshape(s);
    }
}
