package dev.graft.tensor;

import dev.graft.tensor.spi.DeviceMemory;
import dev.graft.tensor.spi.DeviceRuntime;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The accelerator runtimes on the classpath ({@link ServiceLoader} over {@link DeviceRuntime}):
 * {@code kernels-native} adds CUDA. Without one, every tensor lives on the CPU and asking for
 * another device names what is missing.
 */
public final class Devices {
    private static final List<DeviceRuntime> RUNTIMES = load();

    private Devices() {
    }

    private static List<DeviceRuntime> load() {
        List<DeviceRuntime> list = new ArrayList<>();
        try {
            ServiceLoader.load(DeviceRuntime.class).forEach(list::add);
        } catch (java.util.ServiceConfigurationError e) {
            java.util.logging.Logger.getLogger(Devices.class.getName()).warning("graft: a device runtime failed to load: " + e);
        }
        return List.copyOf(list);
    }

    /** Every runtime found, available or not. */
    public static List<DeviceRuntime> runtimes() {
        return RUNTIMES;
    }

    /**
     * The runtime serving {@code device}, checked to be available and to have that device index;
     * throws {@link IllegalStateException} saying why not otherwise.
     */
    public static DeviceRuntime runtime(Device device) {
        if (device.isCpu()) {
            throw new IllegalArgumentException("the CPU has no device runtime");
        }
        for (DeviceRuntime rt : RUNTIMES) {
            if (rt.type().equals(device.type())) {
                if (!rt.available()) {
                    throw new IllegalStateException(device + " is not available: " + rt.unavailableReason());
                }
                int n = rt.deviceCount();
                if (device.index() < 0 || device.index() >= n) {
                    throw new IllegalStateException(device + " does not exist: " + n + " " + device.type()
                            + " device" + (n == 1 ? "" : "s") + " here (indices 0.." + (n - 1) + ")");
                }
                return rt;
            }
        }
        throw new IllegalStateException(device + " is not available: no runtime for device type '" + device.type()
                + "' on the classpath (found: " + RUNTIMES.stream().map(DeviceRuntime::type).toList()
                + "); CUDA comes with the graft-kernels-native jar");
    }

    /** Whether {@code device} can be used (the CPU always can). */
    public static boolean isAvailable(Device device) {
        if (device.isCpu()) {
            return true;
        }
        try {
            runtime(device);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    /** Registers new device memory with this thread's innermost open {@link DeviceScope}, if any. */
    static DeviceMemory track(DeviceMemory memory) {
        DeviceScope.trackInCurrent(memory);
        return memory;
    }

    /** What {@code graft doctor} prints about devices. */
    public static String report() {
        StringBuilder sb = new StringBuilder();
        if (RUNTIMES.isEmpty()) {
            sb.append("devices:         cpu only (no device runtime on the classpath; CUDA comes with graft-kernels-native)\n");
            return sb.toString();
        }
        sb.append("devices:\n");
        for (DeviceRuntime rt : RUNTIMES) {
            String r;
            try {
                r = rt.report();
            } catch (RuntimeException | LinkageError e) {
                r = "report failed: " + e;
            }
            sb.append("  ").append(rt.type()).append(": ")
                    .append(rt.available() ? rt.deviceCount() + " device(s)" : "unavailable: " + rt.unavailableReason()).append('\n');
            r.lines().filter(l -> !l.isBlank()).forEach(l -> sb.append("      ").append(l).append('\n'));
        }
        return sb.toString();
    }
}
