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
        int[] perm = new int[rank];
        int k = 0;
        int rows = 1;
        int n = 1;
        for (int i = 0; i < rank; i++) {
            if (!mask[i]) {
                perm[k++] = i;
                rows *= shape[i];
            }
        }
        for (int i = 0; i < rank; i++) {
            if (mask[i]) {
                perm[k++] = i;
                n *= shape[i];
            }
        }
        if (n == 0 && (op == ReduceOp.MAX || op == ReduceOp.MIN)) {
            throw new TensorShapeException(name + ": cannot reduce over an empty dimension (shape " + Shape.str(shape)
                    + ", axes " + java.util.Arrays.toString(axes) + ")");
        }
        Tensor x2 = x.detach().permute(perm).reshape(rows, n);
        DType outType = (op == ReduceOp.SUM || op == ReduceOp.PROD) && x.dtype().isIntegral() ? DType.INT64 : x.dtype();
        if (outType != x2.dtype()) {
            x2 = x2.to(outType);
        }
        Tensor out = Tensor.empty(outType, rows);
        Tensor idx = withIndices ? Tensor.empty(DType.INT64, rows) : null;
        Backends.current().reduce(op, x2, out, idx);
        int[] outShape = keptShape(shape, mask, keepdim);
        return new Tensor[] {out.reshape(outShape).detach(), idx == null ? null : idx.reshape(outShape).detach()};
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
