package dev.graft.tensor;

/**
 * The heap array behind one or more tensor views: {@code float[]} for float32, {@code double[]}
 * for float64, {@code long[]} for int64, {@code int[]} for int32, {@code byte[]} for uint8 and bool
 * (0 or 1), {@code short[]} holding the raw bits for float16 and bfloat16. The garbage collector
 * owns it: there is nothing to close.
 *
 * <p>The element accessors here are the slow, general path used by the reference backend and by
 * printing; kernels that care about speed take {@link #array()} and switch on the dtype once.
 */
public final class Storage {
    private final DType dtype;
    private final Object array;
    private final int length;
    private int version;

    private Storage(DType dtype, Object array, int length) {
        this.dtype = dtype;
        this.array = array;
        this.length = length;
    }

    /** A zero-filled storage of {@code length} elements. */
    public static Storage allocate(DType dtype, long length) {
        if (length < 0 || length > Integer.MAX_VALUE - 8) {
            throw new TensorShapeException("allocate: " + length + " elements of " + dtype
                    + " do not fit in one Java array (at most " + (Integer.MAX_VALUE - 8) + ")");
        }
        int n = (int) length;
        Object a = switch (dtype) {
            case FLOAT32 -> new float[n];
            case FLOAT64 -> new double[n];
            case INT64 -> new long[n];
            case INT32 -> new int[n];
            case UINT8, BOOL -> new byte[n];
            case FLOAT16, BFLOAT16 -> new short[n];
        };
        return new Storage(dtype, a, n);
    }

    /** Wraps an existing array without copying; the array's Java type must match the dtype. */
    public static Storage wrap(DType dtype, Object array) {
        int n = switch (array) {
            case float[] f when dtype == DType.FLOAT32 -> f.length;
            case double[] d when dtype == DType.FLOAT64 -> d.length;
            case long[] l when dtype == DType.INT64 -> l.length;
            case int[] i when dtype == DType.INT32 -> i.length;
            case byte[] b when dtype == DType.UINT8 || dtype == DType.BOOL -> b.length;
            case short[] s when dtype == DType.FLOAT16 || dtype == DType.BFLOAT16 -> s.length;
            default -> throw new TensorTypeException("Storage.wrap: a " + array.getClass().getSimpleName()
                    + " cannot hold " + dtype);
        };
        return new Storage(dtype, array, n);
    }

    /**
     * Incremented by every in-place write through the {@link Tensor} API, so that autograd can
     * tell when a tensor saved for backward was modified afterwards.
     */
    public int version() {
        return version;
    }

    void bumpVersion() {
        version++;
    }

    public DType dtype() {
        return dtype;
    }

    public Object array() {
        return array;
    }

    public int length() {
        return length;
    }

    public double getDouble(int i) {
        return switch (dtype) {
            case FLOAT32 -> ((float[]) array)[i];
            case FLOAT64 -> ((double[]) array)[i];
            case INT64 -> ((long[]) array)[i];
            case INT32 -> ((int[]) array)[i];
            case UINT8 -> ((byte[]) array)[i] & 0xFF;
            case BOOL -> ((byte[]) array)[i] != 0 ? 1 : 0;
            case FLOAT16 -> Float.float16ToFloat(((short[]) array)[i]);
            case BFLOAT16 -> Float.intBitsToFloat((((short[]) array)[i] & 0xFFFF) << 16);
        };
    }

    public long getLong(int i) {
        return switch (dtype) {
            case INT64 -> ((long[]) array)[i];
            case INT32 -> ((int[]) array)[i];
            case UINT8 -> ((byte[]) array)[i] & 0xFF;
            case BOOL -> ((byte[]) array)[i] != 0 ? 1 : 0;
            default -> (long) getDouble(i);
        };
    }

    /** Stores {@code v} with the conversion a cast to this dtype performs (truncation toward zero for integers). */
    public void setDouble(int i, double v) {
        switch (dtype) {
            case FLOAT32 -> ((float[]) array)[i] = (float) v;
            case FLOAT64 -> ((double[]) array)[i] = v;
            case INT64 -> ((long[]) array)[i] = (long) v;
            case INT32 -> ((int[]) array)[i] = (int) (long) v;
            case UINT8 -> ((byte[]) array)[i] = (byte) (long) v;
            case BOOL -> ((byte[]) array)[i] = (byte) (v != 0 ? 1 : 0);
            case FLOAT16 -> ((short[]) array)[i] = Float.floatToFloat16((float) v);
            case BFLOAT16 -> ((short[]) array)[i] = toBFloat16((float) v);
        }
    }

    public void setLong(int i, long v) {
        switch (dtype) {
            case INT64 -> ((long[]) array)[i] = v;
            case INT32 -> ((int[]) array)[i] = (int) v;
            case UINT8 -> ((byte[]) array)[i] = (byte) v;
            case BOOL -> ((byte[]) array)[i] = (byte) (v != 0 ? 1 : 0);
            default -> setDouble(i, v);
        }
    }

    /** Round-to-nearest-even float32 to bfloat16, keeping NaN a NaN. */
    static short toBFloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
