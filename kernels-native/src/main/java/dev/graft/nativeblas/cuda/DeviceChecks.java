package dev.graft.nativeblas.cuda;

import dev.graft.tensor.DType;
import dev.graft.tensor.Device;
import dev.graft.tensor.DeviceDispatch;
import dev.graft.tensor.DeviceScope;
import dev.graft.tensor.Devices;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Storage;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.DeviceMemory;
import dev.graft.tensor.spi.DeviceRuntime;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BinaryOperator;

/**
 * The checks of device tensors on a real GPU: round trips of every dtype, matmul on
 * {@code cuda:0} against the Java backend on the CPU (shapes, transposed and padded views,
 * batches with broadcast operands, float64, TF32, odd and zero sizes, layouts cuBLAS cannot read
 * that must fall back to the host), a chain of device and host ops, {@link DeviceScope} freeing
 * memory, use after release, wrong calls that must throw, an out-of-memory message, concurrent
 * use, the elementwise kernels ({@link KernelChecks}) and the convolution and indexing kernels
 * ({@link IndexKernelChecks}). {@link GpuCheck} prints them; {@code CudaDeviceRuntimeTest} runs
 * each as a JUnit test when a GPU is there. Needs no JUnit.
 *
 * <p>On another device (the tensor module's simulated {@code sim:0}, in CI) the checks that do
 * not depend on CUDA run too, which tests the checks themselves without a GPU: which products run
 * in a device kernel, TF32, memory figures and out-of-memory are then not checked.
 */
final class DeviceChecks {
    static final double FP64_BOUND = 1e-12;

    /** One check's outcome: {@code error} is the normwise relative error where one is measured, else NaN. */
    record Result(String name, boolean passed, double error, String detail) {
        String line() {
            return String.format(Locale.ROOT, "  %-4s %-62s %s%s", passed ? "PASS" : "FAIL", name,
                    Double.isNaN(error) ? "" : String.format(Locale.ROOT, "%.2e  ", error), detail);
        }
    }

    /** A check: its name and its body, which returns the result or throws (a failure). */
    record Check(String name, java.util.function.Supplier<Result> body) {
        Result run() {
            try {
                return body.get();
            } catch (RuntimeException | AssertionError e) {
                return new Result(name, false, Double.NaN, "threw " + e);
            }
        }
    }

    private final Device dev;
    private final boolean cuda;

    private DeviceChecks(Device device) {
        this.dev = device;
        this.cuda = device.type().equals("cuda");
    }

    /** Every check on cuda:0. */
    static List<Check> all() {
        return all(Device.cuda(0));
    }

    /** Every check for {@code device}, in order; each sets up its own tensors. */
    static List<Check> all(Device device) {
        DeviceChecks d = new DeviceChecks(device);
        List<Check> list = new ArrayList<>();
        list.add(new Check("the " + device.type() + " runtime is found and available", d::runtimeFound));
        for (DType dt : DType.values()) {
            list.add(new Check("round trip " + dt, () -> d.roundTrip(dt)));
        }
        list.add(new Check("partial upload/download at offsets, every dtype", d::partialCopies));
        list.add(new Check("wrong copies throw IllegalArgumentException", d::wrongCopiesThrow));
        for (MatmulCase c : matmulCases()) {
            list.add(new Check(c.name(), () -> d.matmul(c)));
        }
        if (d.cuda) {
            list.add(new Check("matmul float32 TF32 (-Dgraft.cuda.tf32=true) 1024^3", d::tf32));
        }
        list.add(new Check("chain matmul -> add -> relu -> matmul", d::chain));
        list.add(new Check("DeviceScope frees device memory", d::scopeFrees));
        list.add(new Check("use after release throws IllegalStateException", d::useAfterRelease));
        if (d.cuda) {
            list.add(new Check("released blocks are reused by the next allocation", d::reuse));
            list.add(new Check("out of memory names the size and DeviceScope", d::outOfMemory));
        }
        list.add(new Check("4 threads multiply on one device", d::threads));
        list.addAll(new KernelChecks(device).all());
        list.addAll(new IndexKernelChecks(device).all());
        return list;
    }

    /** Runs every check on cuda:0, printing one line each; true when all passed. */
    static boolean run(PrintStream out) {
        return run(out, Device.cuda(0));
    }

    /**
     * Runs every check on {@code device}, printing one line each; true when all passed. The float32
     * bounds are FP32's, so {@code -Dgraft.cuda.tf32} is cleared meanwhile (the TF32 check sets it itself).
     */
    static boolean run(PrintStream out, Device device) {
        out.println("device tensors: " + device + " through " + Devices.runtime(device).getClass().getSimpleName()
                + " vs Graft's Java backend on the CPU (normwise relative error)");
        String tf32 = System.clearProperty(CudaDeviceRuntime.TF32_PROPERTY);
        try {
            boolean ok = true;
            for (Check c : all(device)) {
                Result r = c.run();
                out.println(r.line());
                ok &= r.passed();
            }
            return ok;
        } finally {
            if (tf32 != null) {
                System.setProperty(CudaDeviceRuntime.TF32_PROPERTY, tf32);
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private static Result result(String name, boolean pass, double err, String detail) {
        return new Result(name, pass, err, detail);
    }

    private long deviceMatmuls() {
        return DeviceDispatch.deviceKernels().entrySet().stream().filter(e -> e.getKey().startsWith(dev.type() + " matmul"))
                .mapToLong(java.util.Map.Entry::getValue).sum();
    }

    /** {@code ||x - ref|| / ||ref||} over all elements (the absolute norm when ref is all zeros; 0 for empty). */
    static double relativeError(double[] x, double[] ref) {
        if (x.length != ref.length) {
            return Double.POSITIVE_INFINITY;
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - ref[i];
            num += d * d;
            den += ref[i] * ref[i];
        }
        if (Double.isNaN(num)) {
            return Double.POSITIVE_INFINITY;
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /** The elements of a CPU or device tensor, row-major, as doubles (a device tensor is read through its host copy). */
    private static double[] values(Tensor t) {
        return t.to(Device.cpu()).contiguous().to(DType.FLOAT64).toDoubleArray();
    }

    private static Tensor random(Generator g, DType dt, int... shape) {
        return Tensor.randn(g, shape).to(dt);
    }

    // ------------------------------------------------------------------ runtime and copies

    private Result runtimeFound() {
        String name = "the " + dev.type() + " runtime is found and available";
        DeviceRuntime rt = Devices.runtimes().stream().filter(r -> r.type().equals(dev.type())).findFirst().orElse(null);
        boolean pass = rt != null && (!cuda || rt instanceof CudaDeviceRuntime) && rt.available() && rt.deviceCount() > dev.index()
                && Devices.isAvailable(dev);
        return result(name, pass, Double.NaN, rt == null ? "no " + dev.type() + " runtime"
                : rt.deviceCount() + " device(s); " + rt.report().lines().filter(l -> l.startsWith("kernels")).findFirst().orElse(""));
    }

    /** {@code n} distinct values of {@code dt} in its Java array type. */
    static Object sample(DType dt, int n) {
        return switch (dt) {
            case FLOAT32 -> {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (float) Math.sin(i) * 1e3f + i;
                }
                yield a;
            }
            case FLOAT64 -> {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) {
                    a[i] = Math.sin(i) * 1e300 + Math.cos(i) * 1e-300;
                }
                yield a;
            }
            case INT64 -> {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) {
                    a[i] = i * 0x0123_4567_89AB_CDEFL;
                }
                yield a;
            }
            case INT32 -> {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) {
                    a[i] = i * 0x3456_789B;
                }
                yield a;
            }
            case UINT8, BOOL -> {
                byte[] a = new byte[n];
                for (int i = 0; i < n; i++) {
                    a[i] = dt == DType.BOOL ? (byte) (i % 3 == 0 ? 1 : 0) : (byte) (i * 37);
                }
                yield a;
            }
            case FLOAT16, BFLOAT16 -> {
                short[] a = new short[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (short) (i * 12_345);
                }
                yield a;
            }
        };
    }

    private static int length(Object array) {
        return java.lang.reflect.Array.getLength(array);
    }

    private Result roundTrip(DType dt) {
        String name = "round trip " + dt;
        StringBuilder detail = new StringBuilder();
        boolean pass = true;
        for (int n : new int[] {0, 1, 1001, 1 << 20}) {
            Object src = sample(dt, n);
            Tensor x = Tensor.fromStorage(Storage.wrap(dt, src), new int[] {n}, name);
            Tensor d = x.to(dev);
            Object back = d.to(Device.cpu()).storage().hostForRead();
            boolean same = d.device().equals(dev) && Arrays.deepEquals(new Object[] {src}, new Object[] {back});
            // a strided view goes up as a contiguous copy
            if (n > 2) {
                Tensor odd = x.slice(0, 1, n, 2);
                Object want = odd.contiguous().storage().hostForRead();
                Object got = odd.to(dev).to(Device.cpu()).storage().hostForRead();
                same &= Arrays.deepEquals(new Object[] {want}, new Object[] {got});
            }
            pass &= same;
            detail.append(n).append(same ? " ok; " : " DIFFERS; ");
        }
        return result(name, pass, Double.NaN, detail.toString());
    }

    private Result partialCopies() {
        String name = "partial upload/download at offsets, every dtype";
        DeviceRuntime rt = Devices.runtime(dev);
        boolean pass = true;
        StringBuilder bad = new StringBuilder();
        for (DType dt : DType.values()) {
            DeviceMemory m = rt.allocate(dev, dt, 100);
            try {
                Object src = sample(dt, 60);
                m.upload(src, 3, 10, 50);        // src[3..53) -> device [10..60)
                Object back = java.lang.reflect.Array.newInstance(src.getClass().getComponentType(), 70);
                m.download(10, back, 7, 50);     // device [10..60) -> back[7..57)
                for (int i = 0; i < 50; i++) {
                    Object w = java.lang.reflect.Array.get(src, 3 + i);
                    Object g = java.lang.reflect.Array.get(back, 7 + i);
                    if (!w.equals(g)) {
                        pass = false;
                        bad.append(dt).append(" element ").append(i).append(": ").append(g).append(" != ").append(w).append("; ");
                        break;
                    }
                }
                m.download(99, back, 69, 1); // the last element, reachable
                m.upload(src, 0, 100, 0);    // an empty copy at the very end
            } finally {
                m.release();
            }
        }
        return result(name, pass, Double.NaN, bad.isEmpty() ? "all dtypes ok" : bad.toString());
    }

    private Result wrongCopiesThrow() {
        String name = "wrong copies throw IllegalArgumentException";
        DeviceRuntime rt = Devices.runtime(dev);
        DeviceMemory m = rt.allocate(dev, DType.FLOAT32, 16);
        List<String> missed = new ArrayList<>();
        try {
            Runnable[] wrong = {
                () -> m.upload(new float[4], 0, 14, 4),        // past the device end
                () -> m.upload(new float[4], 2, 0, 4),         // past the array end
                () -> m.upload(new float[4], -1, 0, 1),
                () -> m.upload(new float[4], 0, -1, 1),
                () -> m.upload(new float[4], 0, 0, -1),
                () -> m.upload(new double[4], 0, 0, 4),        // wrong array type
                () -> m.upload(null, 0, 0, 0),
                () -> m.download(0, new int[16], 0, 16),
                () -> m.download(1, new float[16], 0, 16),
                () -> m.download(0, new float[16], 1, 16),
            };
            for (int i = 0; i < wrong.length; i++) {
                try {
                    wrong[i].run();
                    missed.add("case " + i + " did not throw");
                } catch (IllegalArgumentException expected) {
                    // right
                }
            }
            float[] back = new float[16];
            m.upload(new float[] {1, 2, 3}, 0, 0, 3);
            m.download(0, back, 0, 3);
            if (back[2] != 3f) {
                missed.add("the memory did not work after the refused calls");
            }
        } finally {
            m.release();
        }
        try {
            rt.allocate(dev, DType.FLOAT32, -1);
            missed.add("a negative allocation did not throw");
        } catch (IllegalArgumentException expected) {
            // right
        }
        return result(name, missed.isEmpty(), Double.NaN, missed.isEmpty() ? "10 wrong calls refused" : String.join("; ", missed));
    }

    // ------------------------------------------------------------------ matmul

    /**
     * One product: {@code op} applied to CPU tensors of shapes {@code xs} and {@code ys} (the
     * reference, Java backend) and to the same tensors on cuda:0. {@code onDevice}: whether the
     * layout must run in cuBLAS (false: it must fall back to the host and still be right).
     */
    record MatmulCase(String name, DType dtype, int[] xs, int[] ys, BinaryOperator<Tensor> op, boolean onDevice) {
    }

    static List<MatmulCase> matmulCases() {
        List<MatmulCase> cs = new ArrayList<>();
        BinaryOperator<Tensor> mm = Tensor::matmul;
        int[][] plain = {{1, 1, 1}, {7, 13, 5}, {64, 64, 64}, {33, 17, 129}, {128, 384, 1536}, {1000, 1, 300}, {1, 1024, 1024},
            {511, 257, 1023}, {3, 1, 1}, {1, 5, 1}};
        for (int[] s : plain) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            cs.add(new MatmulCase(String.format(Locale.ROOT, "matmul float32 %d x %d x %d", m, n, k), DType.FLOAT32,
                    new int[] {m, k}, new int[] {k, n}, mm, true));
        }
        for (int[] s : new int[][] {{33, 17, 129}, {511, 257, 1023}, {1, 9, 4}, {9, 1, 4}}) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            cs.add(new MatmulCase("matmul float32 A^T B " + m + " x " + n + " x " + k, DType.FLOAT32, new int[] {k, m}, new int[] {k, n},
                    (x, y) -> x.transpose(0, 1).matmul(y), true));
            cs.add(new MatmulCase("matmul float32 A B^T " + m + " x " + n + " x " + k, DType.FLOAT32, new int[] {m, k}, new int[] {n, k},
                    (x, y) -> x.matmul(y.transpose(0, 1)), true));
            cs.add(new MatmulCase("matmul float32 A^T B^T " + m + " x " + n + " x " + k, DType.FLOAT32, new int[] {k, m},
                    new int[] {n, k}, (x, y) -> x.transpose(0, 1).matmul(y.transpose(0, 1)), true));
        }
        cs.add(new MatmulCase("matmul float32 padded views (narrow) 37 x 29 x 41", DType.FLOAT32, new int[] {37, 50},
                new int[] {41, 33}, (x, y) -> x.narrow(1, 3, 41).matmul(y.narrow(1, 2, 29)), true));
        cs.add(new MatmulCase("matmul float32 matrix @ vector", DType.FLOAT32, new int[] {65, 33}, new int[] {33}, mm, true));
        cs.add(new MatmulCase("matmul float32 vector @ matrix", DType.FLOAT32, new int[] {33}, new int[] {33, 65}, mm, true));
        cs.add(new MatmulCase("matmul float32 batched [6,64,32] @ [6,32,48]", DType.FLOAT32, new int[] {6, 64, 32},
                new int[] {6, 32, 48}, mm, true));
        cs.add(new MatmulCase("matmul float32 broadcast A [64,32] @ [6,32,48] (stride 0)", DType.FLOAT32, new int[] {64, 32},
                new int[] {6, 32, 48}, mm, true));
        cs.add(new MatmulCase("matmul float32 broadcast B [6,64,32] @ [32,48]", DType.FLOAT32, new int[] {6, 64, 32},
                new int[] {32, 48}, mm, true));
        cs.add(new MatmulCase("matmul float32 broadcast B (stride 0) [6,32,64]^T @ [32,48]", DType.FLOAT32, new int[] {6, 32, 64},
                new int[] {32, 48}, (x, y) -> x.transpose(1, 2).matmul(y), true));
        cs.add(new MatmulCase("matmul float32 batched transposed [5,31,17]^T @ [5,31,9]", DType.FLOAT32, new int[] {5, 31, 17},
                new int[] {5, 31, 9}, (x, y) -> x.transpose(1, 2).matmul(y), true));
        cs.add(new MatmulCase("matmul float32 4-D broadcast [2,1,7,5] @ [1,3,5,6]", DType.FLOAT32, new int[] {2, 1, 7, 5},
                new int[] {1, 3, 5, 6}, mm, true));
        cs.add(new MatmulCase("matmul float32 odd batch [3,4,13,11] @ [3,4,11,7]", DType.FLOAT32, new int[] {3, 4, 13, 11},
                new int[] {3, 4, 11, 7}, mm, true));
        cs.add(new MatmulCase("matmul float64 65 x 33 x 17", DType.FLOAT64, new int[] {65, 17}, new int[] {17, 33}, mm, true));
        cs.add(new MatmulCase("matmul float64 A^T B^T 300 x 200 x 100", DType.FLOAT64, new int[] {100, 300}, new int[] {200, 100},
                (x, y) -> x.transpose(0, 1).matmul(y.transpose(0, 1)), true));
        cs.add(new MatmulCase("matmul float64 batched broadcast [4,2,9,8] @ [8,3]", DType.FLOAT64, new int[] {4, 2, 9, 8},
                new int[] {8, 3}, mm, true));
        cs.add(new MatmulCase("matmul float32 zero size M = 0", DType.FLOAT32, new int[] {0, 3}, new int[] {3, 5}, mm, true));
        cs.add(new MatmulCase("matmul float32 zero size N = 0", DType.FLOAT32, new int[] {4, 3}, new int[] {3, 0}, mm, true));
        cs.add(new MatmulCase("matmul float32 zero size K = 0 (zeros)", DType.FLOAT32, new int[] {4, 0}, new int[] {0, 5}, mm, true));
        cs.add(new MatmulCase("matmul float64 batched K = 0 (zeros)", DType.FLOAT64, new int[] {3, 4, 0}, new int[] {3, 0, 5}, mm, true));
        cs.add(new MatmulCase("matmul float32 zero batches [0,4,3] @ [0,3,5]", DType.FLOAT32, new int[] {0, 4, 3},
                new int[] {0, 3, 5}, mm, true));
        cs.add(new MatmulCase("matmul float32 column step 2 (host fallback)", DType.FLOAT32, new int[] {20, 30}, new int[] {15, 7},
                (x, y) -> x.slice(1, 0, 30, 2).matmul(y), false));
        cs.add(new MatmulCase("matmul float32 rows broadcast by expand (host fallback)", DType.FLOAT32, new int[] {1, 12},
                new int[] {12, 5}, (x, y) -> x.expand(9, 12).matmul(y), false));
        return cs;
    }

    private Result matmul(MatmulCase c) {
        Generator g = new Generator(c.name().hashCode());
        Tensor x = random(g, c.dtype(), c.xs());
        Tensor y = random(g, c.dtype(), c.ys());
        Tensor ref = Backends.with(GpuCheck.javaBackend(), () -> c.op().apply(x, y));
        Tensor xd = x.to(dev);
        Tensor yd = y.to(dev);
        long before = deviceMatmuls();
        Tensor got = c.op().apply(xd, yd);
        long ran = deviceMatmuls() - before;
        double err = relativeError(values(got), values(ref));
        double bound = c.dtype() == DType.FLOAT64 ? FP64_BOUND : GpuCheck.FP32_BOUND;
        boolean shapeOk = Arrays.equals(got.shape(), ref.shape()) && got.device().equals(dev);
        // which products run in cuBLAS is CUDA's business: another device's runtime has its own kernels
        boolean placeOk = !cuda || (c.onDevice() ? ran >= 1 || got.numel() == 0 : ran == 0);
        boolean pass = err < bound && shapeOk && placeOk;
        String detail = (!cuda ? (ran > 0 ? "device kernel" : "host") : c.onDevice() ? (ran > 0 ? "cuBLAS" : got.numel() == 0 ? "empty"
                : "NOT ON THE DEVICE") : (ran == 0 ? "host fallback as expected" : "ran on the device unexpectedly"))
                + (shapeOk ? "" : ", shape " + Arrays.toString(got.shape()) + " on " + got.device() + " vs " + Arrays.toString(ref.shape()));
        return result(c.name(), pass, err, detail);
    }

    private Result tf32() {
        String name = "matmul float32 TF32 (-Dgraft.cuda.tf32=true) 1024^3";
        Generator g = new Generator(77);
        Tensor x = random(g, DType.FLOAT32, 1024, 1024);
        Tensor y = random(g, DType.FLOAT32, 1024, 1024);
        Tensor ref = Backends.with(GpuCheck.javaBackend(), () -> x.matmul(y));
        Tensor xd = x.to(dev);
        Tensor yd = y.to(dev);
        String prev = System.getProperty(CudaDeviceRuntime.TF32_PROPERTY);
        Tensor got;
        try {
            System.setProperty(CudaDeviceRuntime.TF32_PROPERTY, "true");
            got = xd.matmul(yd);
            Devices.runtime(dev).synchronize(dev);
        } finally {
            if (prev == null) {
                System.clearProperty(CudaDeviceRuntime.TF32_PROPERTY);
            } else {
                System.setProperty(CudaDeviceRuntime.TF32_PROPERTY, prev);
            }
        }
        double err = relativeError(values(got), values(ref));
        Tensor fp32 = xd.matmul(yd);
        double errFp32 = relativeError(values(fp32), values(ref));
        // TF32 must be within its bound, and (for random data of this size) visibly less exact than FP32
        boolean pass = err < GpuCheck.TF32_BOUND && errFp32 < GpuCheck.FP32_BOUND && err > errFp32;
        return result(name, pass, err, String.format(Locale.ROOT, "bound %.0e; the same product in FP32: %.2e", GpuCheck.TF32_BOUND,
                errFp32));
    }

    private Result chain() {
        String name = "chain matmul -> add -> relu -> matmul";
        Generator g = new Generator(5);
        Tensor x = Tensor.randn(g, 64, 128);
        Tensor w1 = Tensor.randn(g, 128, 256);
        Tensor bias = Tensor.randn(g, 256);
        Tensor w2 = Tensor.randn(g, 256, 32);
        Tensor ref = Backends.with(GpuCheck.javaBackend(), () -> x.matmul(w1).add(bias).relu().matmul(w2));
        long before = deviceMatmuls();
        Tensor got = x.to(dev).matmul(w1.to(dev)).add(bias.to(dev)).relu().matmul(w2.to(dev));
        long ran = deviceMatmuls() - before;
        double err = relativeError(values(got), values(ref));
        boolean pass = err < GpuCheck.FP32_BOUND && (ran == 2 || !cuda) && got.device().equals(dev);
        return result(name, pass, err, ran + " products in a device kernel (2 expected with CUDA), result on " + got.device());
    }

    private Result scopeFrees() {
        String name = "DeviceScope frees device memory";
        long bytes = 64L << 20;
        long tolerance = 8L << 20;
        Tensor inside;
        Tensor kept;
        long live1 = 0;
        long free1 = 0;
        try (DeviceScope scope = DeviceScope.open()) {
            inside = Tensor.zeros(16, 1024, 1024).to(dev); // 64 MiB
            kept = scope.keep(Tensor.ones(3).to(dev));
            if (cuda) {
                live1 = CudaDeviceRuntime.liveBytes(dev);
                free1 = CudaDeviceRuntime.memInfo(dev).free();
            }
        }
        // read before anything else runs on the device: reading `kept` back copies it on the device first (a new allocation)
        long live2 = cuda ? CudaDeviceRuntime.liveBytes(dev) : 0;
        boolean states = inside.storage().isReleased() && !kept.storage().isReleased()
                && Arrays.equals(kept.toFloatArray(), new float[] {1, 1, 1});
        String detail = "released inside: " + inside.storage().isReleased() + ", kept usable: " + !kept.storage().isReleased();
        if (!cuda) {
            return result(name, states, Double.NaN, detail);
        }
        // closed blocks are kept for reuse; emptying the cache hands them back to CUDA
        CudaDeviceRuntime.emptyCache(dev);
        long free2 = CudaDeviceRuntime.memInfo(dev).free();
        // across the close only (the Cleaner may free unreachable tensors of earlier checks at any time, which only adds)
        boolean counted = live1 - live2 >= bytes;
        boolean seen = free2 - free1 >= bytes - tolerance;
        return result(name, counted && seen && states, Double.NaN, String.format(Locale.ROOT,
                "at close: Graft's live bytes %d -> %d; after emptyCache, cudaMemGetInfo free %s -> %s; %s", live1, live2,
                CudaDeviceContext.mib(free1), CudaDeviceContext.mib(free2), detail));
    }

    private Result reuse() {
        String name = "released blocks are reused by the next allocation";
        CudaDeviceRuntime.emptyCache(dev);
        Tensor src = Tensor.ones(3, 1000, 1000); // 12 MB
        try (DeviceScope scope = DeviceScope.open()) {
            src.to(dev);
        }
        long cached1 = CudaDeviceRuntime.cachedBytes(dev);
        Tensor again;
        try (DeviceScope scope = DeviceScope.open()) {
            again = src.to(dev);
            long cached2 = CudaDeviceRuntime.cachedBytes(dev);
            boolean ok = cached1 >= 12_000_000 && cached1 - cached2 >= 12_000_000
                    && Arrays.equals(again.cpu().toFloatArray(), src.toFloatArray());
            return result(name, ok, Double.NaN, "kept for reuse after the first scope: " + CudaDeviceContext.mib(cached1)
                    + ", after the second allocation: " + CudaDeviceContext.mib(cached2));
        }
    }

    private Result useAfterRelease() {
        String name = "use after release throws IllegalStateException";
        List<String> missed = new ArrayList<>();
        Tensor x;
        try (DeviceScope scope = DeviceScope.open()) {
            x = Tensor.ones(4, 4).to(dev);
        }
        Tensor released = x;
        Runnable[] uses = {released::toFloatArray, () -> released.matmul(released), () -> released.to(Device.cpu()),
            () -> released.add(1.0)};
        for (int i = 0; i < uses.length; i++) {
            try {
                uses[i].run();
                missed.add("use " + i + " did not throw");
            } catch (IllegalStateException expected) {
                // right
            }
        }
        DeviceMemory m = Devices.runtime(dev).allocate(dev, DType.INT32, 8);
        m.release();
        m.release(); // a second release does nothing
        if (!m.isReleased()) {
            missed.add("isReleased() is false after release()");
        }
        try {
            m.upload(new int[8], 0, 0, 8);
            missed.add("upload after release did not throw");
        } catch (IllegalStateException expected) {
            // right
        }
        try {
            m.download(0, new int[8], 0, 0);
            missed.add("an empty download after release did not throw");
        } catch (IllegalStateException expected) {
            // right
        }
        return result(name, missed.isEmpty(), Double.NaN, missed.isEmpty() ? "tensor ops and raw copies refused" : String.join("; ", missed));
    }

    private Result outOfMemory() {
        String name = "out of memory names the size and DeviceScope";
        try {
            DeviceMemory m = Devices.runtime(dev).allocate(dev, DType.FLOAT32, Long.MAX_VALUE / 16);
            m.release();
            return result(name, false, Double.NaN, "an allocation of " + (Long.MAX_VALUE / 16 * 4) + " bytes succeeded");
        } catch (CudaException e) {
            boolean pass = e.getMessage().startsWith("cudaMalloc(") && (e.status() != CudaRuntime.ERROR_MEMORY_ALLOCATION
                    || e.getMessage().contains("asked for") && e.getMessage().contains("DeviceScope"));
            return result(name, pass, Double.NaN, e.getMessage());
        }
    }

    private Result threads() {
        String name = "4 threads multiply on one device";
        Generator g = new Generator(11);
        Tensor w = Tensor.randn(g, 96, 80);
        Tensor wd = w.to(dev);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Double>> fs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = t;
                fs.add(pool.submit(() -> {
                    double worst = 0;
                    Generator gt = new Generator(100 + seed);
                    for (int i = 0; i < 25; i++) {
                        Tensor x = Tensor.randn(gt, 50 + seed, 96);
                        Tensor ref = Backends.with(GpuCheck.javaBackend(), () -> x.matmul(w));
                        worst = Math.max(worst, relativeError(values(x.to(dev).matmul(wd)), values(ref)));
                    }
                    return worst;
                }));
            }
            double worst = 0;
            for (Future<Double> f : fs) {
                worst = Math.max(worst, f.get());
            }
            return result(name, worst < GpuCheck.FP32_BOUND, worst, "100 products");
        } catch (Exception e) {
            return result(name, false, Double.NaN, "threw " + e);
        } finally {
            pool.shutdownNow();
        }
    }
}
