package dev.graft.tensor;

import dev.graft.tensor.backend.Backends;

/** matmul with NumPy semantics, lowered onto the backend's batched GEMM without copying operands. */
final class LinearAlgebra {
    private LinearAlgebra() {
    }

    static Tensor matmul(Tensor a0, Tensor b0) {
        String where = "matmul: " + Shape.str(a0.shape()) + " @ " + Shape.str(b0.shape());
        if (a0.dim() == 0 || b0.dim() == 0) {
            throw new TensorShapeException(where + ": both operands need at least one dimension");
        }
        for (Tensor t : new Tensor[] {a0, b0}) {
            if (!t.dtype().isFloating() || !t.dtype().isComputable()) {
                throw new TensorTypeException(where + ": expects float32 or float64 operands, got " + a0.dtype() + " and "
                        + b0.dtype() + "; convert with to(DType.FLOAT32)");
            }
        }
        DType dt = DType.promote(a0.dtype(), b0.dtype());
        Tensor a = a0.detach().to(dt);
        Tensor b = b0.detach().to(dt);
        boolean vecA = a.dim() == 1;
        boolean vecB = b.dim() == 1;
        if (vecA) {
            a = a.unsqueeze(0);
        }
        if (vecB) {
            b = b.unsqueeze(1);
        }
        int[] as = a.shape();
        int[] bs = b.shape();
        int m = as[as.length - 2];
        int k = as[as.length - 1];
        int k2 = bs[bs.length - 2];
        int n = bs[bs.length - 1];
        if (k != k2) {
            throw new TensorShapeException(where + ": inner dimensions differ (" + k + " vs " + k2 + ")");
        }
        int[] batchA = java.util.Arrays.copyOf(as, as.length - 2);
        int[] batchB = java.util.Arrays.copyOf(bs, bs.length - 2);
        int[] batch;
        try {
            batch = Shape.broadcast("matmul", batchA, batchB);
        } catch (TensorShapeException e) {
            throw new TensorShapeException(where + ": batch dimensions " + Shape.str(batchA) + " and " + Shape.str(batchB)
                    + " cannot be broadcast");
        }
        Tensor out;
        // outputs of a device matmul start on the device, with no host array
        Device on = a.device().equals(b.device()) ? a.device() : Device.cpu();
        if (batchB.length == 0 && batch.length > 0 && canFoldBatchIntoRows(a)) {
            // [..., M, K] @ [K, N]: one GEMM with all batch rows stacked, the shape of every Linear layer
            int rows = Shape.numel(batch) * m;
            Tensor flat = Tensor.zeros(on, dt, 1, rows, n);
            Backends.current().matmul(a.reshape(1, rows, k), b.unsqueeze(0), flat);
            int[] os = java.util.Arrays.copyOf(batch, batch.length + 2);
            os[batch.length] = m;
            os[batch.length + 1] = n;
            out = flat.reshape(os);
        } else {
            int[] fa = java.util.Arrays.copyOf(batch, batch.length + 2);
            int[] fb = fa.clone();
            int[] fo = fa.clone();
            fa[batch.length] = m;
            fa[batch.length + 1] = k;
            fb[batch.length] = k;
            fb[batch.length + 1] = n;
            fo[batch.length] = m;
            fo[batch.length + 1] = n;
            Tensor ea = a.expand(fa);
            Tensor eb = b.expand(fb);
            if (batch.length == 0) {
                ea = ea.unsqueeze(0);
                eb = eb.unsqueeze(0);
            }
            out = Tensor.zeros(on, dt, batch.length == 0 ? new int[] {1, m, n} : fo);
            Backends.current().matmul(ea, eb, out);
            if (batch.length == 0) {
                out = out.reshape(m, n);
            }
        }
        if (vecA) {
            out = out.squeeze(out.dim() - 2);
        }
        if (vecB) {
            out = out.squeeze(out.dim() - 1);
        }
        return out.detach();
    }

    /** True when a's batch and row dimensions can be viewed as one row dimension. */
    private static boolean canFoldBatchIntoRows(Tensor a) {
        int[] s = a.shape();
        int rows = 1;
        for (int i = 0; i < s.length - 1; i++) {
            rows *= s[i];
        }
        return Views.viewStrides(s, a.strides(), new int[] {rows, s[s.length - 1]}) != null;
    }
}
