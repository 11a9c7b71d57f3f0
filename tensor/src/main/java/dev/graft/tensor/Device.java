package dev.graft.tensor;

/**
 * Where a tensor's elements live. Today every tensor is on the CPU, in the Java heap (DESIGN.md
 * decision 2); {@code kernels-native} adds CUDA devices through the same type.
 */
public record Device(String type, int index) {
    private static final Device CPU = new Device("cpu", 0);

    public static Device cpu() {
        return CPU;
    }

    public static Device cuda(int index) {
        return new Device("cuda", index);
    }

    public boolean isCpu() {
        return type.equals("cpu");
    }

    @Override
    public String toString() {
        return isCpu() ? "cpu" : type + ":" + index;
    }
}
