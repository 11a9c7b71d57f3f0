package dev.graft.autograd;

/**
 * Whether ops record a graph on the current thread. On by default; {@link NoGrad#enter()} turns it
 * off for a scope (inference, optimizer steps, and the backward pass itself).
 */
public final class GradMode {
    private static final ThreadLocal<int[]> DISABLED_DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    private GradMode() {
    }

    public static boolean isEnabled() {
        return DISABLED_DEPTH.get()[0] == 0;
    }

    static void disable() {
        DISABLED_DEPTH.get()[0]++;
    }

    static void restore() {
        DISABLED_DEPTH.get()[0]--;
    }
}
