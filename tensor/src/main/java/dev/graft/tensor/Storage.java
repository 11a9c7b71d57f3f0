package dev.graft.tensor;

import dev.graft.tensor.spi.DeviceMemory;
import dev.graft.tensor.spi.DeviceRuntime;

/**
 * The elements behind one or more tensor views.
 *
 * <p>On the CPU (every storage unless a {@link DeviceRuntime} made it otherwise) this is a heap
 * array: {@code float[]} for float32, {@code double[]} for float64, {@code long[]} for int64,
 * {@code int[]} for int32, {@code byte[]} for uint8 and bool (0 or 1), {@code short[]} holding the
 * raw bits for float16 and bfloat16. The garbage collector owns it: there is nothing to close.
 *
 * <p>A storage whose {@link #device()} is an accelerator keeps its elements in {@link DeviceMemory}
 * and, when the host needs them, in a host mirror of the same array type. Two flags say which copy
 * is current; {@link #deviceForRead()}/{@link #deviceForWrite(boolean)} and
 * {@link #hostForRead()}/{@link #hostForWrite()} move data the way the caller needs it, so a
 * device tensor that only flows through device kernels is never copied to the host, and one that
 * only flows through host fallbacks is never copied back until a device kernel asks for it.
 * {@link #array()} on a device storage is the conservative host access (current on the host, and
 * the device copy marked stale, since the caller may write).
 *
 * <p>The element accessors here are the slow, general path used by the reference backend and by
 * printing; kernels that care about speed take {@link #array()} and switch on the dtype once.
 */
public final class Storage {
    private final DType dtype;
    private Object array; // the data (CPU) or the host mirror (device; null until first needed)
    private final int length;
    private int version;

    // Device residency; all null/false for a CPU storage. Guarded by this storage's monitor.
    private Device device;
    private DeviceMemory memory;
    private boolean hostCurrent;
    private boolean deviceCurrent;

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

    /**
     * The heap array. On a device storage this is the host mirror, brought up to date, and the
     * device copy is marked stale because the caller may write it; read-only callers that know the
     * storage may be on a device use {@link #hostForRead()}.
     */
    public Object array() {
        return device == null ? array : hostForWrite();
    }

    // ------------------------------------------------------------------ devices

    /** Where the elements live: {@link Device#cpu()} unless this storage was placed on a device. */
    public Device device() {
        Device d = device;
        return d == null ? Device.cpu() : d;
    }

    /**
     * A zero-filled storage on {@code device} that allocates nothing yet: the device memory is made
     * when a device kernel first needs it (a kernel that overwrites it all never uploads zeros),
     * the host array when the host first needs it. For outputs of device kernels.
     */
    static Storage lazyOn(Device device, DType dtype, long length) {
        if (length < 0 || length > Integer.MAX_VALUE - 8) {
            throw new TensorShapeException("allocate: " + length + " elements of " + dtype
                    + " do not fit in one Java array (at most " + (Integer.MAX_VALUE - 8) + ")");
        }
        Storage s = new Storage(dtype, null, (int) length);
        s.device = device;
        dev.graft.tensor.backend.Backends.enableDeviceDispatch();
        return s; // neither copy current: the contents are zeros
    }

    /** A storage on {@code device} holding {@code memory}, whose contents are current. */
    static Storage onDevice(DeviceMemory memory, int length) {
        Storage s = new Storage(memory.dtype(), null, length);
        s.device = memory.device();
        s.memory = memory;
        s.deviceCurrent = true;
        return s;
    }

    /**
     * Moves a freshly allocated CPU storage (an op's output) to {@code device}: its array becomes the
     * current host mirror; device memory is made when a device kernel first needs it.
     */
    synchronized void adopt(Device target) {
        if (device != null || target.isCpu()) {
            throw new IllegalStateException("adopt: storage is already on " + device());
        }
        device = target;
        hostCurrent = true;
        deviceCurrent = false;
        dev.graft.tensor.backend.Backends.enableDeviceDispatch();
    }

    /** The host array with current contents; the device copy stays current too. */
    public synchronized Object hostForRead() {
        if (device == null) {
            return array;
        }
        checkLive();
        if (!hostCurrent) {
            if (array == null || !deviceCurrent) { // !deviceCurrent too: a lazy storage, all zeros
                array = allocate(dtype, length).array;
            }
            if (deviceCurrent && length > 0) {
                memory.download(0, array, 0, length);
            }
            hostCurrent = true;
        }
        return array;
    }

    /** The host array with current contents, about to be written: the device copy becomes stale. */
    public synchronized Object hostForWrite() {
        Object a = hostForRead();
        if (device != null) {
            deviceCurrent = false;
        }
        return a;
    }

    /** The device memory with current contents (uploading the host mirror if it is newer); the host mirror stays current too. */
    public synchronized DeviceMemory deviceForRead() {
        requireDevice("deviceForRead");
        checkLive();
        ensureMemory();
        if (!deviceCurrent) {
            uploadHostOrZeros();
            deviceCurrent = true;
        }
        return memory;
    }

    /**
     * The device memory, about to be written by a device kernel: the host mirror becomes stale.
     * {@code overwriteAll} says the kernel writes every element, so a newer host mirror need not be
     * uploaded first.
     */
    public synchronized DeviceMemory deviceForWrite(boolean overwriteAll) {
        requireDevice("deviceForWrite");
        checkLive();
        ensureMemory();
        if (!deviceCurrent && !overwriteAll) {
            uploadHostOrZeros();
        }
        deviceCurrent = true;
        hostCurrent = false;
        return memory;
    }

    /** Whether this storage's device memory was released (by a closed {@link DeviceScope}); always false on the CPU. */
    public synchronized boolean isReleased() {
        return memory != null && memory.isReleased();
    }

    /** Makes the device copy equal the host mirror, or zeros when neither copy was ever written (a lazy storage, zeroed on the device). */
    private void uploadHostOrZeros() {
        if (!hostCurrent) {
            memory.zero();
        } else if (length > 0) {
            memory.upload(array, 0, 0, length);
        }
    }

    private void requireDevice(String what) {
        if (device == null) {
            throw new IllegalStateException(what + ": storage is on the CPU");
        }
    }

    private void checkLive() {
        if (memory != null && memory.isReleased()) {
            throw new IllegalStateException("a " + dtype + " tensor storage on " + device + " (" + length
                    + " elements) was used after its device memory was released (its DeviceScope closed); "
                    + "keep results with DeviceScope.keep(...) or copy them with to(Device.cpu()) inside the scope");
        }
    }

    private void ensureMemory() {
        if (memory == null) {
            DeviceRuntime rt = Devices.runtime(device);
            memory = Devices.track(rt.allocate(device, dtype, length));
        }
    }

    /**
     * Moves these elements to {@code target} in place, for every view of this storage: to a device
     * they are uploaded now (device memory allocated, the host copy dropped); to the CPU they are
     * downloaded and the device memory released. Checks that the target can be used before
     * changing anything.
     */
    synchronized void moveTo(Device target) {
        if (target.equals(device())) {
            return;
        }
        DeviceRuntime rt = target.isCpu() ? null : Devices.runtime(target);
        if (device != null) { // to the CPU first
            checkLive();
            Object host = hostForRead();
            if (memory != null) {
                memory.release();
            }
            memory = null;
            device = null;
            hostCurrent = false;
            deviceCurrent = false;
            array = host;
        }
        if (rt != null) {
            DeviceMemory m = Devices.track(rt.allocate(target, dtype, length));
            try {
                if (length > 0) {
                    m.upload(array, 0, 0, length);
                }
            } catch (RuntimeException e) {
                m.release();
                throw e;
            }
            memory = m;
            device = target;
            deviceCurrent = true;
            hostCurrent = false;
            array = null;
            dev.graft.tensor.backend.Backends.enableDeviceDispatch();
        }
    }

    /** The device memory if any was made (for {@link DeviceScope#keep}); null on the CPU. */
    synchronized DeviceMemory memoryIfAny() {
        return memory;
    }

    public int length() {
        return length;
    }

    public double getDouble(int i) {
        Object array = device == null ? this.array : hostForRead();
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
        Object array = device == null ? this.array : hostForRead();
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
        Object array = device == null ? this.array : hostForWrite();
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
        Object array = device == null ? this.array : hostForWrite();
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
