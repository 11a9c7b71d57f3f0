package dev.graft.tensor.spi;

import dev.graft.tensor.Tensor;

/**
 * The closed set of primitives every backend implements (DESIGN.md decision 3). Everything else
 * (softmax, variance, pooling, padding, concatenation …) is composed from these once, above the
 * backend, in {@code dev.graft.tensor}.
 *
 * <p>Contract common to every method: shapes, dtypes and indices have been validated by the
 * caller, so a backend may assume them; output tensors are freshly allocated and contiguous
 * unless the method says otherwise; input tensors may be arbitrary strided views (including
 * stride 0 from broadcasting) and must not be modified. The scalar backend
 * ({@code dev.graft.tensor.backend.scalar}) is the executable specification: every other
 * backend is tested against it.
 */
public interface Backend {
    /** Short stable name, used by {@code -Dgraft.backend=NAME}. */
    String name();

    /** One line for {@code graft doctor}: what this backend runs on and how. */
    String description();

    /** {@code out = op(x)}; x and out have the same shape; out has x's dtype. */
    void unary(UnaryOp op, double p0, double p1, Tensor x, Tensor out);

    /** {@code out = op(a, b)}; all three have the same shape; a and b share a dtype; out is that dtype or bool. */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out);

    /** {@code out = cond ? a : b}; cond is bool; a, b and out share dtype and shape. */
    void where(Tensor cond, Tensor a, Tensor b, Tensor out);

    /** Copies src into dst element by element, converting dtype; both may be strided; same shape. dst may be a view. */
    void copy(Tensor src, Tensor dst);

    /** Sets every element of dst (which may be a strided view) to value, converted to dst's dtype. */
    void fill(Tensor dst, double value);

    /**
     * Reduces the middle axis of the 3-D view x [outer, n, inner] (any strides) into out
     * [outer, inner]. A reduction over trailing axes arrives with inner = 1; over a block of axes in
     * the middle (pooling windows, the batch axis of a bias gradient) with inner &gt; 1. For MAX and
     * MIN, indices (int64 [outer, inner], may be null) receives the position along n of the chosen
     * element. n = 0 gives 0 for SUM and 1 for PROD; MAX/MIN over n = 0 are rejected by the caller.
     */
    void reduce(ReduceOp op, Tensor x, Tensor out, Tensor indices);

    /**
     * Batched matrix product: a [..., M, K] times b [..., K, N] into out [..., M, N] (contiguous),
     * with at least one batch axis (often one, [B, M, K], but several after broadcasting, e.g.
     * [2, 3, M, K] expanded from [2, 1, M, K]); the three share their batch shape. a and b may have
     * any strides, including 0 on batch axes for broadcast operands.
     * Floating dtypes only.
     */
    void matmul(Tensor a, Tensor b, Tensor out);

    /**
     * im2col: x [N, C, H, W] into out [N, C, kh*kw, OH, OW], reading padValue outside the input.
     * {@code g} holds kh, kw, strideH, strideW, padTop, padLeft, dilationH, dilationW.
     */
    void unfold2d(Tensor x, int[] g, double padValue, Tensor out);

    /** col2im, the adjoint of unfold2d: adds cols [N, C, kh*kw, OH, OW] into out [N, C, H, W] (out starts zeroed). */
    void fold2d(Tensor cols, int[] g, Tensor out);

    /** out[i][j][k] = x[index[i][j][k]][j][k] along {@code dim} (torch.gather); index is int64 of out's shape. */
    void gather(Tensor x, int dim, Tensor index, Tensor out);

    /** dst[index[i][j]][j] += src[i][j] along {@code dim} (torch.scatter_add_), in place on contiguous dst. */
    void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src);

    /** out = x with {@code dim} replaced by the entries of the 1-D int64 index. */
    void indexSelect(Tensor x, int dim, Tensor index, Tensor out);

    /** Stable sort of each row of the 2-D view x [rows, n] into values and int64 indices. NaN sorts as largest. */
    void sort(Tensor x, boolean descending, Tensor values, Tensor indices);

    /** Inclusive prefix sum along each row of the 2-D view x [rows, n]. */
    void cumsum(Tensor x, Tensor out);
}
