package dev.graft.tensor;

/**
 * Element types. {@link #FLOAT32} is the compute default, {@link #FLOAT64} the reference type for
 * gradient checks, the integer types hold indices, {@link #BOOL} and {@link #UINT8} hold masks.
 * {@link #FLOAT16} and {@link #BFLOAT16} are storage formats: they convert on load with
 * {@link Tensor#to(DType)} and every compute op refuses them with a message that says so.
 */
public enum DType {
    FLOAT32("float32", 4, true, true),
    FLOAT64("float64", 8, true, true),
    INT64("int64", 8, false, true),
    INT32("int32", 4, false, true),
    UINT8("uint8", 1, false, true),
    BOOL("bool", 1, false, true),
    FLOAT16("float16", 2, true, false),
    BFLOAT16("bfloat16", 2, true, false);

    private final String label;
    private final int byteSize;
    private final boolean floating;
    private final boolean computable;

    DType(String label, int byteSize, boolean floating, boolean computable) {
        this.label = label;
        this.byteSize = byteSize;
        this.floating = floating;
        this.computable = computable;
    }

    /** Bytes per element in storage (and in safetensors/ONNX files). */
    public int byteSize() {
        return byteSize;
    }

    public boolean isFloating() {
        return floating;
    }

    /** Integer or bool: the types whose arithmetic is exact in {@code long}. */
    public boolean isIntegral() {
        return !floating;
    }

    /** False for the storage-only half-precision types. */
    public boolean isComputable() {
        return computable;
    }

    /**
     * The type two operands are computed in, following PyTorch's promotion lattice for tensors:
     * bool &lt; uint8 &lt; int32 &lt; int64 &lt; float32 &lt; float64.
     */
    public static DType promote(DType a, DType b) {
        return a.rank() >= b.rank() ? a : b;
    }

    private int rank() {
        return switch (this) {
            case BOOL -> 0;
            case UINT8 -> 1;
            case INT32 -> 2;
            case INT64 -> 3;
            case FLOAT16, BFLOAT16 -> 4;
            case FLOAT32 -> 5;
            case FLOAT64 -> 6;
        };
    }

    @Override
    public String toString() {
        return label;
    }
}
