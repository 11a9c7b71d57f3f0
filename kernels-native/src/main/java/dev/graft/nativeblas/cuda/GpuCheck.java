package dev.graft.nativeblas.cuda;

import dev.graft.nativeblas.Cblas;
import dev.graft.tensor.DType;
import dev.graft.tensor.Device;
import dev.graft.tensor.DeviceScope;
import dev.graft.tensor.Devices;
import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.backend.Parallel;
import dev.graft.tensor.backend.scalar.ScalarBackendProvider;
import dev.graft.tensor.backend.simd.VectorBackendProvider;
import dev.graft.tensor.spi.Backend;
import dev.graft.tensor.spi.DeviceRuntime;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The GPU check {@code kernels-native/gpu-check.sh} runs on a machine with an NVIDIA GPU: cuBLAS
 * SGEMM (through {@link CudaBlas} and {@link CublasHandle}) against Graft's Java backend on many
 * shapes, transposes and a strided batch; then device tensors ({@link DeviceChecks}: round trips of
 * every dtype, matmul of views on cuda:0, DeviceScope, use after release …); then GFLOP/s of a
 * 4096^3 SGEMM (device-resident FP32 and TF32 on raw buffers and on device tensors, and on host
 * arrays with the copies) next to the Java backend and the BLAS on this machine.
 *
 * <p>Error measure: normwise relative error {@code ||C_gpu - C_java||_F / ||C_java||_F}. Bounds:
 * 1e-5 for FP32 (both sides round each of K products once; for K = 4096 the expected error is
 * about sqrt(K) * 2^-24 = 4e-6 relative to single terms, far less normwise), 5e-3 for TF32 (inputs
 * rounded to 10 mantissa bits, unit roundoff 2^-11 = 4.9e-4, so about 10 units).
 *
 * <p>Exit status: 0 all checks passed, 1 a check failed, 2 CUDA is not available here (the reason
 * is printed; nothing else runs).
 */
public final class GpuCheck {
    public static final double FP32_BOUND = 1e-5;
    public static final double TF32_BOUND = 5e-3;

    private GpuCheck() {
    }

    public static void main(String[] args) {
        int size = 4096;
        boolean perf = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--size" -> size = Integer.parseInt(args[++i]);
                case "--no-perf" -> perf = false;
                default -> {
                    System.err.println("usage: GpuCheck [--size N] [--no-perf]");
                    System.exit(64);
                }
            }
        }
        PrintStream out = System.out;
        out.println("gpu-check: Java " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, Graft threads "
                + Parallel.threads());
        if (!CudaBlas.available()) {
            out.println("gpu-check: no CUDA: " + CudaBlas.unavailableReason());
            System.exit(2);
        }
        out.println("gpu-check: CUDA " + CudaBlas.status());
        boolean ok = correctness(out);
        ok &= DeviceChecks.run(out);
        if (perf) {
            performance(out, size);
        }
        out.println("gpu-check: " + (ok ? "PASS" : "FAIL"));
        System.exit(ok ? 0 : 1);
    }

    /** The Java backend the GPU is compared with: java-simd, or scalar without the Vector API. */
    static Backend javaBackend() {
        return new VectorBackendProvider().create().or(() -> new ScalarBackendProvider().create()).orElseThrow();
    }

    /** Java's product of the stored operands (transposed as asked), as a contiguous row-major array. */
    static float[] reference(boolean ta, boolean tb, int m, int n, int k, float[] a, int lda, float[] b, int ldb) {
        Tensor at = Tensor.fromArray(a, ta ? k : m, lda).narrow(1, 0, ta ? m : k);
        Tensor bt = Tensor.fromArray(b, tb ? n : k, ldb).narrow(1, 0, tb ? k : n);
        Tensor aa = ta ? at.transpose(0, 1) : at;
        Tensor bb = tb ? bt.transpose(0, 1) : bt;
        return Backends.with(javaBackend(), () -> aa.matmul(bb).contiguous().toFloatArray());
    }

    /** {@code ||x - ref||_F / ||ref||_F} (0 when both are zero). */
    public static double relativeError(float[] x, int xOff, int ldx, float[] ref, int m, int n) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double r = ref[i * n + j];
                double d = x[xOff + i * ldx + j] - r;
                num += d * d;
                den += r * r;
            }
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    private static float[] random(Generator g, int len) {
        return Tensor.randn(g, Math.max(len, 1)).toFloatArray();
    }

    /** Every correctness comparison; prints one line per case; true when all are within their bounds. */
    public static boolean correctness(PrintStream out) {
        int[][] shapes = {{1, 1, 1}, {7, 13, 5}, {64, 64, 64}, {33, 17, 129}, {128, 384, 1536}, {1000, 1, 300}, {1, 1024, 1024},
            {511, 257, 1023}, {1024, 1024, 1024}};
        Generator g = new Generator(20_260_101L);
        boolean ok = true;
        out.printf(Locale.ROOT, "correctness: cuBLAS FP32 vs Graft %s, normwise relative error, bound %.0e%n", javaBackend().name(), FP32_BOUND);
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0;
                boolean tb = (t & 2) != 0;
                if (s[0] * s[1] * s[2] > 1 << 24 && t != 0 && t != 3) {
                    continue; // the large shape in NN and TT only
                }
                int m = s[0];
                int n = s[1];
                int k = s[2];
                int lda = (ta ? m : k) + 3; // padded rows, so leading dimensions are really used
                int ldb = (tb ? k : n) + 1;
                int ldc = n + 2;
                float[] a = random(g, (ta ? k : m) * lda);
                float[] b = random(g, (tb ? n : k) * ldb);
                float[] c = new float[5 + m * ldc];
                Arrays.fill(c, Float.NaN); // beta = 0 must overwrite whatever is there
                CudaBlas.sgemm(ta, tb, m, n, k, 1f, a, 0, lda, b, 0, ldb, 0f, c, 5, ldc);
                float[] ref = reference(ta, tb, m, n, k, a, lda, b, ldb);
                double err = relativeError(c, 5, ldc, ref, m, n);
                boolean pass = err < FP32_BOUND;
                ok &= pass;
                out.printf(Locale.ROOT, "  sgemm %4d x %4d x %4d %s%s  %.2e  %s%n", m, n, k, ta ? "T" : "N", tb ? "T" : "N", err,
                        pass ? "ok" : "FAIL");
            }
        }
        ok &= batched(out, g);
        ok &= alphaBeta(out, g);
        ok &= tf32(out, g);
        return ok;
    }

    private static boolean batched(PrintStream out, Generator g) {
        int batches = 6;
        int m = 64;
        int n = 48;
        int k = 32;
        float[] a = random(g, batches * m * k);
        float[] b = random(g, k * n); // stride 0: one B for every batch, as a broadcast weight
        float[] c = new float[batches * m * n];
        CudaBlas.sgemmStridedBatched(false, false, m, n, k, 1f, a, 0, k, (long) m * k, b, 0, n, 0, 0f, c, 0, n, (long) m * n, batches);
        Tensor ta = Tensor.fromArray(a, batches, m, k);
        Tensor tb = Tensor.fromArray(b, k, n);
        float[] ref = Backends.with(javaBackend(), () -> ta.matmul(tb).contiguous().toFloatArray());
        double err = relativeError(c, 0, n, ref, batches * m, n);
        boolean pass = err < FP32_BOUND;
        out.printf(Locale.ROOT, "  sgemmStridedBatched %d x (%d x %d x %d), shared B  %.2e  %s%n", batches, m, n, k, err, pass ? "ok" : "FAIL");
        return pass;
    }

    private static boolean alphaBeta(PrintStream out, Generator g) {
        int m = 37;
        int n = 29;
        int k = 41;
        float[] a = random(g, m * k);
        float[] b = random(g, k * n);
        float[] c = random(g, m * n);
        float[] ref = reference(false, false, m, n, k, a, k, b, n);
        for (int i = 0; i < ref.length; i++) {
            ref[i] = 0.5f * ref[i] - 2f * c[i];
        }
        CudaBlas.sgemm(false, false, m, n, k, 0.5f, a, 0, k, b, 0, n, -2f, c, 0, n);
        double err = relativeError(c, 0, n, ref, m, n);
        boolean pass = err < FP32_BOUND;
        out.printf(Locale.ROOT, "  sgemm alpha = 0.5, beta = -2  %.2e  %s%n", err, pass ? "ok" : "FAIL");
        return pass;
    }

    private static boolean tf32(PrintStream out, Generator g) {
        int n = 1024;
        float[] a = random(g, n * n);
        float[] b = random(g, n * n);
        float[] c = new float[n * n];
        CudaRuntime rt = CudaBlas.runtime();
        try (CublasHandle h = CudaBlas.newHandle();
             DeviceBuffer da = DeviceBuffer.of(rt, a);
             DeviceBuffer db = DeviceBuffer.of(rt, b);
             DeviceBuffer dc = DeviceBuffer.allocate(rt, (long) n * n)) {
            h.setTf32(true);
            h.sgemm(false, false, n, n, n, 1f, da, 0, n, db, 0, n, 0f, dc, 0, n);
            dc.copyTo(0, c, 0, n * n);
        }
        double err = relativeError(c, 0, n, reference(false, false, n, n, n, a, n, b, n), n, n);
        boolean pass = err < TF32_BOUND;
        out.printf(Locale.ROOT, "  sgemm TF32 %d^3 (bound %.0e)  %.2e  %s%n", n, TF32_BOUND, err, pass ? "ok" : "FAIL");
        return pass;
    }

    private static double gflops(int n, double seconds) {
        return 2.0 * n * n * n / seconds / 1e9;
    }

    private static double median(List<Double> xs) {
        double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s[s.length / 2];
    }

    /**
     * Rows for device tensors: {@code a.matmul(b)} with a and b already on cuda:0 (each product makes
     * its output: a host array and a cudaMalloc, freed by a DeviceScope outside the timed part), in
     * FP32 and in TF32 ({@code -Dgraft.cuda.tf32=true}), and {@link CudaDeviceRuntime#matmul} into one
     * preallocated device output (the GEMM alone). The clock stops after {@code synchronize}.
     */
    static void deviceTensors(PrintStream out, float[] a, float[] b, int n) {
        Device cuda = Device.cuda(0);
        DeviceRuntime rt = Devices.runtime(cuda);
        Tensor ad = Tensor.fromArray(a, n, n).to(cuda);
        Tensor bd = Tensor.fromArray(b, n, n).to(cuda);
        Tensor out3 = Tensor.empty(DType.FLOAT32, 1, n, n).to(cuda);
        Tensor a3 = ad.unsqueeze(0);
        Tensor b3 = bd.unsqueeze(0);
        String prev = System.getProperty(CudaDeviceRuntime.TF32_PROPERTY);
        try {
            for (boolean tf : new boolean[] {false, true}) {
                System.setProperty(CudaDeviceRuntime.TF32_PROPERTY, Boolean.toString(tf));
                List<Double> times = new ArrayList<>();
                for (int r = 0; r < 13; r++) {
                    try (DeviceScope scope = DeviceScope.open()) {
                        long t0 = System.nanoTime();
                        ad.matmul(bd);
                        rt.synchronize(cuda);
                        if (r >= 3) {
                            times.add((System.nanoTime() - t0) / 1e9);
                        }
                    }
                }
                double s = median(times);
                out.printf(Locale.ROOT, "| Graft device tensors %s, a.matmul(b) on cuda:0 (%s, new output each time) | %.5f | %.0f |%n",
                        tf ? "TF32" : "FP32", tf ? "cublasGemmEx" : "cublasSgemm_v2", s, gflops(n, s));
                times.clear();
                for (int r = 0; r < 13; r++) {
                    long t0 = System.nanoTime();
                    if (!rt.matmul(a3, b3, out3)) {
                        throw new IllegalStateException("CudaDeviceRuntime.matmul refused a contiguous product");
                    }
                    rt.synchronize(cuda);
                    if (r >= 3) {
                        times.add((System.nanoTime() - t0) / 1e9);
                    }
                }
                s = median(times);
                out.printf(Locale.ROOT, "| Graft device tensors %s, CudaDeviceRuntime.matmul into a preallocated output | %.5f | %.0f |%n",
                        tf ? "TF32" : "FP32", s, gflops(n, s));
            }
        } finally {
            if (prev == null) {
                System.clearProperty(CudaDeviceRuntime.TF32_PROPERTY);
            } else {
                System.setProperty(CudaDeviceRuntime.TF32_PROPERTY, prev);
            }
        }
    }

    /** GFLOP/s of one n^3 SGEMM on every path; printed as a Markdown table. */
    static void performance(PrintStream out, int n) {
        Generator g = new Generator(7L);
        float[] a = random(g, n * n);
        float[] b = random(g, n * n);
        float[] c = new float[n * n];
        out.printf(Locale.ROOT, "performance: %d x %d x %d SGEMM (median seconds; GFLOP/s = 2 n^3 / s)%n", n, n, n);
        out.println("| path | seconds | GFLOP/s |");
        out.println("|---|---:|---:|");
        CudaRuntime rt = CudaBlas.runtime();
        try (CublasHandle h = CudaBlas.newHandle();
             DeviceBuffer da = DeviceBuffer.of(rt, a);
             DeviceBuffer db = DeviceBuffer.of(rt, b);
             DeviceBuffer dc = DeviceBuffer.allocate(rt, (long) n * n)) {
            for (boolean tf : new boolean[] {false, true}) {
                h.setTf32(tf);
                for (int w = 0; w < 3; w++) {
                    h.sgemm(false, false, n, n, n, 1f, da, 0, n, db, 0, n, 0f, dc, 0, n);
                }
                rt.synchronize();
                List<Double> times = new ArrayList<>();
                for (int r = 0; r < 10; r++) {
                    long t0 = System.nanoTime();
                    h.sgemm(false, false, n, n, n, 1f, da, 0, n, db, 0, n, 0f, dc, 0, n);
                    rt.synchronize();
                    times.add((System.nanoTime() - t0) / 1e9);
                }
                double s = median(times);
                out.printf(Locale.ROOT, "| cuBLAS %s, device-resident (cublasSgemm_v2) | %.5f | %.0f |%n", tf ? "TF32" : "FP32", s, gflops(n, s));
            }
        }
        deviceTensors(out, a, b, n);
        List<Double> host = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            long t0 = System.nanoTime();
            CudaBlas.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
            if (r > 0) {
                host.add((System.nanoTime() - t0) / 1e9);
            }
        }
        double s = median(host);
        out.printf(Locale.ROOT, "| CudaBlas.sgemm on Java arrays (alloc + copies + FP32 GEMM) | %.4f | %.0f |%n", s, gflops(n, s));
        Tensor ta = Tensor.fromArray(a, n, n);
        Tensor tb = Tensor.fromArray(b, n, n);
        Backend jb = javaBackend();
        List<Double> jt = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            long t0 = System.nanoTime();
            Backends.with(jb, () -> ta.matmul(tb));
            if (r > 0) {
                jt.add((System.nanoTime() - t0) / 1e9);
            }
        }
        s = median(jt);
        out.printf(Locale.ROOT, "| Graft %s, %d threads | %.4f | %.0f |%n", jb.name(), Parallel.threads(), s, gflops(n, s));
        Cblas.find().ifPresent(blas -> {
            List<Double> bt = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                long t0 = System.nanoTime();
                blas.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
                if (r > 0) {
                    bt.add((System.nanoTime() - t0) / 1e9);
                }
            }
            double x = median(bt);
            out.printf(Locale.ROOT, "| BLAS %s (core %s), %d threads | %.4f | %.0f |%n", blas.config().isEmpty() ? blas.location()
                    : blas.config().split(" ")[0] + " " + blas.config().split(" ")[1], blas.corename(), blas.threads(), x, gflops(n, x));
        });
    }
}
