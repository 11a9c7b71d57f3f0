package dev.graft.nativeblas.cuda;

import dev.graft.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How a batched row-major product {@code out = a · b} of tensor views (a [..., M, K],
 * b [..., K, N], out [..., M, N] contiguous, any number of batch dimensions, any non-negative
 * strides) maps onto column-major cuBLAS calls without moving data: cuBLAS computes
 * {@code C^T = B^T · A^T}, so b is the first operand and a the second, with m = N, n = M, k = K,
 * and C^T in column-major order is exactly the row-major output with ldc = N.
 *
 * <p>Each matrix operand [R, C] with strides (rs, cs) is read in place when one of its two
 * dimensions is unit-stride: {@code cs == 1} is row-major storage, cuBLAS's {@code CUBLAS_OP_N}
 * with ld = rs (at least C); {@code rs == 1} is column-major storage, {@code CUBLAS_OP_T} with
 * ld = cs (at least R). A dimension of size 1 is never stepped over, so its stride may be anything
 * and the smallest valid ld is used. The batch dimensions are merged, innermost first, while every
 * operand's strides nest ({@code stride[d] == stride[d+1] * size[d+1]}; broadcast strides of 0
 * nest); the merged run becomes one strided batched call per index of the remaining outer
 * dimensions.
 *
 * <p>Everything is checked here, in Java, before any native call: the shapes (a mismatch is a
 * caller's bug and throws {@link IllegalArgumentException}) and, for every call, the last element
 * each operand touches against its storage's length. A layout cuBLAS cannot read in place
 * (negative strides, a matrix with no unit-stride dimension, rows that overlap, more than
 * {@link #MAX_CALLS} calls, an output that is not contiguous) is refused with a reason, and the
 * caller runs the product on the host.
 */
final class GemmLayout {
    /** At most this many cuBLAS calls for one product (outer batch dimensions that do not merge). */
    static final int MAX_CALLS = 1 << 16;

    /** What the product needs: nothing (an empty output), zeros in the output (K = 0), GEMM calls, or the host. */
    enum Kind {
        EMPTY, ZERO_FILL, GEMM, REFUSED
    }

    /**
     * One row-major matrix operand as cuBLAS reads it: {@code transposed} is {@code CUBLAS_OP_T}
     * (the matrix is stored column-major), {@code ld} its leading dimension, {@code batchStride}
     * the distance in elements between the matrices of consecutive batches within one call.
     */
    record Operand(boolean transposed, int ld, long batchStride) {
    }

    /** A tensor view: shape, strides and offset in elements over a storage of {@code length} elements. */
    record View(int[] shape, int[] strides, long offset, long length) {
        static View of(Tensor t) {
            return new View(t.shape(), t.strides(), t.offset(), t.storage().length());
        }
    }

    final Kind kind;
    final String refusal;
    /** Row-major M, N, K. */
    final int m;
    final int n;
    final int k;
    final Operand a;
    final Operand b;
    /** Leading dimension of the output's rows (N, at least 1) and the distance between its batches in one call (M·N). */
    final int ldc;
    final long strideC;
    /** Batches per call (1: plain GEMM). */
    final int batchCount;
    /** Element offsets of a, b and out for each call. */
    final long[] aOffsets;
    final long[] bOffsets;
    final long[] cOffsets;
    /** For {@link Kind#ZERO_FILL}: the output's offset and element count. */
    final long fillOffset;
    final long fillCount;

    private GemmLayout(Kind kind, String refusal, int m, int n, int k, Operand a, Operand b, int ldc, long strideC, int batchCount,
                       long[] aOffsets, long[] bOffsets, long[] cOffsets, long fillOffset, long fillCount) {
        this.kind = kind;
        this.refusal = refusal;
        this.m = m;
        this.n = n;
        this.k = k;
        this.a = a;
        this.b = b;
        this.ldc = ldc;
        this.strideC = strideC;
        this.batchCount = batchCount;
        this.aOffsets = aOffsets;
        this.bOffsets = bOffsets;
        this.cOffsets = cOffsets;
        this.fillOffset = fillOffset;
        this.fillCount = fillCount;
    }

    private static GemmLayout refuse(String why) {
        return new GemmLayout(Kind.REFUSED, why, 0, 0, 0, null, null, 0, 0, 0, null, null, null, 0, 0);
    }

    /** Number of cuBLAS calls (0 unless {@link Kind#GEMM}). */
    int calls() {
        return cOffsets == null ? 0 : cOffsets.length;
    }

    /** The layout of {@code out = a · b} for these tensors. */
    static GemmLayout of(Tensor a, Tensor b, Tensor out) {
        return plan(View.of(a), View.of(b), View.of(out));
    }

    /** The layout of {@code out = a · b}; throws {@link IllegalArgumentException} when the shapes do not fit together. */
    static GemmLayout plan(View a, View b, View out) {
        int r = a.shape().length;
        String shapes = "a " + Arrays.toString(a.shape()) + ", b " + Arrays.toString(b.shape()) + ", out " + Arrays.toString(out.shape());
        if (r < 3 || b.shape().length != r || out.shape().length != r || a.strides().length != r || b.strides().length != r
                || out.strides().length != r) {
            throw new IllegalArgumentException("matmul: expects a [B..., M, K], b [B..., K, N], out [B..., M, N] of one rank >= 3 with"
                    + " a stride per dimension; got " + shapes);
        }
        int m = a.shape()[r - 2];
        int k = a.shape()[r - 1];
        int n = b.shape()[r - 1];
        boolean fits = b.shape()[r - 2] == k && out.shape()[r - 2] == m && out.shape()[r - 1] == n;
        for (int d = 0; d < r - 2 && fits; d++) {
            fits = a.shape()[d] == out.shape()[d] && b.shape()[d] == out.shape()[d];
        }
        if (!fits) {
            throw new IllegalArgumentException("matmul: shapes do not fit together (batch dimensions equal, inner dimensions equal): " + shapes);
        }
        long total = 1; // batches
        for (int d = 0; d < r - 2; d++) {
            if (out.shape()[d] < 0) {
                throw new IllegalArgumentException("matmul: negative dimension: " + shapes);
            }
            total *= out.shape()[d];
        }
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("matmul: negative dimension: " + shapes);
        }
        if (total == 0 || m == 0 || n == 0) {
            return new GemmLayout(Kind.EMPTY, null, m, n, k, null, null, Math.max(1, n), 0, 0, null, null, null, 0, 0);
        }
        for (View v : new View[] {a, b, out}) {
            if (v.offset() < 0) {
                return refuse("negative offset " + v.offset());
            }
            for (int s : v.strides()) {
                if (s < 0) {
                    return refuse("a negative stride (" + Arrays.toString(v.strides()) + ")");
                }
            }
        }
        // the output is contiguous (Backend.matmul's contract): checked, so that batches never overlap
        long expected = 1;
        for (int d = r - 1; d >= 0; d--) {
            if (out.shape()[d] != 1 && out.strides()[d] != expected) {
                return refuse("the output is not contiguous (strides " + Arrays.toString(out.strides()) + ")");
            }
            expected *= out.shape()[d];
        }
        long outCount = total * m * n;
        if (out.offset() + outCount > out.length()) {
            throw new IllegalArgumentException("matmul: the output (offset " + out.offset() + ", " + outCount
                    + " elements) does not fit its storage of " + out.length() + " elements");
        }
        if (k == 0) {
            return new GemmLayout(Kind.ZERO_FILL, null, m, n, 0, null, null, Math.max(1, n), 0, 0, null, null, null, out.offset(), outCount);
        }
        Operand ma = matrix(m, k, a.strides()[r - 2], a.strides()[r - 1]);
        if (ma == null) {
            return refuse("a's matrix strides " + a.strides()[r - 2] + ", " + a.strides()[r - 1] + " have no unit stride cuBLAS can use");
        }
        Operand mb = matrix(k, n, b.strides()[r - 2], b.strides()[r - 1]);
        if (mb == null) {
            return refuse("b's matrix strides " + b.strides()[r - 2] + ", " + b.strides()[r - 1] + " have no unit stride cuBLAS can use");
        }
        // batch dimensions that are stepped over, outer to inner
        List<Integer> dims = new ArrayList<>();
        for (int d = 0; d < r - 2; d++) {
            if (out.shape()[d] > 1) {
                dims.add(d);
            }
        }
        int j = dims.size(); // dims[j..] merge into one run
        if (j > 0) {
            j--;
            while (j > 0 && nests(dims.get(j - 1), dims.get(j), out.shape(), a, b, out)) {
                j--;
            }
        }
        long perCall = 1;
        for (int i = j; i < dims.size(); i++) {
            perCall *= out.shape()[dims.get(i)];
        }
        long calls = total / perCall;
        if (calls > MAX_CALLS) {
            return refuse(calls + " separate GEMM calls (batch strides that do not merge); at most " + MAX_CALLS);
        }
        int inner = dims.isEmpty() ? -1 : dims.getLast();
        long sa = inner < 0 || perCall == 1 ? 0 : a.strides()[inner];
        long sb = inner < 0 || perCall == 1 ? 0 : b.strides()[inner];
        long sc = (long) m * n;
        long[] offA = new long[(int) calls];
        long[] offB = new long[(int) calls];
        long[] offC = new long[(int) calls];
        int[] idx = new int[j]; // odometer over dims[0..j-1]
        for (int c = 0; c < calls; c++) {
            long oa = a.offset();
            long ob = b.offset();
            long oc = out.offset();
            for (int i = 0; i < j; i++) {
                int d = dims.get(i);
                oa += (long) idx[i] * a.strides()[d];
                ob += (long) idx[i] * b.strides()[d];
                oc += (long) idx[i] * out.strides()[d];
            }
            offA[c] = oa;
            offB[c] = ob;
            offC[c] = oc;
            for (int i = j - 1; i >= 0; i--) {
                if (++idx[i] < out.shape()[dims.get(i)]) {
                    break;
                }
                idx[i] = 0;
            }
        }
        int count = (int) perCall;
        for (int c = 0; c < calls; c++) {
            within("a", offA[c], count, sa, m, k, a.strides()[r - 2], a.strides()[r - 1], a.length());
            within("b", offB[c], count, sb, k, n, b.strides()[r - 2], b.strides()[r - 1], b.length());
            within("out", offC[c], count, sc, m, n, n, 1, out.length());
        }
        return new GemmLayout(Kind.GEMM, null, m, n, k, new Operand(ma.transposed(), ma.ld(), sa),
                new Operand(mb.transposed(), mb.ld(), sb), Math.max(1, n), sc, count, offA, offB, offC, 0, 0);
    }

    /** Whether batch dimension {@code outer} steps exactly over the whole of {@code inner} in every operand. */
    private static boolean nests(int outer, int inner, int[] sizes, View a, View b, View out) {
        for (View v : new View[] {a, b, out}) {
            if ((long) v.strides()[outer] != (long) v.strides()[inner] * sizes[inner]) {
                return false;
            }
        }
        return true;
    }

    /**
     * A row-major [rows, cols] matrix with strides (rs, cs) as cuBLAS reads it, or null when it
     * cannot: row-major storage (OP_N, ld = rs) or column-major (OP_T, ld = cs). rows, cols &gt;= 1.
     */
    static Operand matrix(int rows, int cols, int rs, int cs) {
        if (cols <= 1 || cs == 1) {
            int ld = rows <= 1 ? Math.max(1, cols) : rs;
            if (ld >= Math.max(1, cols)) {
                return new Operand(false, ld, 0);
            }
        }
        if (rows <= 1 || rs == 1) {
            int ld = cols <= 1 ? Math.max(1, rows) : cs;
            if (ld >= Math.max(1, rows)) {
                return new Operand(true, ld, 0);
            }
        }
        return null;
    }

    /** Checks that {@code count} matrices from {@code offset} lie inside a storage of {@code length} elements. */
    private static void within(String name, long offset, int count, long batchStride, int rows, int cols, int rs, int cs, long length) {
        long last;
        try {
            last = Math.addExact(offset, Math.addExact(Math.multiplyExact(count - 1L, batchStride),
                    Math.addExact(Math.multiplyExact(rows - 1L, (long) rs), Math.multiplyExact(cols - 1L, (long) cs))));
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("matmul: " + name + "'s strides overflow a long", e);
        }
        if (last >= length) {
            throw new IllegalArgumentException("matmul: " + name + " reaches element " + last + " (offset " + offset + ", " + count
                    + " batches of [" + rows + ", " + cols + "], strides " + batchStride + ", " + rs + ", " + cs + ") but its storage has "
                    + length + " elements");
        }
    }

    @Override
    public String toString() {
        return switch (kind) {
            case REFUSED -> "refused: " + refusal;
            case EMPTY -> "empty";
            case ZERO_FILL -> "zero-fill " + fillCount + " elements at " + fillOffset;
            case GEMM -> "gemm M=" + m + " N=" + n + " K=" + k + " a=" + a + " b=" + b + " ldc=" + ldc + " batches/call=" + batchCount
                    + " calls=" + calls();
        };
    }
}
