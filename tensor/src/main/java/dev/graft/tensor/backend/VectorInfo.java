package dev.graft.tensor.backend;

/** What the Vector API offers on this machine, without failing when the incubator module is missing. */
public final class VectorInfo {
    private VectorInfo() {
    }

    /** True if {@code jdk.incubator.vector} was added to the boot layer (--add-modules jdk.incubator.vector). */
    public static boolean available() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    public static String describe() {
        if (!available()) {
            return "unavailable (start the JVM with --add-modules jdk.incubator.vector)";
        }
        return dev.graft.tensor.backend.simd.SimdShape.describe();
    }
}
