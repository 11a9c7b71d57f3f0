package dev.graft.nativeblas.cuda;

import dev.graft.tensor.DType;
import dev.graft.tensor.Device;
import dev.graft.tensor.DeviceDispatch;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.backend.scalar.ScalarBackend;
import dev.graft.tensor.spi.Backend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The device checks of the convolution and indexing kernels ({@link CudaIndexing}), part of
 * {@link DeviceChecks}: unfold2d, fold2d, gather, indexSelect and scatterAdd against Graft's Java
 * backend on odd shapes, strides 1 and 2, dilation 2, padding, over contiguous, transposed, offset
 * and broadcast inputs, with repeated indices; then a grouped conv2d forward and a hand-written
 * backward (unfold2d, batched matmul, fold2d), max and average pooling, all through tensor ops,
 * against the CPU within 1e-5 of the largest reference value. Moves (unfold2d, gather, indexSelect)
 * must agree exactly; fold2d sums in the reference's order; scatterAdd's float sums may differ in
 * the last bits where indices repeat (atomic adds in any order).
 *
 * <p>On CUDA each check also requires every call to have run in a device kernel and
 * {@link DeviceDispatch#hostFallbacks()} to be unchanged; the simulated device runs the same
 * checks in CI without those two requirements (it sends scatterAdd and indexSelect to the host).
 */
final class IndexKernelChecks {
    /** kh, kw, strideH, strideW, padTop, padLeft, dilationH, dilationW. */
    private static final int[][] GEOMETRIES = {{3, 3, 1, 1, 1, 1, 1, 1}, {3, 2, 2, 2, 1, 0, 1, 1}, {2, 3, 1, 2, 2, 1, 2, 2},
        {1, 1, 2, 1, 0, 0, 1, 1}, {5, 3, 2, 1, 2, 1, 1, 2}};
    private static final int[] IMAGE = {2, 3, 7, 9};
    private static final int[] TABLE = {5, 7, 6};
    private static final String[] VIEWS = {"contiguous", "transposed", "offset", "broadcast"};

    private final Device dev;
    private final boolean cuda;
    private final Backend java = new ScalarBackend(); // the specification

    IndexKernelChecks(Device dev) {
        this.dev = dev;
        this.cuda = dev.type().equals("cuda");
    }

    /** The checks, in order. */
    List<DeviceChecks.Check> all() {
        List<DeviceChecks.Check> list = new ArrayList<>();
        list.add(new DeviceChecks.Check("unfold2d 6 dtypes, strides 1/2, dilation 2, padding, views", this::unfold2d));
        list.add(new DeviceChecks.Check("fold2d float32/float64 into zeroed and nonzero outputs, views", this::fold2d));
        list.add(new DeviceChecks.Check("gather 7 dtypes, every dim, views, repeated indices", () -> take(false)));
        list.add(new DeviceChecks.Check("indexSelect 7 dtypes, every dim, views, repeated indices", () -> take(true)));
        list.add(new DeviceChecks.Check("scatterAdd f32/f64/i64/i32, repeated indices, views", this::scatterAdd));
        list.add(new DeviceChecks.Check("conv2d fwd + hand-written bwd, groups 2, pooling = CPU", this::conv));
        return list;
    }

    private long kernels(String what) {
        Long v = DeviceDispatch.deviceKernels().get(dev.type() + " " + what);
        return v == null ? 0 : v;
    }

    /** Random elements of {@code dt} in {@code shape}, on the CPU: floats in [-3, 3], integers in [-20, 20] (0/1 for bool, [0, 256) for uint8). */
    private static Tensor values(Generator g, DType dt, int... shape) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        return KernelChecks.values(g, dt, 1, n).reshape(shape);
    }

    /** Plain uniform values (no NaN or infinity) for sums. */
    private static Tensor uniform(Generator g, DType dt, int... shape) {
        return Tensor.uniform(g, -3, 3, DType.FLOAT64, shape).to(dt);
    }

    /**
     * {@code shape} on the device as view {@code v} of {@link #VIEWS}: contiguous, with the last two
     * axes transposed, narrowed from a wider storage (an offset), or expanded along the first axis
     * (stride 0); {@code make} gives CPU tensors of a shape.
     */
    private Tensor view(int v, int[] shape, Function<int[], Tensor> make) {
        int r = shape.length;
        int[] s = shape.clone();
        switch (v) {
            case 1 -> {
                s[r - 1] = shape[r - 2];
                s[r - 2] = shape[r - 1];
                return make.apply(s).to(dev).transpose(r - 2, r - 1);
            }
            case 2 -> {
                s[r - 1] += 4;
                return make.apply(s).to(dev).narrow(r - 1, 3, shape[r - 1]);
            }
            case 3 -> {
                s[0] = 1;
                return make.apply(s).to(dev).expand(shape);
            }
            default -> {
                return make.apply(s).to(dev);
            }
        }
    }

    private static int outSize(int size, int k, int stride, int pad, int dilation) {
        return (size + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
    }

    /** One check's running account: calls made, the worst deviation and where, against the kernel and fallback counts at its start. */
    private final class Tally {
        final String name;
        final String what;
        final long before;
        final Map<String, Long> fallbacks = DeviceDispatch.hostFallbacks();
        double worst;
        String where = "";
        int calls;

        Tally(String name, String what) {
            this.name = name;
            this.what = what;
            this.before = kernels(what);
        }

        /** Counts a call whose deviation over its bound was {@code w}, made on {@code at}. */
        void add(double w, String at) {
            calls++;
            if (w > worst || Double.isNaN(w)) {
                worst = w;
                where = at;
            }
        }

        DeviceChecks.Result result() {
            long ran = kernels(what) - before;
            Map<String, Long> added = KernelChecks.newFallbacks(fallbacks, DeviceDispatch.hostFallbacks());
            boolean pass = worst <= 1 && (!cuda || (ran == calls && added.isEmpty()));
            return new DeviceChecks.Result(name, pass, worst, ran + "/" + calls + " in a device kernel; host fallbacks "
                    + (added.isEmpty() ? "none" : "new: " + added) + (where.isEmpty() ? "" : "; worst " + where));
        }
    }

    // ------------------------------------------------------------------ unfold2d, fold2d

    private DeviceChecks.Result unfold2d() {
        Tally t = new Tally("unfold2d 6 dtypes, strides 1/2, dilation 2, padding, views", "unfold2d");
        Generator gen = new Generator(201);
        for (DType dt : List.of(DType.FLOAT32, DType.FLOAT64, DType.INT64, DType.INT32, DType.FLOAT16, DType.UINT8)) {
            double[] pads = dt.isIntegral() ? new double[] {0, -7, Long.MIN_VALUE} : new double[] {0, -2.5, Double.NEGATIVE_INFINITY};
            for (int[] g : GEOMETRIES) {
                int oh = outSize(IMAGE[2], g[0], g[2], g[4], g[6]);
                int ow = outSize(IMAGE[3], g[1], g[3], g[5], g[7]);
                for (int v = 0; v < VIEWS.length; v++) {
                    Tensor x = view(v, IMAGE, s -> values(gen, dt, s));
                    double pad = pads[t.calls % pads.length];
                    Tensor out = Tensor.empty(dt, IMAGE[0], IMAGE[1], g[0] * g[1], oh, ow);
                    Backends.current().unfold2d(x, g, pad, out);
                    Tensor ref = Tensor.empty(dt, IMAGE[0], IMAGE[1], g[0] * g[1], oh, ow);
                    java.unfold2d(KernelChecks.host(x), g, pad, ref);
                    t.add(KernelChecks.worst(KernelChecks.raw(out), KernelChecks.raw(ref), null, 0, 0),
                            dt + " " + Arrays.toString(g) + " " + VIEWS[v]);
                }
            }
        }
        return t.result();
    }

    private DeviceChecks.Result fold2d() {
        Tally t = new Tally("fold2d float32/float64 into zeroed and nonzero outputs, views", "fold2d");
        Generator gen = new Generator(202);
        for (DType dt : List.of(DType.FLOAT32, DType.FLOAT64)) {
            double rtol = dt == DType.FLOAT32 ? 1e-6 : 1e-14;
            for (int[] g : GEOMETRIES) {
                int[] cs = {IMAGE[0], IMAGE[1], g[0] * g[1], outSize(IMAGE[2], g[0], g[2], g[4], g[6]),
                    outSize(IMAGE[3], g[1], g[3], g[5], g[7])};
                for (int v = 0; v < VIEWS.length; v++) {
                    Tensor cols = view(v, cs, s -> uniform(gen, dt, s));
                    boolean zeroed = v % 2 == 0;
                    Tensor start = zeroed ? Tensor.zeros(dt, IMAGE) : uniform(gen, dt, IMAGE);
                    Tensor out = zeroed ? Tensor.zeros(dt, IMAGE) : start.to(dev); // a fresh output, or device contents to add to
                    Backends.current().fold2d(cols, g, out);
                    Tensor ref = start.clone();
                    java.fold2d(KernelChecks.host(cols), g, ref);
                    t.add(KernelChecks.worst(KernelChecks.raw(out), KernelChecks.raw(ref), null, rtol, rtol),
                            dt + " " + Arrays.toString(g) + " " + VIEWS[v]);
                }
            }
        }
        return t.result();
    }

    // ------------------------------------------------------------------ gather, indexSelect, scatterAdd

    /** The index shape for dimension d of {@link #TABLE}: one smaller off d (allowed), 9 along d (more than the size: repeats). */
    private static int[] indexShape(int d) {
        int[] is = {TABLE[0] - 1, TABLE[1] - 1, TABLE[2] - 1};
        is[d] = 9;
        return is;
    }

    private DeviceChecks.Result take(boolean select) {
        String what = select ? "indexSelect" : "gather";
        Tally t = new Tally(what + " 7 dtypes, every dim, views, repeated indices", what);
        Generator gen = new Generator(select ? 204 : 203);
        for (DType dt : List.of(DType.FLOAT32, DType.FLOAT64, DType.INT64, DType.INT32, DType.UINT8, DType.FLOAT16, DType.BOOL)) {
            for (int d = 0; d < TABLE.length; d++) {
                int[] is = select ? new int[] {9} : indexShape(d);
                int[] os = select ? TABLE.clone() : is;
                os[d] = 9;
                Tensor index = Tensor.randint(gen, 0, TABLE[d], is);
                for (int v = 0; v < VIEWS.length; v++) {
                    Tensor x = view(v, TABLE, s -> values(gen, dt, s));
                    Tensor out;
                    if (v == 0 && dt.isComputable()) { // through the tensor op, with an int32 index converted on the device
                        Tensor i32 = index.to(DType.INT32).to(dev);
                        out = select ? x.indexSelect(d, i32) : x.gather(d, i32);
                    } else {
                        out = Tensor.empty(dt, os);
                        if (select) {
                            Backends.current().indexSelect(x, d, index.to(dev), out);
                        } else {
                            Backends.current().gather(x, d, index.to(dev), out);
                        }
                    }
                    Tensor ref = Tensor.empty(dt, os);
                    if (select) {
                        java.indexSelect(KernelChecks.host(x), d, index, ref);
                    } else {
                        java.gather(KernelChecks.host(x), d, index, ref);
                    }
                    t.add(KernelChecks.worst(KernelChecks.raw(out), KernelChecks.raw(ref), null, 0, 0),
                            dt + " dim " + d + " " + VIEWS[v]);
                }
            }
        }
        return t.result();
    }

    private DeviceChecks.Result scatterAdd() {
        Tally t = new Tally("scatterAdd f32/f64/i64/i32, repeated indices, views", "scatterAdd");
        Generator gen = new Generator(205);
        for (DType dt : List.of(DType.FLOAT32, DType.FLOAT64, DType.INT64, DType.INT32)) {
            // sums of up to 9 terms of |x| <= 3 in any order: a few roundings of 27
            double tol = dt == DType.FLOAT32 ? 1e-5 : dt == DType.FLOAT64 ? 1e-13 : 0;
            for (int d = 0; d < TABLE.length; d++) {
                int[] is = indexShape(d);
                int[] ss = is.clone();
                ss[0]++; // src may be larger than the index: only the covered part takes part
                Tensor index = Tensor.randint(gen, 0, TABLE[d], is);
                for (int v = 0; v < VIEWS.length; v++) {
                    Tensor src = view(v, ss, s -> dt.isFloating() ? uniform(gen, dt, s) : values(gen, dt, s));
                    Tensor start = dt.isFloating() ? uniform(gen, dt, TABLE) : values(gen, dt, TABLE);
                    Tensor got;
                    if (v == 0 && dt.isComputable()) { // through the tensor op, with an int32 index converted on the device
                        got = start.to(dev).scatterAdd(d, index.to(DType.INT32).to(dev), src);
                    } else if (v == 1) { // a transposed destination view
                        got = start.transpose(0, 2).contiguous().to(dev).transpose(0, 2);
                        Backends.current().scatterAdd(got, d, index.to(dev), src);
                    } else {
                        got = start.to(dev);
                        Backends.current().scatterAdd(got, d, index.to(dev), src);
                    }
                    Tensor ref = start.clone();
                    java.scatterAdd(ref, d, index, KernelChecks.host(src));
                    t.add(KernelChecks.worst(KernelChecks.raw(got), KernelChecks.raw(ref), null, tol, tol),
                            dt + " dim " + d + " " + VIEWS[v]);
                }
            }
        }
        return t.result();
    }

    // ------------------------------------------------------------------ conv2d through tensor ops

    /**
     * y = conv2d(x, w, b) with groups 2 and the gradients of sum(y * dy) written by hand: dx by
     * fold2d of w^T dy, dw from unfold2d(x) dy^T, db the sum of dy; then max and average pooling of x.
     */
    private static Tensor[] convStep(Tensor x, Tensor w, Tensor b, Tensor dy) {
        int[] k = {3, 3};
        int[] stride = {2, 1};
        int[] padding = {1, 2};
        int[] dilation = {2, 1};
        int groups = 2;
        int n = x.shape()[0];
        int c = x.shape()[1];
        int o = w.shape()[0];
        Tensor y = x.conv2d(w, b, stride, padding, dilation, groups);
        int l = y.shape()[2] * y.shape()[3];
        int ck = c / groups * k[0] * k[1];
        Tensor cols = x.unfold2d(k, stride, padding, dilation).reshape(n, groups, ck, l);
        Tensor dyg = dy.reshape(n, groups, o / groups, l);
        Tensor dw = dyg.matmul(cols.transpose(2, 3)).sum(new int[] {0}, false).reshape(w.shape());
        Tensor wt = w.reshape(1, groups, o / groups, ck).transpose(2, 3).expand(n, groups, ck, o / groups);
        Tensor dx = wt.matmul(dyg).reshape(n, c * k[0] * k[1], l).fold2d(new int[] {x.shape()[2], x.shape()[3]}, k, stride, padding,
                dilation);
        Tensor db = dy.sum(new int[] {0, 2, 3}, false);
        Tensor max = x.maxPool2d(new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 2});
        Tensor avg = x.avgPool2d(new int[] {3, 2}, new int[] {2, 2}, new int[] {1, 1}, true);
        return new Tensor[] {y, dx, dw, db, max, avg};
    }

    private DeviceChecks.Result conv() {
        String name = "conv2d fwd + hand-written bwd, groups 2, pooling = CPU";
        Generator g = new Generator(206);
        Tensor x = Tensor.randn(g, 3, 4, 11, 10);
        Tensor w = Tensor.randn(g, 6, 2, 3, 3).mul(0.3);
        Tensor b = Tensor.randn(g, 6);
        Tensor dy = Tensor.randn(g, 3, 6, 5, 12);
        Tensor[] ref = Backends.with(java, () -> convStep(x, w, b, dy));
        Tensor xd = x.to(dev);
        Tensor wd = w.to(dev);
        Tensor bd = b.to(dev);
        Tensor dyd = dy.to(dev);
        Map<String, Long> fallbacks = DeviceDispatch.hostFallbacks();
        Tensor[] got = convStep(xd, wd, bd, dyd);
        Map<String, Long> added = KernelChecks.newFallbacks(fallbacks, DeviceDispatch.hostFallbacks());
        String[] names = {"y", "dx", "dw", "db", "maxPool", "avgPool"};
        double worst = 0;
        String where = "";
        boolean placed = true;
        for (int i = 0; i < ref.length; i++) {
            double[] r = KernelChecks.raw(ref[i]);
            double[] o = KernelChecks.raw(got[i]);
            double scale = 0;
            for (double v : r) {
                scale = Math.max(scale, Math.abs(v));
            }
            double err = KernelChecks.worst(o, r, null, 0, 1e-5 * Math.max(scale, 1e-30));
            placed &= got[i].device().equals(dev);
            if (err > worst) {
                worst = err;
                where = names[i];
            }
        }
        boolean pass = worst <= 1 && placed && (!cuda || added.isEmpty());
        return new DeviceChecks.Result(name, pass, worst, String.format(Locale.ROOT, "worst |diff| / (1e-5 max |ref|) %.3f%s", worst,
                where.isEmpty() ? "" : " (" + where + ")") + (placed ? "" : "; a result left the device") + "; host fallbacks "
                + (added.isEmpty() ? "none" : "new: " + added));
    }
}
