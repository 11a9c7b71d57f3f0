package dev.graft.nativeblas.cuda;

import dev.graft.nativeblas.NativeLibraries;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Graft's own CUDA kernels on one device: {@code elementwise.cu} (a resource next to this class)
 * compiled by NVRTC for the device's architecture on first use, loaded with the driver API into
 * the device's primary context (the runtime's), and launched on the device's stream under its lock.
 *
 * <p>When NVRTC or the driver library is missing, the compilation fails, or the device's view of
 * the argument layout differs from {@link KernelArgs}'s, one line is logged and {@link #of}
 * returns null for that device from then on: the elementwise primitives run on the host and
 * cuBLAS matmul is unaffected.
 */
final class CudaKernels {
    private static final Logger LOG = Logger.getLogger(CudaKernels.class.getName());
    static final String SOURCE = "elementwise.cu";
    private static final Map<Integer, Optional<CudaKernels>> BY_DEVICE = new ConcurrentHashMap<>();

    /** The kernel entry points of {@link #SOURCE}. */
    static final List<String> KERNELS = kernelNames();

    /** The driver and NVRTC, found once, or why not. */
    record Toolchain(CudaDriver driver, Nvrtc nvrtc, String reason) {
    }

    private static final class ToolchainHolder {
        static final Toolchain TOOLCHAIN = findToolchain(CudaLibraries.Settings.fromSystem());
    }

    private final CudaDeviceContext ctx;
    private final CudaDriver driver;
    private final MemorySegment context;
    private final Map<String, MemorySegment> functions;
    final String description;

    private CudaKernels(CudaDeviceContext ctx, CudaDriver driver, MemorySegment context, Map<String, MemorySegment> functions,
            String description) {
        this.ctx = ctx;
        this.driver = driver;
        this.context = context;
        this.functions = functions;
        this.description = description;
    }

    private static List<String> kernelNames() {
        List<String> names = new ArrayList<>();
        for (String kind : new String[] {"unary_", "binary_", "reduce_"}) {
            for (String dt : new String[] {"f32", "f64", "i64", "i32", "u8", "b8"}) {
                names.add(kind + dt);
            }
        }
        for (int size : new int[] {1, 2, 4, 8}) {
            names.add("where_" + size);
            names.add("move_" + size);
        }
        names.add("convert");
        for (int size : new int[] {1, 2, 4, 8}) {
            names.add("unfold_" + size);
            names.add("take_" + size);
        }
        names.add("fold_f32");
        names.add("fold_f64");
        for (String dt : new String[] {"f32", "f64", "i64", "i32"}) {
            names.add("scatter_add_" + dt);
        }
        return List.copyOf(names);
    }

    /**
     * NVRTC (the major version of the runtime first, then the others) and {@code libcuda.so.1};
     * the reason names what is missing. Never throws.
     */
    static Toolchain findToolchain(CudaLibraries.Settings s) {
        try {
            Nvrtc nvrtc = null;
            for (int major : CudaLibraries.MAJORS) {
                Optional<CudaLibraries.Lib> lib = CudaLibraries.nvrtc(s, major);
                if (lib.isPresent()) {
                    nvrtc = new Nvrtc(lib.get().location(), lib.get().lookup());
                    break;
                }
            }
            if (nvrtc == null) {
                return new Toolchain(null, null, "library missing: no libnvrtc.so.13 or libnvrtc.so.12 in "
                        + CudaLibraries.locate(s, 0).searched());
            }
            Optional<java.lang.foreign.SymbolLookup> cuda = NativeLibraries.openByName("libcuda.so.1");
            if (cuda.isEmpty()) {
                return new Toolchain(null, nvrtc, "library missing: libcuda.so.1 (the NVIDIA driver's): " + NativeLibraries.why("libcuda.so.1"));
            }
            return new Toolchain(new CudaDriver("libcuda.so.1", cuda.get()), nvrtc, null);
        } catch (RuntimeException | LinkageError e) {
            return new Toolchain(null, null, "binding NVRTC or libcuda failed: " + e);
        }
    }

    /** The toolchain of this JVM (found on first use). */
    static Toolchain toolchain() {
        return ToolchainHolder.TOOLCHAIN;
    }

    /** The kernels of {@code ctx}'s device, compiled and loaded on first use; null when they cannot be used there. */
    static CudaKernels of(CudaDeviceContext ctx) {
        return BY_DEVICE.computeIfAbsent(ctx.index, i -> {
            try {
                CudaKernels k = load(ctx, toolchain());
                LOG.info("graft: CUDA kernels ready on " + ctx.device + ": " + k.description);
                return Optional.of(k);
            } catch (RuntimeException | LinkageError e) {
                LOG.info("graft: no CUDA kernels on " + ctx.device + ", elementwise ops run on the host: " + e.getMessage());
                return Optional.empty();
            }
        }).orElse(null);
    }

    /** What was built so far, per device ("cuda:0: NVRTC … / unavailable"), or null when no device has tried. */
    static String describeBuilt() {
        if (BY_DEVICE.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        new java.util.TreeMap<>(BY_DEVICE).forEach((i, k) -> sb.append(sb.isEmpty() ? "" : "; ").append("cuda:").append(i).append(' ')
                .append(k.map(x -> x.description).orElse("unavailable, on the host copy (see the log)")));
        return sb.toString();
    }

    /** The kernel source, from the class path. */
    static String source() {
        try (InputStream in = CudaKernels.class.getResourceAsStream(SOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + SOURCE + " is missing from the kernels-native jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** NVRTC options for compute capability major.minor. */
    static List<String> options(int major, int minor) {
        return List.of("--gpu-architecture=sm_" + major + minor, "--std=c++17", "-default-device", "--fmad=false");
    }

    private static CudaKernels load(CudaDeviceContext ctx, Toolchain tc) {
        if (tc.reason() != null) {
            throw new IllegalStateException(tc.reason());
        }
        CudaDriver driver = tc.driver();
        driver.init();
        int dev = driver.device(ctx.index);
        int major = driver.attribute(CudaDriver.ATTRIBUTE_CC_MAJOR, dev);
        int minor = driver.attribute(CudaDriver.ATTRIBUTE_CC_MINOR, dev);
        List<String> options = options(major, minor);
        long t0 = System.nanoTime();
        byte[] cubin = tc.nvrtc().compile(source(), SOURCE, options);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        int previous = ctx.enter();
        try {
            MemorySegment context = driver.primaryContext(dev);
            driver.setCurrent(context);
            MemorySegment module = driver.loadModule(cubin);
            Map<String, MemorySegment> fns = new HashMap<>();
            for (String name : KERNELS) {
                fns.put(name, driver.function(module, name));
            }
            checkLayout(ctx, driver, driver.function(module, "graft_layout"));
            return new CudaKernels(ctx, driver, context, Map.copyOf(fns), "NVRTC " + tc.nvrtc().version() + " (" + tc.nvrtc().location
                    + "), sm_" + major + minor + ", " + cubin.length + " bytes of CUBIN compiled in " + ms + " ms");
        } finally {
            ctx.exit(previous);
        }
    }

    /** Runs graft_layout and compares struct Args as the device compiler laid it out with {@link KernelArgs}. */
    private static void checkLayout(CudaDeviceContext ctx, CudaDriver driver, MemorySegment fn) {
        int[] expected = {KernelArgs.SIZE, KernelArgs.P0_AT, KernelArgs.T0_AT, KernelArgs.OPERANDS_AT, KernelArgs.OPERAND_SIZE,
            KernelArgs.OPERAND_STRIDE_AT};
        int[] got = new int[expected.length];
        long p = ctx.rt.malloc(64);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment param = a.allocate(ValueLayout.JAVA_LONG);
            param.set(ValueLayout.JAVA_LONG, 0, p);
            driver.launch("graft_layout", fn, 1, 1, ctx.streamLocked(), param);
            ctx.copyToHostLocked(MemorySegment.ofArray(got), p, 4L * got.length);
        } finally {
            ctx.rt.synchronize(ctx.streamLocked(), ctx.device + " after graft_layout");
            ctx.rt.free(p);
        }
        if (!java.util.Arrays.equals(expected, got)) {
            throw new IllegalStateException("the kernels' argument layout on the device " + java.util.Arrays.toString(got)
                    + " differs from KernelArgs " + java.util.Arrays.toString(expected));
        }
    }

    /** Launches {@code kernel} with {@code args} (device addresses in {@code base}); the caller holds the context's lock. */
    void launchLocked(String kernel, KernelArgs args, long[] base) {
        MemorySegment fn = functions.get(kernel);
        if (fn == null) {
            throw new IllegalArgumentException("no CUDA kernel " + kernel);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocate(KernelArgs.SIZE, 16);
            args.pack(seg, base);
            driver.setCurrent(context);
            driver.launch(kernel, fn, args.grid(), KernelArgs.BLOCK, ctx.streamLocked(), seg);
        }
    }
}
