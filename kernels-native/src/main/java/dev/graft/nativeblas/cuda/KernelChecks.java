package dev.graft.nativeblas.cuda;

import dev.graft.tensor.DType;
import dev.graft.tensor.Device;
import dev.graft.tensor.DeviceDispatch;
import dev.graft.tensor.Devices;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Storage;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.backend.scalar.ScalarBackend;
import dev.graft.tensor.spi.Backend;
import dev.graft.tensor.spi.BinaryOp;
import dev.graft.tensor.spi.ReduceOp;
import dev.graft.tensor.spi.UnaryOp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The device checks of the elementwise kernels ({@link CudaElementwise}), part of
 * {@link DeviceChecks}: every {@link UnaryOp} and {@link BinaryOp} on float32 and float64 (and the
 * integer dtypes where the op is defined) over contiguous, transposed, offset, broadcast (stride 0)
 * and CPU-scalar operands against Graft's Java backend on the CPU; where; fill of a narrow view;
 * copies with dtype conversions; reductions with indices and NaN; a model-like chain and a
 * hand-written MLP training step that must not leave the device. float32 transcendental ops may
 * differ by a few ulp (bound 4e-6 of |x| + |ref|, plus 1e-6), float64 ones by 1e-12 relative; the
 * others must agree exactly. The error column is the worst deviation over its bound (pass: at most 1).
 *
 * <p>On the simulated device the same checks run in CI, which tests them without a GPU; whether
 * each primitive ran in a device kernel is only required on CUDA.
 */
final class KernelChecks {
    private static final int ROWS = 37;
    private static final int COLS = 53;
    private static final Set<UnaryOp> EXACT_UNARY = EnumSet.of(UnaryOp.NEG, UnaryOp.ABS, UnaryOp.SIGN, UnaryOp.RELU, UnaryOp.SQUARE,
            UnaryOp.CLAMP, UnaryOp.FLOOR, UnaryOp.CEIL, UnaryOp.ROUND, UnaryOp.SQRT, UnaryOp.RECIPROCAL);

    private final Device dev;
    private final boolean cuda;
    private final Backend java = new ScalarBackend(); // the specification

    KernelChecks(Device dev) {
        this.dev = dev;
        this.cuda = dev.type().equals("cuda");
    }

    /** The checks, in order. */
    List<DeviceChecks.Check> all() {
        List<DeviceChecks.Check> list = new ArrayList<>();
        if (cuda) {
            list.add(new DeviceChecks.Check("NVRTC kernels compile and load on " + dev, this::built));
        }
        for (UnaryOp op : UnaryOp.values()) {
            list.add(new DeviceChecks.Check("unary " + op, () -> unary(op)));
        }
        for (BinaryOp op : BinaryOp.values()) {
            list.add(new DeviceChecks.Check("binary " + op, () -> binary(op)));
        }
        list.add(new DeviceChecks.Check("where float32/int64/bool, views and CPU scalars", this::where));
        list.add(new DeviceChecks.Check("fill narrow views, every dtype", this::fill));
        list.add(new DeviceChecks.Check("copy with dtype conversions, views", this::copy));
        for (ReduceOp op : ReduceOp.values()) {
            list.add(new DeviceChecks.Check("reduce " + op + " (indices, NaN, block and thread paths)", () -> reduce(op)));
        }
        list.add(new DeviceChecks.Check("chain matmul -> +bias -> gelu -> matmul -> softmax -> sum", this::chain));
        list.add(new DeviceChecks.Check("MLP training step (hand-written backward) = CPU", this::mlpStep));
        if (cuda) {
            list.add(new DeviceChecks.Check("add of two 64M-float device tensors (bandwidth)", this::bandwidth));
        }
        return list;
    }

    private DeviceChecks.Result result(String name, boolean pass, double err, String detail) {
        return new DeviceChecks.Result(name, pass, err, detail);
    }

    private DeviceChecks.Result built() {
        String name = "NVRTC kernels compile and load on " + dev;
        CudaKernels k = CudaKernels.of(CudaDeviceContext.of(dev.index()));
        return result(name, k != null, Double.NaN, k == null ? "unavailable (see the log line above)" : k.description);
    }

    // ------------------------------------------------------------------ data

    /** Values for float tests: uniform in [-3, 3] with NaN, infinities, signed zeros and halves at fixed places. */
    private static Tensor floats(Generator g, DType dt, int rows, int cols) {
        Tensor t = Tensor.uniform(g, -3, 3, DType.FLOAT64, rows, cols);
        double[] specials = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 1.0, -1.0, 2.0};
        Storage s = t.storage();
        for (int i = 0; i < specials.length && 7 * i < s.length(); i++) {
            s.setDouble(7 * i, specials[i]);
        }
        return t.to(dt);
    }

    private static Tensor ints(Generator g, DType dt, int rows, int cols) {
        long lo = dt == DType.UINT8 ? 0 : dt == DType.BOOL ? 0 : -20;
        long hi = dt == DType.UINT8 ? 256 : dt == DType.BOOL ? 2 : 21;
        return Tensor.randint(g, lo, hi, rows, cols).to(dt);
    }

    static Tensor values(Generator g, DType dt, int rows, int cols) {
        return dt.isFloating() ? floats(g, dt, rows, cols) : ints(g, dt, rows, cols);
    }

    /** The view's elements in row-major order, read from its storage (host copy, downloaded if needed). */
    static double[] raw(Tensor t) {
        int[] shape = t.shape();
        int[] st = t.strides();
        int n = t.numel();
        double[] out = new double[n];
        int[] idx = new int[shape.length];
        Storage s = t.storage();
        for (int i = 0; i < n; i++) {
            int off = t.offset();
            for (int d = 0; d < shape.length; d++) {
                off += idx[d] * st[d];
            }
            out[i] = s.getDouble(off);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return out;
    }

    /**
     * The worst {@code |got - ref| / (rtol * (|ref| + |x|) + atol)} (0 when all agree exactly; NaN
     * matches NaN, an infinity itself; infinite when a NaN or infinity is not matched). x may be null.
     */
    static double worst(double[] got, double[] ref, double[] x, double rtol, double atol) {
        if (got.length != ref.length) {
            return Double.POSITIVE_INFINITY;
        }
        double w = 0;
        for (int i = 0; i < got.length; i++) {
            double a = got[i];
            double b = ref[i];
            if (a == b || (Double.isNaN(a) && Double.isNaN(b))) {
                continue;
            }
            if (Double.isNaN(a) || Double.isNaN(b) || Double.isInfinite(a) || Double.isInfinite(b)) {
                return Double.POSITIVE_INFINITY;
            }
            double scale = Math.abs(b) + (x == null || !Double.isFinite(x[i]) ? 0 : Math.abs(x[i]));
            double bound = rtol * scale + atol;
            w = Math.max(w, bound == 0 ? Double.POSITIVE_INFINITY : Math.abs(a - b) / bound);
        }
        return w;
    }

    private long kernels(String what) {
        Long v = DeviceDispatch.deviceKernels().get(dev.type() + " " + what);
        return v == null ? 0 : v;
    }

    /** Input layouts: contiguous, transposed, offset (narrow), broadcast row (stride 0). */
    private List<Tensor> layouts(Tensor base, Generator g, DType dt) {
        List<Tensor> views = new ArrayList<>();
        views.add(base.to(dev));
        views.add(values(g, dt, COLS, ROWS).to(dev).t());
        views.add(values(g, dt, ROWS, COLS + 9).to(dev).narrow(1, 4, COLS));
        views.add(values(g, dt, 1, COLS).to(dev).expand(ROWS, COLS));
        return views;
    }

    private static final String[] LAYOUT_NAMES = {"contiguous", "transposed", "offset", "broadcast"};

    // ------------------------------------------------------------------ unary and binary

    private DeviceChecks.Result unary(UnaryOp op) {
        String name = "unary " + op;
        List<DType> dts = new ArrayList<>(List.of(DType.FLOAT32, DType.FLOAT64));
        if (op.integerClosed()) {
            dts.addAll(List.of(DType.INT64, DType.INT32, DType.UINT8));
        }
        Generator g = new Generator(11 + op.ordinal());
        double worst = 0;
        String where = "";
        int calls = 0;
        long before = kernels("unary " + op);
        for (DType dt : dts) {
            boolean exact = dt.isIntegral() || EXACT_UNARY.contains(op);
            double rtol = exact ? 0 : dt == DType.FLOAT32 ? 4e-6 : 1e-12;
            double atol = exact ? 0 : dt == DType.FLOAT32 ? 1e-6 : 1e-300;
            double p0 = op == UnaryOp.CLAMP ? (dt.isIntegral() ? -5 : -1.5) : op == UnaryOp.POW ? 2.5 : 0.01;
            double p1 = op == UnaryOp.CLAMP ? (dt.isIntegral() ? 7.5 : 2.25) : 0;
            if (op == UnaryOp.CLAMP && dt == DType.FLOAT32) {
                p1 = Double.NaN; // no upper bound
            }
            List<Tensor> views = layouts(values(g, dt, ROWS, COLS), g, dt);
            for (int v = 0; v < views.size(); v++) {
                Tensor x = views.get(v);
                Tensor out = Tensor.empty(dt, ROWS, COLS);
                Backends.current().unary(op, p0, p1, x, out);
                calls++;
                Tensor xc = Tensor.fromStorage(Storage.wrap(dt, copyOf(x)), x.shape(), "check");
                Tensor ref = Tensor.empty(dt, ROWS, COLS);
                java.unary(op, p0, p1, xc, ref);
                double w = worst(raw(out), raw(ref), raw(xc), rtol, atol);
                if (w > worst || Double.isNaN(w)) {
                    worst = w;
                    where = dt + " " + LAYOUT_NAMES[v];
                }
            }
        }
        long ran = kernels("unary " + op) - before;
        boolean pass = worst <= 1 && (!cuda || ran == calls);
        return result(name, pass, worst, ran + "/" + calls + " in a device kernel; dtypes " + dts + (where.isEmpty() ? "" : "; worst " + where));
    }

    /** A contiguous CPU array holding the view's elements (the host copy of a device view). */
    private static Object copyOf(Tensor t) {
        double[] v = raw(t);
        Storage s = Storage.allocate(t.dtype(), v.length);
        for (int i = 0; i < v.length; i++) {
            if (t.dtype().isIntegral()) {
                s.setLong(i, (long) v[i]);
            } else {
                s.setDouble(i, v[i]);
            }
        }
        return s.array();
    }

    private DeviceChecks.Result binary(BinaryOp op) {
        String name = "binary " + op;
        List<DType> dts = List.of(DType.FLOAT32, DType.FLOAT64, DType.INT64, DType.INT32, DType.UINT8, DType.BOOL);
        Generator g = new Generator(101 + op.ordinal());
        double worst = 0;
        String where = "";
        int calls = 0;
        int expected = 0;
        long before = kernels("binary " + op);
        for (DType dt : dts) {
            boolean intDivPow = dt.isIntegral() && (op == BinaryOp.DIV || op == BinaryOp.POW);
            if (intDivPow && dt == DType.BOOL) {
                continue;
            }
            boolean exact = dt.isIntegral() || op != BinaryOp.POW;
            double rtol = exact ? 0 : dt == DType.FLOAT32 ? 4e-6 : 1e-12;
            double atol = exact ? 0 : dt == DType.FLOAT32 ? 1e-6 : 1e-300;
            DType outType = op.isPredicate() ? DType.BOOL : dt;
            Tensor a0 = values(g, dt, ROWS, COLS);
            List<Tensor> as = layouts(a0, g, dt);
            List<Tensor> bs = layouts(values(g, dt, ROWS, COLS), g, dt);
            List<Tensor[]> pairs = new ArrayList<>();
            List<String> names = new ArrayList<>();
            double scalar = dt.isFloating() ? 1.5 : op == BinaryOp.POW ? 3 : dt == DType.BOOL ? 1 : 7;
            Tensor s = Tensor.full(scalar, dt, 1, 1).expand(ROWS, COLS); // a CPU scalar, broadcast
            if (!intDivPow) {
                pairs.add(new Tensor[] {as.get(0), bs.get(0)});
                names.add("contiguous");
                pairs.add(new Tensor[] {as.get(1), bs.get(2)});
                names.add("transposed, offset");
                pairs.add(new Tensor[] {as.get(2), bs.get(3)});
                names.add("offset, broadcast");
                pairs.add(new Tensor[] {s, as.get(1)});
                names.add("CPU scalar, transposed");
            }
            Tensor divisorLike = intDivPow && op == BinaryOp.DIV ? Tensor.full(-3, dt == DType.UINT8 ? DType.UINT8 : dt, 1, 1)
                    .expand(ROWS, COLS) : s;
            pairs.add(new Tensor[] {as.get(0), divisorLike});
            names.add("contiguous, CPU scalar");
            pairs.add(new Tensor[] {as.get(3), divisorLike});
            names.add("broadcast, CPU scalar");
            if (intDivPow) { // a tensor divisor/exponent: the host (the reference throws for 0 / negative)
                Tensor pos = Tensor.randint(g, 1, 4, ROWS, COLS).to(dt).to(dev);
                pairs.add(new Tensor[] {as.get(0), pos});
                names.add("tensor divisor (host)");
            }
            for (int p = 0; p < pairs.size(); p++) {
                Tensor a = pairs.get(p)[0];
                Tensor b = pairs.get(p)[1];
                Tensor out = Tensor.empty(outType, ROWS, COLS);
                Backends.current().binary(op, a, b, out);
                calls++;
                if (!names.get(p).endsWith("(host)")) {
                    expected++;
                }
                Tensor ac = Tensor.fromStorage(Storage.wrap(dt, copyOf(a)), a.shape(), "check");
                Tensor bc = Tensor.fromStorage(Storage.wrap(dt, copyOf(b)), b.shape(), "check");
                Tensor ref = Tensor.empty(outType, ROWS, COLS);
                java.binary(op, ac, bc, ref);
                double w = worst(raw(out), raw(ref), null, rtol, atol);
                if (w > worst || Double.isNaN(w)) {
                    worst = w;
                    where = dt + " " + names.get(p);
                }
            }
        }
        long ran = kernels("binary " + op) - before;
        boolean pass = worst <= 1 && (!cuda || ran == expected);
        return result(name, pass, worst, ran + "/" + calls + " in a device kernel (" + expected + " expected)"
                + (where.isEmpty() ? "" : "; worst " + where));
    }

    // ------------------------------------------------------------------ where, fill, copy

    private DeviceChecks.Result where() {
        String name = "where float32/int64/bool, views and CPU scalars";
        Generator g = new Generator(7);
        double worst = 0;
        int calls = 0;
        long before = kernels("where");
        for (DType dt : List.of(DType.FLOAT32, DType.INT64, DType.BOOL, DType.FLOAT64)) {
            List<Tensor> conds = layouts(ints(g, DType.BOOL, ROWS, COLS), g, DType.BOOL);
            List<Tensor> as = layouts(values(g, dt, ROWS, COLS), g, dt);
            List<Tensor> bs = layouts(values(g, dt, ROWS, COLS), g, dt);
            Tensor s = Tensor.full(dt == DType.BOOL ? 1 : -4.25, dt, 1, 1).expand(ROWS, COLS);
            Tensor sc = Tensor.full(1, DType.BOOL, 1, 1).expand(ROWS, COLS);
            Tensor[][] cases = {{conds.get(0), as.get(0), bs.get(0)}, {conds.get(1), as.get(2), bs.get(3)},
                {conds.get(3), as.get(1), s}, {conds.get(2), s, bs.get(1)}, {sc, as.get(0), bs.get(2)}};
            for (Tensor[] c : cases) {
                Tensor out = Tensor.empty(dt, ROWS, COLS);
                Backends.current().where(c[0], c[1], c[2], out);
                calls++;
                Tensor ref = Tensor.empty(dt, ROWS, COLS);
                java.where(host(c[0]), host(c[1]), host(c[2]), ref);
                worst = Math.max(worst, worst(raw(out), raw(ref), null, 0, 0));
            }
        }
        long ran = kernels("where") - before;
        return result(name, worst <= 1 && (!cuda || ran == calls), worst, ran + "/" + calls + " in a device kernel");
    }

    /** A CPU tensor of the view's elements (itself when on the CPU). */
    static Tensor host(Tensor t) {
        return t.storage().device().isCpu() ? t : Tensor.fromStorage(Storage.wrap(t.dtype(), copyOf(t)), t.shape(), "check");
    }

    private DeviceChecks.Result fill() {
        String name = "fill narrow views, every dtype";
        double worst = 0;
        int calls = 0;
        long before = kernels("fill");
        for (DType dt : DType.values()) {
            for (double v : new double[] {3.7, -2.5, Double.NaN, 1e10}) {
                Tensor d = Tensor.ones(dt, 8, 10).to(dev);
                Tensor c = Tensor.ones(dt, 8, 10);
                Backends.current().fill(d.narrow(1, 2, 5).transpose(0, 1), v);
                calls++;
                java.fill(c.narrow(1, 2, 5).transpose(0, 1), v);
                worst = Math.max(worst, worst(raw(d), raw(c), null, 0, 0));
            }
        }
        long ran = kernels("fill") - before;
        return result(name, worst <= 1 && (!cuda || ran == calls), worst, ran + "/" + calls + " in a device kernel");
    }

    private DeviceChecks.Result copy() {
        String name = "copy with dtype conversions, views";
        Generator g = new Generator(3);
        double worst = 0;
        String where = "";
        int calls = 0;
        long before = kernels("copy");
        DType[][] pairs = {{DType.FLOAT32, DType.INT32}, {DType.FLOAT64, DType.FLOAT32}, {DType.INT64, DType.FLOAT32},
            {DType.FLOAT32, DType.FLOAT16}, {DType.FLOAT32, DType.BFLOAT16}, {DType.FLOAT16, DType.FLOAT32}, {DType.BFLOAT16, DType.FLOAT64},
            {DType.INT32, DType.UINT8}, {DType.FLOAT32, DType.BOOL}, {DType.BOOL, DType.FLOAT32}, {DType.INT64, DType.INT32},
            {DType.FLOAT64, DType.INT64}, {DType.FLOAT32, DType.FLOAT32}, {DType.INT64, DType.INT64}, {DType.UINT8, DType.INT64}};
        for (DType[] p : pairs) {
            Tensor base = Tensor.uniform(g, -300, 300, DType.FLOAT64, COLS, ROWS);
            base.storage().setDouble(0, 1e10);
            base.storage().setDouble(1, -1e19);
            base.storage().setDouble(2, Double.NaN);
            base.storage().setDouble(3, 65519.0);
            base.storage().setDouble(4, 1e-6);
            Tensor src = base.to(p[0]);
            Tensor srcDev = src.to(dev).t(); // transposed source
            for (boolean narrowDst : new boolean[] {false, true}) {
                Tensor dstDev = Tensor.ones(p[1], ROWS, COLS + 4).to(dev);
                Tensor dstRef = Tensor.ones(p[1], ROWS, COLS + 4);
                Tensor dv = narrowDst ? dstDev.narrow(1, 3, COLS) : dstDev.narrow(1, 0, COLS);
                Backends.current().copy(srcDev, dv);
                calls++;
                java.copy(src.t(), narrowDst ? dstRef.narrow(1, 3, COLS) : dstRef.narrow(1, 0, COLS));
                double w = worst(raw(dstDev), raw(dstRef), null, 0, 0);
                if (w > worst) {
                    worst = w;
                    where = p[0] + " -> " + p[1];
                }
            }
        }
        long ran = kernels("copy") - before;
        return result(name, worst <= 1 && (!cuda || ran == calls), worst, ran + "/" + calls + " in a device kernel, 15 dtype pairs"
                + (where.isEmpty() ? "" : "; worst " + where));
    }

    // ------------------------------------------------------------------ reduce

    private DeviceChecks.Result reduce(ReduceOp op) {
        String name = "reduce " + op + " (indices, NaN, block and thread paths)";
        Generator g = new Generator(41 + op.ordinal());
        double worst = 0;
        String where = "";
        int calls = 0;
        boolean indexed = op == ReduceOp.MAX || op == ReduceOp.MIN;
        long before = kernels("reduce " + op);
        int[][] shapes = {{5, 1000, 1}, {4, 33, 7}, {3, 300, 2}, {2, 1, 3}};
        for (DType dt : List.of(DType.FLOAT32, DType.FLOAT64, DType.INT64, DType.INT32)) {
            for (int[] sh : shapes) {
                for (boolean transposed : new boolean[] {false, true}) {
                    Tensor x;
                    int[] stored = transposed ? new int[] {sh[1], sh[0], sh[2]} : sh;
                    if (dt.isFloating()) {
                        double lo = op == ReduceOp.PROD ? 0.9 : -3;
                        double hi = op == ReduceOp.PROD ? 1.1 : 3;
                        Tensor b = Tensor.uniform(g, lo, hi, DType.FLOAT64, stored);
                        if (indexed && sh[1] >= 3 && sh[0] >= 2) {
                            Tensor v = transposed ? b.transpose(0, 1) : b;
                            double tie = op == ReduceOp.MAX ? 10 : -10;
                            setAt(v, 0, 1, 0, tie); // ties: the first position must be reported
                            setAt(v, 0, 2, 0, tie);
                            setAt(v, sh[0] - 1, sh[1] - 1, 0, Double.NaN); // NaN wins, at its position
                        }
                        x = b.to(dt);
                    } else {
                        long lo = op == ReduceOp.PROD ? -2 : -50;
                        long hi = op == ReduceOp.PROD ? 3 : 51;
                        x = Tensor.randint(g, lo, hi, stored).to(dt);
                    }
                    Tensor xd = x.to(dev);
                    if (transposed) {
                        x = x.transpose(0, 1);
                        xd = xd.transpose(0, 1);
                    }
                    Tensor out = Tensor.empty(dt, sh[0], sh[2]);
                    Tensor idx = indexed ? Tensor.empty(DType.INT64, sh[0], sh[2]) : null;
                    Backends.current().reduce(op, xd, out, idx);
                    calls++;
                    Tensor ref = Tensor.empty(dt, sh[0], sh[2]);
                    Tensor refIdx = indexed ? Tensor.empty(DType.INT64, sh[0], sh[2]) : null;
                    java.reduce(op, x, ref, refIdx);
                    boolean exact = indexed || dt.isIntegral();
                    double rtol = exact ? 0 : dt == DType.FLOAT32 ? 1e-6 : 1e-12;
                    // float32 sums may accumulate in float32 (the simulated device does): allow n float32 roundings of |x| <= 3
                    double atol = exact ? 0 : dt == DType.FLOAT32 ? 1e-6 + 3e-7 * sh[1] : 1e-12;
                    double w = worst(raw(out), raw(ref), null, rtol, atol);
                    if (indexed) {
                        w = Math.max(w, worst(raw(idx), raw(refIdx), null, 0, 0));
                    }
                    if (w > worst) {
                        worst = w;
                        where = dt + " " + Arrays.toString(sh) + (transposed ? " transposed" : "");
                    }
                }
            }
        }
        long ran = kernels("reduce " + op) - before;
        return result(name, worst <= 1 && (!cuda || ran == calls), worst, ran + "/" + calls + " in a device kernel"
                + (where.isEmpty() ? "" : "; worst " + where));
    }

    /** Sets element (i, j, k) of a 3-D CPU view. */
    private static void setAt(Tensor v, int i, int j, int k, double value) {
        int[] st = v.strides();
        v.storage().setDouble(v.offset() + i * st[0] + j * st[1] + k * st[2], value);
    }

    // ------------------------------------------------------------------ chains

    private static double maxAbsDiff(double[] a, double[] b) {
        if (a.length != b.length) {
            return Double.POSITIVE_INFINITY;
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs(a[i] - b[i]);
            m = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(m, d);
        }
        return m;
    }

    private DeviceChecks.Result chain() {
        String name = "chain matmul -> +bias -> gelu -> matmul -> softmax -> sum";
        Generator g = new Generator(21);
        Tensor x = Tensor.randn(g, 64, 128);
        Tensor w1 = Tensor.randn(g, 128, 256).mul(0.1);
        Tensor bias = Tensor.randn(g, 256);
        Tensor w2 = Tensor.randn(g, 256, 10).mul(0.1);
        Tensor ref = Backends.with(java, () -> x.matmul(w1).add(bias).gelu().matmul(w2).softmax(1).sum(new int[] {0}, false));
        Tensor xd = x.to(dev);
        Tensor w1d = w1.to(dev);
        Tensor bd = bias.to(dev);
        Tensor w2d = w2.to(dev);
        Map<String, Long> fallbacks = DeviceDispatch.hostFallbacks();
        Tensor got = xd.matmul(w1d).add(bd).gelu().matmul(w2d).softmax(1).sum(new int[] {0}, false);
        Map<String, Long> after = DeviceDispatch.hostFallbacks();
        double err = maxAbsDiff(raw(got), raw(ref));
        boolean none = fallbacks.equals(after);
        boolean pass = err < 1e-4 && got.device().equals(dev) && (!cuda || none);
        return result(name, pass, err, "max |diff| " + String.format(Locale.ROOT, "%.2e", err) + "; host fallbacks "
                + (none ? "none" : "new: " + newFallbacks(fallbacks, after)));
    }

    /** The fallbacks counted in {@code after} beyond those in {@code before}. */
    static Map<String, Long> newFallbacks(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> d = new java.util.TreeMap<>();
        after.forEach((k, v) -> {
            long n = v - before.getOrDefault(k, 0L);
            if (n != 0) {
                d.put(k, n);
            }
        });
        return d;
    }

    /** One SGD step of a 2-layer MLP (ReLU, mean squared error), gradients written out by hand. Returns {w1, b1, w2} after the step. */
    private static Tensor[] sgdStep(Tensor x, Tensor y, Tensor w1, Tensor b1, Tensor w2, double lr) {
        int n = x.shape()[0];
        Tensor pre = x.matmul(w1).add(b1);
        Tensor h = pre.relu();
        Tensor out = h.matmul(w2);
        Tensor dout = out.sub(y).mul(2.0 / (n * y.shape()[1]));
        Tensor dw2 = h.t().matmul(dout);
        Tensor dh = dout.matmul(w2.t());
        Tensor dpre = Tensor.where(pre.gt(0), dh, Tensor.zeros(dh.device(), dh.dtype(), dh.shape()));
        Tensor dw1 = x.t().matmul(dpre);
        Tensor db1 = dpre.sum(new int[] {0}, false);
        return new Tensor[] {w1.sub(dw1.mul(lr)), b1.sub(db1.mul(lr)), w2.sub(dw2.mul(lr))};
    }

    private DeviceChecks.Result mlpStep() {
        String name = "MLP training step (hand-written backward) = CPU";
        Generator g = new Generator(99);
        Tensor x = Tensor.randn(g, 64, 32);
        Tensor y = Tensor.randn(g, 64, 10);
        Tensor w1 = Tensor.randn(g, 32, 64).mul(0.2);
        Tensor b1 = Tensor.randn(g, 64).mul(0.1);
        Tensor w2 = Tensor.randn(g, 64, 10).mul(0.2);
        Tensor[] ref = Backends.with(java, () -> sgdStep(x, y, w1, b1, w2, 0.1));
        Tensor xd = x.to(dev);
        Tensor yd = y.to(dev);
        Tensor w1d = w1.to(dev);
        Tensor b1d = b1.to(dev);
        Tensor w2d = w2.to(dev);
        Map<String, Long> fallbacks = DeviceDispatch.hostFallbacks();
        Tensor[] got = sgdStep(xd, yd, w1d, b1d, w2d, 0.1);
        Map<String, Long> after = DeviceDispatch.hostFallbacks();
        double err = 0;
        for (int i = 0; i < 3; i++) {
            err = Math.max(err, maxAbsDiff(raw(got[i]), raw(ref[i])));
        }
        boolean none = fallbacks.equals(after);
        boolean pass = err < 1e-4 && (!cuda || none);
        return result(name, pass, err, "max |diff| of the updated weights " + String.format(Locale.ROOT, "%.2e", err)
                + "; host fallbacks " + (none ? "none" : "new: " + newFallbacks(fallbacks, after)));
    }

    private DeviceChecks.Result bandwidth() {
        String name = "add of two 64M-float device tensors (bandwidth)";
        int n = 64 << 20;
        Tensor a = Tensor.zeros(dev, DType.FLOAT32, n).fill(1.25);
        Tensor b = Tensor.zeros(dev, DType.FLOAT32, n).fill(2.5);
        Tensor c = a.add(b); // warm-up
        Devices.runtime(dev).synchronize(dev);
        int reps = 20;
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            c = a.add(b);
        }
        Devices.runtime(dev).synchronize(dev);
        double s = (System.nanoTime() - t0) / 1e9 / reps;
        double gbs = 3.0 * 4 * n / s / 1e9;
        Storage cs = c.storage();
        boolean ok = cs.getDouble(0) == 3.75 && cs.getDouble(n - 1) == 3.75;
        return result(name, ok, Double.NaN, String.format(Locale.ROOT, "%.3f ms per add, %.0f GB/s (3 x 256 MiB moved)", s * 1e3, gbs));
    }
}
