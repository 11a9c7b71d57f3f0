package dev.graft.tensor;

import dev.graft.tensor.backend.Backends;

import java.util.Arrays;

/** Index-driven ops: concat, gather, scatter-add, index_select, one_hot, sort, cumsum. Indices are validated here, before any kernel runs. */
final class Indexing {
    private Indexing() {
    }

    static Tensor concat(int dim, Tensor[] ts, String op) {
        if (ts.length == 0) {
            throw new TensorShapeException(op + ": needs at least one tensor");
        }
        int rank = ts[0].dim();
        if (rank == 0) {
            throw new TensorShapeException(op + ": zero-dimensional tensors cannot be concatenated; unsqueeze them first");
        }
        int d = Shape.axis(op, dim, rank);
        int[] base = ts[0].shape();
        DType dt = ts[0].dtype();
        int total = 0;
        for (int i = 0; i < ts.length; i++) {
            if (ts[i] == null) {
                throw new IllegalArgumentException(op + ": tensor " + i + " is null");
            }
            int[] s = ts[i].shape();
            Tensor.requireComputable(op, ts[i]);
            boolean ok = s.length == rank;
            for (int j = 0; ok && j < rank; j++) {
                ok = j == d || s[j] == base[j];
            }
            if (!ok) {
                throw new TensorShapeException(op + ": tensor " + i + " has shape " + Shape.str(s) + " but tensor 0 has "
                        + Shape.str(base) + "; all dimensions except " + d + " must match");
            }
            total += s[d];
            dt = DType.promote(dt, ts[i].dtype());
        }
        int[] os = base.clone();
        os[d] = total;
        Tensor out = Tensor.empty(dt, os);
        int at = 0;
        for (Tensor t : ts) {
            int len = t.shape()[d];
            if (len > 0) {
                Backends.current().copy(t, out.detach().narrow(d, at, len));
            }
            at += len;
        }
        int[] sizes = new int[ts.length];
        for (int i = 0; i < ts.length; i++) {
            sizes[i] = ts[i].shape()[d];
        }
        return out.record("concat", ts.clone(), d, sizes);
    }

    private static void requireNotNull(String op, Tensor t, String what) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + what + " is null");
        }
    }

    private static void requireIndex(String op, Tensor index) {
        if (index.dtype() != DType.INT64 && index.dtype() != DType.INT32) {
            throw new TensorTypeException(op + ": index must be int64 or int32, got " + index.dtype());
        }
    }

    /**
     * Checks every index value against [0, size) and returns them as int64. Negative indices are
     * an error, as in PyTorch's gather, scatter_add and index_select: silently counting from the end
     * would turn a -1 padding sentinel into the last row.
     */
    private static Tensor checkedIndex(String op, Tensor index, int size, String what) {
        java.util.Objects.requireNonNull(index, op + ": index is null");
        requireIndex(op, index);
        long[] v = index.toLongArray();
        for (long x : v) {
            if (x < 0 || x >= size) {
                throw new TensorShapeException(op + ": index " + x + " is out of range for " + what + " of size " + size
                        + " (expected 0 to " + (size - 1) + ")");
            }
        }
        if (!index.device().isCpu()) { // checked on the host; the kernel reads the device copy
            return index.to(DType.INT64).contiguous();
        }
        return Tensor.fromArray(v).reshape(index.shape());
    }

    static Tensor gather(Tensor x, int dim, Tensor index) {
        requireNotNull("gather", index, "index");
        Tensor.requireComputable("gather", x);
        int d = Shape.axis("gather", dim, x.dim());
        int[] xs = x.shape();
        int[] is = index.shape();
        if (is.length != xs.length) {
            throw new TensorShapeException("gather: index of shape " + Shape.str(is) + " must have the same rank as the input "
                    + Shape.str(xs));
        }
        if (xs.length == 0) {
            return gather(x.detach().reshape(1), 0, index.reshape(1)).reshape(); // torch treats a 0-d input as one element
        }
        for (int i = 0; i < xs.length; i++) {
            if (i != d && is[i] > xs[i]) {
                throw new TensorShapeException("gather: index shape " + Shape.str(is) + " exceeds input shape " + Shape.str(xs)
                        + " in dimension " + i);
            }
        }
        Tensor idx = checkedIndex("gather", index, xs[d], "dimension " + d + " of input " + Shape.str(xs));
        Tensor out = Tensor.zeros(x.device(), x.dtype(), is);
        Backends.current().gather(x.detach(), d, idx, out);
        return out;
    }

    static Tensor scatterAdd(Tensor x, int dim, Tensor index, Tensor src) {
        requireNotNull("scatterAdd", index, "index");
        requireNotNull("scatterAdd", src, "src");
        Tensor.requireComputable("scatterAdd", x);
        int d = Shape.axis("scatterAdd", dim, x.dim());
        int[] xs = x.shape();
        int[] is = index.shape();
        int[] ss = src.shape();
        if (is.length != xs.length || ss.length != xs.length) {
            throw new TensorShapeException("scatterAdd: input " + Shape.str(xs) + ", index " + Shape.str(is) + " and src "
                    + Shape.str(ss) + " must have the same rank");
        }
        if (xs.length == 0) {
            return scatterAdd(x.detach().reshape(1), 0, index.reshape(1), src.detach().reshape(1)).reshape();
        }
        for (int i = 0; i < xs.length; i++) {
            if (is[i] > ss[i] || (i != d && is[i] > xs[i])) {
                throw new TensorShapeException("scatterAdd: index shape " + Shape.str(is) + " must not exceed src "
                        + Shape.str(ss) + " in any dimension, nor input " + Shape.str(xs) + " outside dimension " + d);
            }
        }
        if (src.dtype() != x.dtype()) {
            throw new TensorTypeException("scatterAdd: src is " + src.dtype() + " but the tensor is " + x.dtype()
                    + "; convert src with to(" + x.dtype().name() + ")");
        }
        Tensor idx = checkedIndex("scatterAdd", index, xs[d], "dimension " + d + " of input " + Shape.str(xs));
        Tensor out = x.detach().clone();
        Tensor s = src.detach().to(x.dtype());
        // only the part of src covered by the index takes part
        for (int i = 0; i < ss.length; i++) {
            s = s.narrow(i, 0, is[i]);
        }
        Backends.current().scatterAdd(out, d, idx, s);
        return out;
    }

    static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        requireNotNull("indexSelect", index, "index");
        Tensor.requireComputable("indexSelect", x);
        if (index.dim() > 1) {
            throw new TensorShapeException("indexSelect: index must be 0-d or 1-D, got shape " + Shape.str(index.shape()));
        }
        int d = Shape.axis("indexSelect", dim, Math.max(1, x.dim()));
        Tensor xx = x.dim() == 0 ? x.detach().reshape(1) : x.detach();
        int[] xs = xx.shape();
        Tensor idx = checkedIndex("indexSelect", index.reshape(-1), xs[d], "dimension " + d + " of input " + Shape.str(xs));
        int[] os = xs.clone();
        os[d] = idx.numel();
        Tensor out = Tensor.zeros(x.device(), x.dtype(), os);
        Backends.current().indexSelect(xx, d, idx, out);
        return x.dim() == 0 ? out.reshape(index.shape()) : out;
    }

    static Tensor oneHot(Tensor index, int numClasses) {
        requireIndex("oneHot", index);
        long[] v = index.toLongArray();
        long max = -1;
        for (long x : v) {
            if (x < 0) {
                throw new TensorShapeException("oneHot: class index " + x + " is negative");
            }
            max = Math.max(max, x);
        }
        int classes = numClasses < 0 ? (int) (max + 1) : numClasses;
        if (max >= classes) {
            throw new TensorShapeException("oneHot: class index " + max + " is out of range for " + classes + " classes");
        }
        int[] s = Arrays.copyOf(index.shape(), index.dim() + 1);
        s[index.dim()] = classes;
        Tensor out = Tensor.empty(DType.INT64, s);
        long[] o = (long[]) out.storage().array();
        for (int i = 0; i < v.length; i++) {
            o[i * classes + (int) v[i]] = 1;
        }
        return out;
    }

    static ValuesIndices sort(Tensor x, int dim, boolean descending) {
        Tensor.requireComputable("sort", x);
        if (x.dim() == 0) {
            return new ValuesIndices(x.clone(), Tensor.zeros(DType.INT64));
        }
        int d = Shape.axis("sort", dim, x.dim());
        Tensor moved = x.detach().transpose(d, -1);
        int[] ms = moved.shape();
        int n = ms[ms.length - 1];
        int rows = n == 0 ? 0 : moved.numel() / n;
        Tensor x2 = moved.reshape(rows, n);
        Tensor values = Tensor.empty(x.dtype(), rows, n);
        Tensor indices = Tensor.empty(DType.INT64, rows, n);
        Backends.current().sort(x2, descending, values, indices);
        Tensor v = values.reshape(ms).transpose(d, -1);
        Tensor i = indices.reshape(ms).transpose(d, -1);
        return new ValuesIndices(v.record("sortValues", new Tensor[] {x}, d, i), i);
    }

    static Tensor cumsum(Tensor x, int dim) {
        Tensor.requireComputable("cumsum", x);
        if (x.dim() == 0) {
            return x.dtype().isIntegral() ? x.to(DType.INT64).clone() : x.clone();
        }
        int d = Shape.axis("cumsum", dim, x.dim());
        DType dt = x.dtype().isIntegral() ? DType.INT64 : x.dtype();
        Tensor moved = x.detach().to(dt).transpose(d, -1);
        int[] ms = moved.shape();
        int n = ms[ms.length - 1];
        int rows = n == 0 ? 0 : moved.numel() / n;
        Tensor out = Tensor.empty(dt, rows, n);
        Backends.current().cumsum(moved.reshape(rows, n), out);
        return out.reshape(ms).transpose(d, -1).contiguous().detach();
    }
}
