package dev.graft.tensor.backend;

import dev.graft.tensor.Tensor;

import java.util.Arrays;

/**
 * Walks several same-shaped strided views in step, one contiguous "run" (the innermost,
 * coalesced dimension) at a time, so kernels only ever write a 1-D loop with a stride per
 * operand. Dimensions of size 1 are dropped and adjacent dimensions that are contiguous in
 * every operand are merged, which turns most real inputs into a single long run.
 */
public final class StridedLoop {
    private final int[] shape;
    private final int[][] strides;
    private final int[] offsets;
    private final int inner;
    private final int rows;

    private StridedLoop(int[] shape, int[][] strides, int[] offsets) {
        this.shape = shape;
        this.strides = strides;
        this.offsets = offsets;
        this.inner = shape.length == 0 ? 1 : shape[shape.length - 1];
        int r = 1;
        for (int i = 0; i < shape.length - 1; i++) {
            r *= shape[i];
        }
        this.rows = shape.length == 0 ? 1 : r;
    }

    /** Operands must share one shape (broadcasting is already expressed as stride 0). */
    public static StridedLoop of(Tensor... operands) {
        int[] shape = operands[0].shape();
        int k = operands.length;
        int[][] st = new int[k][];
        int[] off = new int[k];
        for (int i = 0; i < k; i++) {
            if (!Arrays.equals(shape, operands[i].shape())) {
                throw new IllegalStateException("StridedLoop: operand " + i + " has shape " + Arrays.toString(operands[i].shape())
                        + ", expected " + Arrays.toString(shape));
            }
            st[i] = operands[i].strides();
            off[i] = operands[i].offset();
        }
        if (Arrays.stream(shape).anyMatch(d -> d == 0)) {
            return new StridedLoop(new int[] {0}, new int[k][1], off);
        }
        // drop size-1 dimensions
        int keep = 0;
        for (int d : shape) {
            if (d != 1) {
                keep++;
            }
        }
        int[] s = new int[keep];
        int[][] t = new int[k][keep];
        for (int d = 0, j = 0; d < shape.length; d++) {
            if (shape[d] != 1) {
                s[j] = shape[d];
                for (int i = 0; i < k; i++) {
                    t[i][j] = st[i][d];
                }
                j++;
            }
        }
        // merge dimension d into d+1 when every operand steps over d exactly as a continuation of d+1
        int n = s.length;
        int[] ms = new int[n];
        int[][] mt = new int[k][n];
        int m = 0;
        for (int d = 0; d < n; d++) {
            if (m > 0) {
                boolean mergeable = true;
                for (int i = 0; i < k && mergeable; i++) {
                    mergeable = mt[i][m - 1] == t[i][d] * s[d];
                }
                if (mergeable) {
                    ms[m - 1] *= s[d];
                    for (int i = 0; i < k; i++) {
                        mt[i][m - 1] = t[i][d];
                    }
                    continue;
                }
            }
            ms[m] = s[d];
            for (int i = 0; i < k; i++) {
                mt[i][m] = t[i][d];
            }
            m++;
        }
        int[] fs = Arrays.copyOf(ms, m);
        int[][] ft = new int[k][];
        for (int i = 0; i < k; i++) {
            ft[i] = Arrays.copyOf(mt[i], m);
        }
        return new StridedLoop(fs, ft, off);
    }

    /** Number of dimensions left after dropping size-1 dimensions and merging contiguous ones. */
    public int rank() {
        return shape.length;
    }

    /** Size of coalesced dimension d. */
    public int size(int d) {
        return shape[d];
    }

    /** Stride of operand k along coalesced dimension d. */
    public int stride(int k, int d) {
        return strides[k][d];
    }

    /** Length of each run. */
    public int inner() {
        return inner;
    }

    /** Number of runs. */
    public int rows() {
        return inner == 0 ? 0 : rows;
    }

    /** Stride of operand k within a run. */
    public int innerStride(int k) {
        return shape.length == 0 ? 0 : strides[k][shape.length - 1];
    }

    /** Fills base[k] with operand k's offset at the start of run {@code row}. */
    public void rowStart(int row, int[] base) {
        for (int k = 0; k < base.length; k++) {
            base[k] = offsets[k];
        }
        int r = row;
        for (int d = shape.length - 2; d >= 0; d--) {
            int idx = r % shape[d];
            r /= shape[d];
            for (int k = 0; k < base.length; k++) {
                base[k] += idx * strides[k][d];
            }
        }
    }

    /** Called with the operands' start offsets and the length of one piece of a run. */
    @FunctionalInterface
    public interface RunBody {
        void run(int[] base, int len);
    }

    /** Visits every run on the calling thread, in order. */
    public void forEachSerial(int operands, RunBody body) {
        int[] base = new int[operands];
        for (int row = 0, n = rows(); row < n; row++) {
            rowStart(row, base);
            body.run(base, inner);
        }
    }

    /**
     * Visits every run, in parallel when there is enough work; long runs are cut into pieces so
     * that a single contiguous tensor still uses every thread.
     */
    public void forEach(int operands, RunBody body) {
        int nRows = rows();
        if (nRows == 0) {
            return;
        }
        int threads = Parallel.threads();
        long total = (long) nRows * inner;
        int pieces = 1;
        if (threads > 1 && nRows < threads && inner >= 1 << 15) {
            pieces = Math.min(threads * 4, inner >> 14);
        }
        int ppr = pieces;
        int tasks = nRows * ppr;
        int perTask = Math.max(1, (int) (total / tasks));
        int grain = Math.max(1, (1 << 15) / perTask);
        Parallel.forRange(tasks, grain, (from, to) -> {
            int[] base = new int[operands];
            for (int t = from; t < to; t++) {
                int row = t / ppr;
                int piece = t % ppr;
                rowStart(row, base);
                // cuts on multiples of 64 elements: each element then takes the same path (vector body or
                // scalar tail, which round differently) whatever the number of pieces, i.e. of threads
                int start = piece == 0 ? 0 : (int) ((long) inner * piece / ppr) & ~63;
                int end = piece == ppr - 1 ? inner : (int) ((long) inner * (piece + 1) / ppr) & ~63;
                if (start > 0) {
                    for (int k = 0; k < operands; k++) {
                        base[k] += start * innerStride(k);
                    }
                }
                body.run(base, end - start);
            }
        });
    }
}
