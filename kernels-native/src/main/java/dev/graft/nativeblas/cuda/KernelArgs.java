package dev.graft.nativeblas.cuda;

import dev.graft.tensor.DType;
import dev.graft.tensor.Storage;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.spi.ReduceOp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The one by-value argument of Graft's CUDA kernels ({@code struct Args} in
 * {@code elementwise.cu}), planned in Java from tensor views without any native call: the shape
 * after dropping size-1 dimensions and merging dimensions that are contiguous in every operand,
 * each operand's strides and offset (stride 0 for a broadcast), CPU scalars by value, whether
 * every operand is contiguous (the kernels' fast path), and the launch geometry. {@link #pack}
 * writes it into native memory with device addresses filled in.
 *
 * <p>The planners return null for what the kernels do not take: more than {@value #MAX_RANK}
 * dimensions after merging, a CPU operand that is not a one-element storage, shapes that differ,
 * a view that reaches outside its storage.
 */
final class KernelArgs {
    static final int MAX_RANK = 8;
    static final int MAX_OPERANDS = 4;
    /** Threads per block of every launch (the kernels' {@code BLOCK}). */
    static final int BLOCK = 256;
    // struct Args / struct Operand layout (natural C alignment); graft_layout reports the device's view of it
    static final int SHAPE_AT = 16;
    static final int P0_AT = 48;
    static final int T0_AT = 64;
    static final int OPERANDS_AT = 72;
    static final int OPERAND_SIZE = 56;
    static final int OPERAND_STRIDE_AT = 24;
    static final int SIZE = OPERANDS_AT + MAX_OPERANDS * OPERAND_SIZE;
    /** flags bit 0: every pointer operand is contiguous. */
    static final int CONTIGUOUS = 1;
    /** flags bit 1: reduce with one block per output. */
    static final int BLOCK_PER_OUTPUT = 2;
    /** A reduction over at least this many elements per output, with inner = 1, uses a block per output. */
    static final int BLOCK_REDUCE_MIN = 128;

    /**
     * One operand: a device view ({@link #tensor} non-null) or a CPU scalar taken by value, or absent.
     * An output that the kernel also reads ({@link #updated}: fold2d's accumulator, scatterAdd's
     * destination) must have its current contents on the device before the launch.
     */
    static final class Operand {
        final Tensor tensor;
        final boolean output;
        final boolean updated;
        final int offset;
        final int[] strides = new int[MAX_RANK];
        final double value;
        final long bits;

        private Operand(Tensor tensor, boolean output, boolean updated, int offset, double value, long bits) {
            this.tensor = tensor;
            this.output = output;
            this.updated = updated;
            this.offset = offset;
            this.value = value;
            this.bits = bits;
        }

        private Operand(Tensor tensor, boolean output, int offset, double value, long bits) {
            this(tensor, output, false, offset, value, bits);
        }

        static Operand view(Tensor t, boolean output) {
            return new Operand(t, output, t.offset(), 0, 0);
        }

        /** An output view whose current contents the kernel reads and adds to. */
        static Operand updated(Tensor t) {
            return new Operand(t, true, true, t.offset(), 0, 0);
        }

        /** An input view with its strides in place (for the indexing kernels, which do not merge dimensions). */
        static Operand strided(Tensor t) {
            Operand o = view(t, false);
            System.arraycopy(t.strides(), 0, o.strides, 0, t.dim());
            return o;
        }

        /** No tensor: {@code ints} in the stride slots and {@code bits} by value (the convolution geometry and padding). */
        static Operand constants(int[] ints, long bits) {
            Operand o = new Operand(null, false, 0, 0, bits);
            System.arraycopy(ints, 0, o.strides, 0, ints.length);
            return o;
        }

        static final Operand ABSENT = new Operand(null, false, 0, 0, 0);

        /** A CPU scalar: its value, and its integer value (integral dtypes) or raw element bits (floating ones). */
        static Operand scalar(Storage s, int offset) {
            return new Operand(null, false, 0, s.getDouble(offset), bitsOf(s, offset));
        }

        boolean isScalar() {
            return tensor == null;
        }
    }

    int rank;
    int n;
    int op;
    int flags;
    final int[] shape = new int[MAX_RANK];
    double p0;
    double p1;
    int t0;
    int t1;
    final Operand[] operands;

    private KernelArgs(Operand[] operands) {
        this.operands = operands;
    }

    /** The element's integer value for integral dtypes, else its raw bits (zero-extended). */
    static long bitsOf(Storage s, int i) {
        DType dt = s.dtype();
        return switch (dt) {
            case INT64, INT32, UINT8, BOOL -> s.getLong(i);
            case FLOAT32 -> Float.floatToRawIntBits((float) s.getDouble(i)) & 0xFFFFFFFFL;
            case FLOAT64 -> Double.doubleToRawLongBits(s.getDouble(i));
            case FLOAT16, BFLOAT16 -> ((short[]) s.hostForRead())[i] & 0xFFFFL;
        };
    }

    /** The bits {@code fill(dst, value)} stores in each element of a {@code dtype} tensor (Storage.setDouble's conversion). */
    static long fillBits(DType dtype, double value) {
        Storage one = Storage.allocate(dtype, 1);
        one.setDouble(0, value);
        return bitsOf(one, 0);
    }

    /** Whether a tensor is a CPU scalar a kernel can take by value (as DeviceDispatch lets through). */
    static boolean isCpuScalar(Tensor t) {
        return t.storage().device().isCpu() && t.storage().length() == 1;
    }

    /**
     * An elementwise launch over {@code out}'s shape: {@code ts[0]} is the output (a device view),
     * the others are inputs (device views or CPU scalars) of the same shape. Null when the kernels
     * cannot take these views.
     */
    static KernelArgs elementwise(Tensor out, Tensor... inputs) {
        if (out == null || out.storage().device().isCpu() || inputs.length + 1 > MAX_OPERANDS) {
            return null;
        }
        int[] shape = out.shape();
        Operand[] ops = new Operand[inputs.length + 1];
        ops[0] = Operand.view(out, true);
        for (int k = 0; k < inputs.length; k++) {
            Tensor t = inputs[k];
            if (t == null || !Arrays.equals(t.shape(), shape)) {
                return null;
            }
            if (t.storage().device().isCpu()) {
                if (!isCpuScalar(t)) {
                    return null;
                }
                ops[k + 1] = Operand.scalar(t.storage(), t.offset());
            } else {
                ops[k + 1] = Operand.view(t, false);
            }
        }
        KernelArgs a = new KernelArgs(ops);
        long numel = 1;
        for (int s : shape) {
            numel *= s;
        }
        if (numel > Integer.MAX_VALUE) {
            return null;
        }
        a.n = (int) numel;
        if (a.n == 0) {
            return a; // nothing to launch
        }
        for (Operand o : ops) {
            if (!o.isScalar() && !inBounds(o.tensor)) {
                return null;
            }
        }
        // dimensions of size > 1, innermost first, merged while every view steps through them as one
        int[][] full = new int[ops.length][];
        for (int k = 0; k < ops.length; k++) {
            full[k] = ops[k].isScalar() ? null : ops[k].tensor.strides();
        }
        int[] size = new int[shape.length];
        int[][] stride = new int[ops.length][shape.length];
        int r = 0;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] == 1) {
                continue;
            }
            boolean merge = r > 0;
            for (int k = 0; k < ops.length && merge; k++) {
                if (full[k] != null && (long) full[k][d] != (long) stride[k][r - 1] * size[r - 1]) {
                    merge = false;
                }
            }
            if (merge) {
                size[r - 1] *= shape[d];
            } else {
                size[r] = shape[d];
                for (int k = 0; k < ops.length; k++) {
                    stride[k][r] = full[k] == null ? 0 : full[k][d];
                }
                r++;
            }
        }
        if (r > MAX_RANK) {
            return null;
        }
        a.rank = r;
        boolean contiguous = true;
        for (int i = 0; i < r; i++) { // back to outermost first
            a.shape[i] = size[r - 1 - i];
            for (int k = 0; k < ops.length; k++) {
                ops[k].strides[i] = stride[k][r - 1 - i];
            }
        }
        for (Operand o : ops) {
            if (!o.isScalar() && r > 0 && (r > 1 || o.strides[0] != 1)) {
                contiguous = false;
            }
        }
        a.flags = contiguous ? CONTIGUOUS : 0;
        return a;
    }

    /** Whether every element of the view lies inside its storage. */
    static boolean inBounds(Tensor t) {
        int[] shape = t.shape();
        int[] st = t.strides();
        long lo = t.offset();
        long hi = t.offset();
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0) {
                return true;
            }
            long span = (long) (shape[d] - 1) * st[d];
            if (span < 0) {
                lo += span;
            } else {
                hi += span;
            }
        }
        return lo >= 0 && hi < t.storage().length();
    }

    /**
     * A reduction of x [outer, n, inner] (a device view, any strides) into out [outer, inner]
     * (contiguous) and, for MAX/MIN, indices (int64, contiguous, or null). Null when not taken.
     */
    static KernelArgs reduce(ReduceOp op, Tensor x, Tensor out, Tensor indices) {
        if (x.dim() != 3 || x.storage().device().isCpu() || out.storage().device().isCpu()) {
            return null;
        }
        int[] s = x.shape();
        long outputs = (long) s[0] * s[2];
        if (!out.isContiguous() || out.numel() != outputs || outputs > Integer.MAX_VALUE) {
            return null;
        }
        if (indices != null && (indices.storage().device().isCpu() || indices.dtype() != DType.INT64 || !indices.isContiguous()
                || indices.numel() != outputs)) {
            return null;
        }
        KernelArgs a = new KernelArgs(new Operand[] {Operand.view(out, true), Operand.view(x, false),
                indices == null ? Operand.ABSENT : Operand.view(indices, true)});
        a.n = (int) outputs;
        a.op = op.ordinal();
        if (a.n == 0) {
            return a;
        }
        if (!inBounds(x) || !inBounds(out) || (indices != null && !inBounds(indices))) {
            return null;
        }
        a.rank = 3;
        System.arraycopy(s, 0, a.shape, 0, 3);
        System.arraycopy(x.strides(), 0, a.operands[1].strides, 0, 3);
        a.flags = s[1] >= BLOCK_REDUCE_MIN && s[2] == 1 ? BLOCK_PER_OUTPUT : 0;
        return a;
    }

    // ------------------------------------------------------------------ convolution and indexing

    /** flags bit 2 (take): the 1-D index is read at the element's coordinate along {@code op} (indexSelect), not at i (gather). */
    static final int BY_POSITION = 4;

    /** Whether {@code t} is a device view (not a CPU tensor) lying inside its storage. */
    private static boolean onDevice(Tensor t) {
        return t != null && !t.storage().device().isCpu() && inBounds(t);
    }

    /** Whether the geometry {@code g} has 8 entries: kernel, stride and dilation at least 1, padding at least 0. */
    static boolean validGeometry(int[] g) {
        if (g == null || g.length != 8) {
            return false;
        }
        for (int k = 0; k < 8; k++) {
            if (g[k] < (k == 4 || k == 5 ? 0 : 1)) {
                return false;
            }
        }
        return (long) g[0] * g[1] <= Integer.MAX_VALUE;
    }

    /** shape = {N, C, H, W, OH, OW, KH, KW} and the geometry operand of unfold2d/fold2d. */
    private static KernelArgs convolution(Operand out, Operand in, int[] image, int[] cols, int[] g, long padBits, long count) {
        Operand geometry = Operand.constants(new int[] {g[2], g[3], g[4], g[5], g[6], g[7]}, padBits);
        KernelArgs a = new KernelArgs(new Operand[] {out, in, geometry});
        a.rank = 8;
        int[] sh = {image[0], image[1], image[2], image[3], cols[3], cols[4], g[0], g[1]};
        System.arraycopy(sh, 0, a.shape, 0, 8);
        a.n = (int) count;
        return a;
    }

    /** The number of elements of {@code shape}, or -1 beyond {@link Integer#MAX_VALUE}. */
    private static long count(int[] shape) {
        long n = 1;
        for (int s : shape) {
            n *= s;
            if (n > Integer.MAX_VALUE) {
                return -1;
            }
        }
        return n;
    }

    /**
     * im2col: x [N, C, H, W] (a device view, any strides) into out [N, C, kh*kw, OH, OW]
     * (contiguous, same dtype), padding with the element whose bits are {@code padBits}. Null when
     * the shapes or views do not fit.
     */
    static KernelArgs unfold2d(Tensor x, int[] g, long padBits, Tensor out) {
        if (!validGeometry(g) || x.dim() != 4 || out.dim() != 5 || x.dtype() != out.dtype() || !out.isContiguous()
                || x.storage() == out.storage()) {
            return null;
        }
        int[] xs = x.shape();
        int[] os = out.shape();
        long n = count(os);
        if (os[0] != xs[0] || os[1] != xs[1] || os[2] != g[0] * g[1] || n < 0 || !onDevice(x) || !onDevice(out)) {
            return null;
        }
        return convolution(Operand.view(out, true), Operand.strided(x), xs, os, g, padBits, n);
    }

    /**
     * col2im: adds cols [N, C, kh*kw, OH, OW] (a device view, any strides) into out [N, C, H, W]
     * (contiguous, same dtype, read and written). Null when the shapes or views do not fit.
     */
    static KernelArgs fold2d(Tensor cols, int[] g, Tensor out) {
        if (!validGeometry(g) || cols.dim() != 5 || out.dim() != 4 || cols.dtype() != out.dtype() || !out.isContiguous()
                || cols.storage() == out.storage()) {
            return null;
        }
        int[] cs = cols.shape();
        int[] os = out.shape();
        long n = count(os);
        if (cs[0] != os[0] || cs[1] != os[1] || cs[2] != g[0] * g[1] || n < 0 || !onDevice(cols) || !onDevice(out)) {
            return null;
        }
        return convolution(Operand.updated(out), Operand.strided(cols), os, cs, g, 0, n);
    }

    /** Whether {@code index} is a contiguous int64 device tensor of {@code numel} elements inside its storage. */
    private static boolean deviceIndex(Tensor index, long numel) {
        return index != null && index.dtype() == DType.INT64 && index.isContiguous() && index.numel() == numel && onDevice(index);
    }

    /**
     * gather ({@code byPosition} false: index has out's shape, out[i] = x at index[i] along dim) or
     * indexSelect (true: index is 1-D, out is x's shape with dim resized to the index's length):
     * x a device view of any strides, out contiguous of x's dtype, index int64 contiguous. The index
     * values are trusted (the caller checked them). Null when the shapes or views do not fit.
     */
    static KernelArgs take(Tensor x, int dim, Tensor index, Tensor out, boolean byPosition) {
        int rank = x.dim();
        if (rank < 1 || rank > MAX_RANK || out.dim() != rank || dim < 0 || dim >= rank || x.dtype() != out.dtype()
                || !out.isContiguous() || x.storage() == out.storage() || index.storage() == out.storage()) {
            return null;
        }
        int[] xs = x.shape();
        int[] os = out.shape();
        for (int d = 0; d < rank; d++) {
            if (d != dim && os[d] > xs[d]) {
                return null;
            }
        }
        long n = count(os);
        long indices = byPosition ? os[dim] : n;
        if (n < 0 || (byPosition && index.dim() != 1) || (!byPosition && !Arrays.equals(index.shape(), os))
                || !deviceIndex(index, indices) || (n > 0 && (!onDevice(x) || !onDevice(out)))) {
            return null;
        }
        KernelArgs a = new KernelArgs(new Operand[] {Operand.view(out, true), Operand.strided(x), Operand.view(index, false)});
        a.rank = rank;
        System.arraycopy(os, 0, a.shape, 0, rank);
        a.n = (int) n;
        a.op = dim;
        a.flags = byPosition ? BY_POSITION : 0;
        return a;
    }

    /**
     * scatterAdd: dst (a device view, read and written) at index along dim += src, over the
     * index's shape (no larger than src's, nor than dst's off dim); index int64 contiguous, its
     * values trusted. Null when the shapes or views do not fit, or dst shares storage with an input.
     */
    static KernelArgs scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) {
        int rank = dst.dim();
        if (rank < 1 || rank > MAX_RANK || src.dim() != rank || index.dim() != rank || dim < 0 || dim >= rank
                || dst.dtype() != src.dtype() || dst.storage() == src.storage() || dst.storage() == index.storage()) {
            return null;
        }
        int[] ds = dst.shape();
        int[] ss = src.shape();
        int[] is = index.shape();
        for (int d = 0; d < rank; d++) {
            if (is[d] > ss[d] || (d != dim && is[d] > ds[d])) {
                return null;
            }
        }
        long n = count(is);
        if (n < 0 || !deviceIndex(index, n) || (n > 0 && (!onDevice(dst) || !onDevice(src)))) {
            return null;
        }
        KernelArgs a = new KernelArgs(new Operand[] {Operand.updated(dst), Operand.strided(src), Operand.view(index, false)});
        System.arraycopy(dst.strides(), 0, a.operands[0].strides, 0, rank);
        a.rank = rank;
        System.arraycopy(is, 0, a.shape, 0, rank);
        a.n = (int) n;
        a.op = dim;
        return a;
    }

    /** These arguments with one more operand: a scalar whose raw element bits are {@code bits} (a fill's value). */
    KernelArgs withValue(long bits) {
        if (operands.length >= MAX_OPERANDS) {
            throw new IllegalStateException("KernelArgs: no room for another operand");
        }
        Operand[] ops = Arrays.copyOf(operands, operands.length + 1);
        ops[operands.length] = new Operand(null, false, 0, 0, bits);
        KernelArgs a = new KernelArgs(ops);
        a.rank = rank;
        a.n = n;
        a.op = op;
        a.flags = flags;
        System.arraycopy(shape, 0, a.shape, 0, MAX_RANK);
        a.p0 = p0;
        a.p1 = p1;
        a.t0 = t0;
        a.t1 = t1;
        return a;
    }

    /** Blocks to launch: one per output for a block-per-output reduction, else one thread per element. */
    int grid() {
        return (flags & BLOCK_PER_OUTPUT) != 0 ? n : (int) (((long) n + BLOCK - 1) / BLOCK);
    }

    /**
     * Writes struct Args into {@code seg} ({@value #SIZE} bytes at least): {@code base[k]} is the
     * device address of element 0 of operand k's storage (ignored for scalars and absent operands,
     * whose pointer is 0).
     */
    void pack(MemorySegment seg, long[] base) {
        if (seg.byteSize() < SIZE || base.length < operands.length) {
            throw new IllegalArgumentException("KernelArgs.pack: " + seg.byteSize() + " bytes, " + base.length + " addresses for "
                    + operands.length + " operands");
        }
        seg.asSlice(0, SIZE).fill((byte) 0);
        ValueLayout.OfInt i32 = ValueLayout.JAVA_INT_UNALIGNED;
        ValueLayout.OfLong i64 = ValueLayout.JAVA_LONG_UNALIGNED;
        ValueLayout.OfDouble f64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;
        seg.set(i32, 0, rank);
        seg.set(i32, 4, n);
        seg.set(i32, 8, op);
        seg.set(i32, 12, flags);
        for (int d = 0; d < MAX_RANK; d++) {
            seg.set(i32, SHAPE_AT + 4L * d, shape[d]);
        }
        seg.set(f64, P0_AT, p0);
        seg.set(f64, P0_AT + 8, p1);
        seg.set(i32, T0_AT, t0);
        seg.set(i32, T0_AT + 4, t1);
        for (int k = 0; k < operands.length; k++) {
            Operand o = operands[k];
            long at = OPERANDS_AT + (long) k * OPERAND_SIZE;
            long ptr = 0;
            if (o.tensor != null) {
                if (base[k] == 0) {
                    throw new IllegalArgumentException("KernelArgs.pack: operand " + k + " has no device address");
                }
                ptr = base[k] + (long) o.offset * o.tensor.dtype().byteSize();
            }
            seg.set(i64, at, ptr);
            seg.set(f64, at + 8, o.value);
            seg.set(i64, at + 16, o.bits);
            for (int d = 0; d < MAX_RANK; d++) {
                seg.set(i32, at + OPERAND_STRIDE_AT + 4L * d, o.strides[d]);
            }
        }
    }

    /** The kernel-name suffix of a dtype the typed kernels take, or null (float16, bfloat16). */
    static String suffix(DType dt) {
        return switch (dt) {
            case FLOAT32 -> "f32";
            case FLOAT64 -> "f64";
            case INT64 -> "i64";
            case INT32 -> "i32";
            case UINT8 -> "u8";
            case BOOL -> "b8";
            case FLOAT16, BFLOAT16 -> null;
        };
    }
}
