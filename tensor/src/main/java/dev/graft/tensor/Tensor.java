package dev.graft.tensor;

import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.BinaryOp;
import dev.graft.tensor.spi.GradRecorder;
import dev.graft.tensor.spi.ReduceOp;
import dev.graft.tensor.spi.UnaryOp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.ServiceLoader;

/**
 * An n-dimensional array: a view (shape, strides, offset) over a heap {@link Storage}.
 *
 * <p>Operations never modify their inputs unless their name says so ({@link #fill}, {@link #copyFrom},
 * {@link #addInPlace}, {@link #mulInPlace}); view operations ({@link #reshape} when possible,
 * {@link #permute}, {@link #slice}, {@link #expand}, {@link #squeeze}, {@link #unsqueeze}) share
 * storage with their input; everything else allocates a fresh contiguous result. Arithmetic
 * follows NumPy broadcasting and PyTorch's type promotion. The compute happens in the selected
 * {@link dev.graft.tensor.spi.Backend}; this class validates arguments, so a backend never sees a
 * shape it cannot handle.
 */
public final class Tensor {
    private final Storage storage;
    private final int[] shape;
    private final int[] strides;
    private final int offset;

    // Slots owned by the autograd module (see GradRecorder); the tensor core only carries them.
    private boolean requiresGrad;
    private Tensor grad;
    private Object gradFn;

    private static final GradRecorder RECORDER = ServiceLoader.load(GradRecorder.class).findFirst().orElse(null);

    /** A view; callers guarantee that every reachable element lies inside the storage. */
    Tensor(Storage storage, int[] shape, int[] strides, int offset) {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    // ------------------------------------------------------------------ creation

    /** A new zero-filled contiguous tensor. */
    public static Tensor empty(DType dtype, int... shape) {
        int[] s = shape.clone();
        return new Tensor(Storage.allocate(dtype, Shape.numel(s)), s, Shape.contiguousStrides(s), 0);
    }

    /**
     * A zero-filled tensor on {@code device}. On an accelerator nothing is allocated until a
     * kernel or the host first needs the memory, so outputs of device kernels cost no host array.
     */
    public static Tensor zeros(Device device, DType dtype, int... shape) {
        if (device == null || device.isCpu()) {
            return empty(dtype, shape);
        }
        Devices.runtime(device); // says why when the device cannot be used
        int[] s = shape.clone();
        return new Tensor(Storage.lazyOn(device, dtype, Shape.numel(s)), s, Shape.contiguousStrides(s), 0);
    }

    /** Where an op's fresh output goes: the accelerator among its inputs, else the CPU (two accelerators are refused later, by the dispatch). */
    static Device placeOf(Tensor... inputs) {
        Device found = Device.cpu();
        for (Tensor t : inputs) {
            Device d = t.storage.device();
            if (!d.isCpu()) {
                if (!found.isCpu() && !found.equals(d)) {
                    return Device.cpu();
                }
                found = d;
            }
        }
        return found;
    }

    public static Tensor zeros(int... shape) {
        return empty(DType.FLOAT32, shape);
    }

    public static Tensor zeros(DType dtype, int... shape) {
        return empty(dtype, shape);
    }

    public static Tensor ones(int... shape) {
        return full(1.0, DType.FLOAT32, shape);
    }

    public static Tensor ones(DType dtype, int... shape) {
        return full(1.0, dtype, shape);
    }

    public static Tensor full(double value, DType dtype, int... shape) {
        Tensor t = empty(dtype, shape);
        if (value != 0) {
            Backends.current().fill(t, value);
        }
        return t;
    }

    public static Tensor full(double value, int... shape) {
        return full(value, DType.FLOAT32, shape);
    }

    /** {@code value} everywhere, on {@code device} (filled there by its kernel when it has one). */
    public static Tensor full(Device device, double value, DType dtype, int... shape) {
        Tensor t = zeros(device, dtype, shape);
        if (value != 0) {
            Backends.current().fill(t, value);
        }
        return t;
    }

    /** Zeros of t's dtype and shape, on t's device (like {@code torch.zeros_like}). */
    public static Tensor zerosLike(Tensor t) {
        return zeros(t.device(), t.dtype(), t.shape);
    }

    /** Ones of t's dtype and shape, on t's device. */
    public static Tensor onesLike(Tensor t) {
        return full(t.device(), 1.0, t.dtype(), t.shape);
    }

    /** {@code value} in t's dtype and shape, on t's device. */
    public static Tensor fullLike(Tensor t, double value) {
        return full(t.device(), value, t.dtype(), t.shape);
    }

    /** A 0-dimensional float32 tensor. */
    public static Tensor scalar(double value) {
        return scalar(value, DType.FLOAT32);
    }

    public static Tensor scalar(double value, DType dtype) {
        Tensor t = empty(dtype);
        t.storage.setDouble(0, value);
        return t;
    }

    /** Copies {@code data} into a float32 tensor of the given shape; no shape means 1-D (use {@link #scalar} or {@code reshape()} for 0-d). */
    public static Tensor fromArray(float[] data, int... shape) {
        return fromStorage(Storage.wrap(DType.FLOAT32, data.clone()), shape.length == 0 ? new int[] {data.length} : shape, "fromArray");
    }

    public static Tensor fromArray(double[] data, int... shape) {
        return fromStorage(Storage.wrap(DType.FLOAT64, data.clone()), shape.length == 0 ? new int[] {data.length} : shape, "fromArray");
    }

    public static Tensor fromArray(long[] data, int... shape) {
        return fromStorage(Storage.wrap(DType.INT64, data.clone()), shape.length == 0 ? new int[] {data.length} : shape, "fromArray");
    }

    public static Tensor fromArray(int[] data, int... shape) {
        return fromStorage(Storage.wrap(DType.INT32, data.clone()), shape.length == 0 ? new int[] {data.length} : shape, "fromArray");
    }

    public static Tensor fromArray(boolean[] data, int... shape) {
        byte[] b = new byte[data.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (data[i] ? 1 : 0);
        }
        return fromStorage(Storage.wrap(DType.BOOL, b), shape.length == 0 ? new int[] {b.length} : shape, "fromArray");
    }

    /**
     * Wraps a storage without copying, as a contiguous tensor. Used by importers that decode file
     * data straight into an array; the length must match the shape exactly.
     */
    public static Tensor fromStorage(Storage storage, int[] shape, String what) {
        int[] s = shape.length == 0 && storage.length() != 1 ? new int[] {storage.length()} : shape.clone();
        int n = Shape.numel(s);
        if (n != storage.length()) {
            throw new TensorShapeException(what + ": " + storage.length() + " values cannot fill shape "
                    + Shape.str(s) + " (" + n + " elements)");
        }
        return new Tensor(storage, s, Shape.contiguousStrides(s), 0);
    }

    /** 0, 1, …, end-1 as int64, like {@code torch.arange(end)}. */
    public static Tensor arange(long end) {
        return arange(0, end, 1, DType.INT64);
    }

    /** start, start+step, … while below {@code end} (above, for a negative step). */
    public static Tensor arange(double start, double end, double step, DType dtype) {
        if (step == 0 || Double.isNaN(step)) {
            throw new IllegalArgumentException("arange: step must be non-zero, got " + step);
        }
        if ((end > start && step < 0) || (end < start && step > 0)) {
            throw new IllegalArgumentException("arange: step " + step + " points away from end " + end + " (start " + start + ")");
        }
        double count = Math.ceil((end - start) / step);
        int n = (int) Math.max(0, Math.min(count, Integer.MAX_VALUE));
        Tensor t = empty(dtype, n);
        for (int i = 0; i < n; i++) {
            t.storage.setDouble(i, start + i * step);
        }
        return t;
    }

    /** {@code steps} evenly spaced float32 values from start to end inclusive. */
    public static Tensor linspace(double start, double end, int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("linspace: steps must be >= 0, got " + steps);
        }
        Tensor t = empty(DType.FLOAT32, steps);
        double h = steps > 1 ? (end - start) / (steps - 1) : 0;
        for (int i = 0; i < steps; i++) {
            // the last point is exactly end, as in torch and NumPy
            t.storage.setDouble(i, i == steps - 1 && steps > 1 ? end : start + i * h);
        }
        return t;
    }

    public static Tensor eye(int n) {
        return eye(n, n, DType.FLOAT32);
    }

    public static Tensor eye(int n, int m, DType dtype) {
        Tensor t = empty(dtype, n, m);
        for (int i = 0; i < Math.min(n, m); i++) {
            t.storage.setDouble(i * m + i, 1);
        }
        return t;
    }

    /** Uniform in [0, 1), float32. */
    public static Tensor rand(Generator g, int... shape) {
        return uniform(g, 0, 1, DType.FLOAT32, shape);
    }

    /** Uniform in [low, high). */
    public static Tensor uniform(Generator g, double low, double high, DType dtype, int... shape) {
        requireFloating("uniform", dtype);
        Tensor t = empty(dtype, shape);
        for (int i = 0; i < t.storage.length(); i++) {
            t.storage.setDouble(i, low + (high - low) * (dtype == DType.FLOAT32 ? g.nextFloat() : g.nextDouble()));
        }
        return t;
    }

    /** Standard normal, float32. */
    public static Tensor randn(Generator g, int... shape) {
        return normal(g, 0, 1, DType.FLOAT32, shape);
    }

    public static Tensor normal(Generator g, double mean, double std, DType dtype, int... shape) {
        requireFloating("normal", dtype);
        if (!(std >= 0)) {
            throw new IllegalArgumentException("normal: std must be >= 0, got " + std);
        }
        Tensor t = empty(dtype, shape);
        for (int i = 0; i < t.storage.length(); i++) {
            t.storage.setDouble(i, mean + std * g.nextGaussian());
        }
        return t;
    }

    /** Integers uniform in [low, high), int64. */
    public static Tensor randint(Generator g, long low, long high, int... shape) {
        if (high <= low) {
            throw new IllegalArgumentException("randint: empty range [" + low + ", " + high + ")");
        }
        Tensor t = empty(DType.INT64, shape);
        for (int i = 0; i < t.storage.length(); i++) {
            t.storage.setLong(i, low + g.nextLong(high - low));
        }
        return t;
    }

    // ------------------------------------------------------------------ metadata

    public int[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code d} (negative counts from the end). */
    public int size(int d) {
        return shape[dimOf("size", d)];
    }

    /** A dimension argument of an op that needs a real dimension: a 0-d tensor has none (like torch). */
    private int dimOf(String op, int dim) {
        if (shape.length == 0) {
            throw new TensorShapeException(op + ": expects a tensor with at least one dimension, got a 0-d tensor");
        }
        return Shape.axis(op, dim, shape.length);
    }

    public int dim() {
        return shape.length;
    }

    public int numel() {
        return Shape.numel(shape);
    }

    public DType dtype() {
        return storage.dtype();
    }

    /** Where the elements live: the CPU, or the accelerator this tensor was moved to with {@link #to(Device)}. */
    public Device device() {
        return storage.device();
    }

    /** The same view over another storage (host aliases of device data, in {@link DeviceDispatch}). */
    Tensor withStorage(Storage s) {
        return new Tensor(s, shape, strides, offset);
    }

    public int[] strides() {
        return strides.clone();
    }

    public int offset() {
        return offset;
    }

    /** The backing storage; kernels read it directly, everybody else should not need it. */
    public Storage storage() {
        return storage;
    }

    /** Row-major contiguous (ignoring dimensions of size 1). */
    public boolean isContiguous() {
        int expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1) {
                if (strides[i] != expected) {
                    return false;
                }
                expected *= shape[i];
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ autograd slots

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf as needing a gradient; only floating tensors can. Returns this. */
    public Tensor requiresGrad(boolean flag) {
        if (flag && !dtype().isFloating()) {
            throw new TensorTypeException("requiresGrad: only floating tensors can require gradients, this is " + dtype());
        }
        this.requiresGrad = flag;
        return this;
    }

    public Tensor grad() {
        return grad;
    }

    public void setGrad(Tensor g) {
        this.grad = g;
    }

    /** True for tensors no recorded op produced (user-created tensors and parameters). */
    public boolean isLeaf() {
        return gradFn == null;
    }

    /** The autograd node that produced this tensor, or null for leaves; opaque to the tensor core. */
    public Object gradFn() {
        return gradFn;
    }

    public void setGradFn(Object fn) {
        this.gradFn = fn;
    }

    /** Backpropagates from this scalar (see the autograd module). */
    public void backward() {
        backward(null);
    }

    public void backward(Tensor upstream) {
        if (RECORDER == null) {
            throw new IllegalStateException("backward: no autograd implementation found; add graft-autograd to the classpath");
        }
        RECORDER.backward(this, upstream);
    }

    private Tensor rec(String op, Tensor[] inputs, Object... attrs) {
        if (RECORDER != null) {
            RECORDER.record(op, this, inputs, attrs);
        }
        return this;
    }

    private static Tensor[] in(Tensor... t) {
        return t;
    }

    // ------------------------------------------------------------------ element access and conversion

    /** The value of a one-element tensor. */
    public double item() {
        if (numel() != 1) {
            throw new TensorShapeException("item: tensor of shape " + Shape.str(shape) + " has " + numel()
                    + " elements, expected exactly 1");
        }
        return storage.getDouble(offset);
    }

    /** The element at the given index, as a double. */
    public double get(int... index) {
        return storage.getDouble(flatIndex("get", index));
    }

    /** The element at the given index as a long (exact for int64 beyond 2^53). */
    public long getLong(int... index) {
        return storage.getLong(flatIndex("getLong", index));
    }

    /** Sets one element (in place). */
    public void set(double value, int... index) {
        int pos = flatIndex("set", index);
        beforeInPlace("set");
        storage.setDouble(pos, value);
    }

    private int flatIndex(String op, int[] index) {
        if (index.length != shape.length) {
            throw new TensorShapeException(op + ": " + index.length + " indices for a tensor of rank " + shape.length
                    + " (shape " + Shape.str(shape) + ")");
        }
        int pos = offset;
        for (int i = 0; i < index.length; i++) {
            int k = index[i] < 0 ? index[i] + shape[i] : index[i];
            if (k < 0 || k >= shape[i]) {
                throw new TensorShapeException(op + ": index " + index[i] + " is out of range for dimension " + i
                        + " of size " + shape[i] + " (shape " + Shape.str(shape) + ")");
            }
            pos += k * strides[i];
        }
        return pos;
    }

    /** A fresh float32 array of the elements in row-major order. */
    public float[] toFloatArray() {
        return (float[]) freshContiguous(DType.FLOAT32).storage.array();
    }

    public double[] toDoubleArray() {
        return (double[]) freshContiguous(DType.FLOAT64).storage.array();
    }

    public long[] toLongArray() {
        return (long[]) freshContiguous(DType.INT64).storage.array();
    }

    /** A contiguous tensor of the given dtype whose storage nobody else holds. */
    private Tensor freshContiguous(DType d) {
        Tensor out = empty(d, shape);
        Backends.current().copy(this, out);
        return out;
    }

    /** Converts to another dtype (a copy; this tensor when the dtype already matches). */
    public Tensor to(DType dtype) {
        if (dtype == null) {
            throw new IllegalArgumentException("to: dtype is null");
        }
        if (dtype == dtype()) {
            return this;
        }
        Tensor out = zeros(device(), dtype, shape);
        Backends.current().copy(this, out);
        return out.rec("to", in(this), dtype);
    }

    /**
     * A copy on {@code device} (this tensor when it is already there), contiguous, same dtype and
     * shape. Recorded for autograd: the gradient flows back to this tensor's device. Moving to an
     * accelerator needs its runtime on the classpath (CUDA: {@code graft-kernels-native}) and
     * throws {@link IllegalStateException} saying why when the device cannot be used. Device
     * memory is freed by the innermost open {@link DeviceScope} when it closes, or else once the
     * tensor is unreachable.
     */
    public Tensor to(Device device) {
        if (device == null) {
            throw new IllegalArgumentException("to: device is null");
        }
        Device from = device();
        if (device.equals(from)) {
            return this;
        }
        Tensor out;
        if (device.isCpu()) {
            out = empty(dtype(), shape);
            Tensor src = withStorage(Storage.wrap(dtype(), storage.hostForRead()));
            DeviceDispatch.hostOf(Backends.current()).copy(src, out);
        } else {
            var rt = Devices.runtime(device);
            Tensor host = from.isCpu() ? this : to(Device.cpu());
            Tensor c = host.isContiguous() && host.offset == 0 && host.storage.length() == host.numel() ? host : host.detach().clone();
            int n = numel();
            var memory = Devices.track(rt.allocate(device, dtype(), n));
            Storage s;
            try {
                if (n > 0) {
                    memory.upload(c.storage.hostForRead(), 0, 0, n);
                }
                s = Storage.onDevice(memory, n);
            } catch (RuntimeException e) {
                memory.release();
                throw e;
            }
            dev.graft.tensor.backend.Backends.enableDeviceDispatch();
            out = new Tensor(s, shape.clone(), Shape.contiguousStrides(shape), 0);
        }
        return out.rec("toDevice", in(this), device);
    }

    /**
     * Moves this tensor's storage to {@code device} in place, so that this tensor and every view
     * of its storage are there afterwards (what {@code Module.to(Device)} does to parameters and
     * buffers, like PyTorch's {@code module.to}). Not recorded for autograd. Returns this.
     */
    public Tensor moveStorageTo(Device device) {
        if (device == null) {
            throw new IllegalArgumentException("moveStorageTo: device is null");
        }
        storage.moveTo(device);
        return this;
    }

    /** A copy on {@link Device#cuda(int) cuda:0}; see {@link #to(Device)}. */
    public Tensor cuda() {
        return to(Device.cuda(0));
    }

    /** A copy on the CPU (this tensor when it is there already); see {@link #to(Device)}. */
    public Tensor cpu() {
        return to(Device.cpu());
    }

    /** A contiguous copy. */
    @Override
    public Tensor clone() {
        Tensor out = zeros(device(), dtype(), shape);
        Backends.current().copy(this, out);
        return out.rec("clone", in(this));
    }

    /** This tensor if contiguous and starting at offset 0 of a storage it fills, else a contiguous copy. */
    public Tensor contiguous() {
        if (isContiguous()) {
            return this;
        }
        Tensor out = zeros(device(), dtype(), shape);
        Backends.current().copy(this, out);
        return out.rec("contiguous", in(this));
    }

    /** A tensor that shares storage but has no autograd history. */
    public Tensor detach() {
        return new Tensor(storage, shape, strides, offset);
    }

    // ------------------------------------------------------------------ in place

    /** Sets every element to {@code value}; returns this. */
    public Tensor fill(double value) {
        beforeInPlace("fill");
        Backends.current().fill(this, value);
        return this;
    }

    /** Copies {@code src} (broadcast to this shape, converted to this dtype) into this tensor; returns this. */
    public Tensor copyFrom(Tensor src) {
        beforeInPlace("copyFrom");
        Backends.current().copy(src.detach().broadcastTo(shape), this);
        return this;
    }

    /** this += alpha * other, in place (used by optimizers, under no-grad). */
    public Tensor addInPlace(Tensor other, double alpha) {
        beforeInPlace("addInPlace");
        Tensor o = other.detach();
        Tensor update = alpha == 1 ? o : o.mul(alpha);
        Tensor sum = this.detach().add(update.broadcastTo(shape));
        Backends.current().copy(sum, this);
        return this;
    }

    /** this *= factor, in place. */
    public Tensor mulInPlace(double factor) {
        beforeInPlace("mulInPlace");
        Backends.current().copy(this.detach().mul(factor), this);
        return this;
    }

    private void beforeInPlace(String op) {
        if (RECORDER != null) {
            RECORDER.checkInPlace(op, this);
        }
        storage.bumpVersion();
    }

    // ------------------------------------------------------------------ views

    /**
     * Same elements in a new shape, sharing storage when the strides allow it and copying
     * otherwise (like {@code torch.reshape}). One dimension may be -1.
     */
    public Tensor reshape(int... newShape) {
        int[] s = inferShape("reshape", newShape);
        int[] st = Views.viewStrides(shape, strides, s);
        if (st != null) {
            return new Tensor(storage, s, st, offset).rec("reshape", in(this), (Object) shape.clone());
        }
        Tensor c = contiguous();
        return new Tensor(c.storage, s, Shape.contiguousStrides(s), c.offset).rec("reshape", in(this), (Object) shape.clone());
    }

    /** Like {@link #reshape} but never copies: fails if the strides do not allow the new shape. */
    public Tensor view(int... newShape) {
        int[] s = inferShape("view", newShape);
        int[] st = Views.viewStrides(shape, strides, s);
        if (st == null) {
            throw new TensorShapeException("view: shape " + Shape.str(shape) + " with strides " + Arrays.toString(strides)
                    + " cannot be viewed as " + Shape.str(s) + " without a copy; use reshape");
        }
        return new Tensor(storage, s, st, offset).rec("reshape", in(this), (Object) shape.clone());
    }

    private int[] inferShape(String op, int[] newShape) {
        if (newShape == null) {
            throw new IllegalArgumentException(op + ": shape is null");
        }
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) {
                    throw new TensorShapeException(op + ": only one dimension can be -1, got " + Shape.str(newShape));
                }
                infer = i;
            } else if (s[i] < 0) {
                throw new TensorShapeException(op + ": invalid dimension " + s[i] + " in " + Shape.str(newShape));
            } else {
                known *= s[i];
            }
        }
        int n = numel();
        if (infer >= 0) {
            if (known == 0 || n % known != 0) {
                throw new TensorShapeException(op + ": shape " + Shape.str(newShape) + " is invalid for a tensor of "
                        + n + " elements (shape " + Shape.str(shape) + ")");
            }
            s[infer] = (int) (n / known);
        } else if (known != n) {
            throw new TensorShapeException(op + ": shape " + Shape.str(newShape) + " has " + known
                    + " elements but the tensor of shape " + Shape.str(shape) + " has " + n);
        }
        return s;
    }

    /** Flattens dimensions start..end (inclusive) into one. */
    public Tensor flatten(int start, int end) {
        if (shape.length == 0) {
            return reshape(1);
        }
        int a = Shape.axis("flatten", start, shape.length);
        int b = Shape.axis("flatten", end, shape.length);
        if (a > b) {
            throw new TensorShapeException("flatten: start dimension " + start + " comes after end dimension " + end);
        }
        int[] s = new int[shape.length - (b - a)];
        int k = 0;
        for (int i = 0; i < a; i++) {
            s[k++] = shape[i];
        }
        int m = 1;
        for (int i = a; i <= b; i++) {
            m *= shape[i];
        }
        s[k++] = m;
        for (int i = b + 1; i < shape.length; i++) {
            s[k++] = shape[i];
        }
        return reshape(s);
    }

    public Tensor flatten() {
        return reshape(-1);
    }

    /** Reorders dimensions: result dimension i is this tensor's dimension dims[i]. */
    public Tensor permute(int... dims) {
        if (dims == null) {
            throw new IllegalArgumentException("permute: dims is null");
        }
        if (dims.length != shape.length) {
            throw new TensorShapeException("permute: " + Arrays.toString(dims) + " has " + dims.length
                    + " dimensions, the tensor of shape " + Shape.str(shape) + " has " + shape.length);
        }
        int[] s = new int[dims.length];
        int[] st = new int[dims.length];
        boolean[] seen = new boolean[dims.length];
        int[] norm = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            int d = Shape.axis("permute", dims[i], shape.length);
            if (seen[d]) {
                throw new TensorShapeException("permute: dimension " + dims[i] + " repeats in " + Arrays.toString(dims));
            }
            seen[d] = true;
            norm[i] = d;
            s[i] = shape[d];
            st[i] = strides[d];
        }
        return new Tensor(storage, s, st, offset).rec("permute", in(this), (Object) norm);
    }

    public Tensor transpose(int d0, int d1) {
        int a = Shape.axis("transpose", d0, shape.length);
        int b = Shape.axis("transpose", d1, shape.length);
        if (shape.length == 0) {
            return this; // torch allows transpose(0, 0) of a 0-d tensor
        }
        int[] p = new int[shape.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = i;
        }
        p[a] = b;
        p[b] = a;
        return permute(p);
    }

    /** Transpose of a matrix (rank &lt;= 2), like {@code torch.t}. */
    public Tensor t() {
        if (shape.length > 2) {
            throw new TensorShapeException("t: expects a tensor of rank <= 2, got shape " + Shape.str(shape)
                    + "; use transpose(-2, -1) for batches");
        }
        return shape.length < 2 ? this : transpose(0, 1);
    }

    /**
     * Elements start, start+step, … before end along {@code dim}, Python-style: negative bounds count
     * from the end and out-of-range bounds clamp. step must be positive.
     */
    public Tensor slice(int dim, int start, int end, int step) {
        int d = dimOf("slice", dim);
        if (step <= 0) {
            throw new TensorShapeException("slice: step must be positive, got " + step);
        }
        int n = shape[d];
        int s0 = clampIndex(start, n);
        int e0 = clampIndex(end, n);
        int len = e0 > s0 ? (e0 - s0 + step - 1) / step : 0;
        int[] s = shape.clone();
        int[] st = strides.clone();
        s[d] = len;
        st[d] = strides[d] * step;
        return new Tensor(storage, s, st, offset + (len > 0 ? s0 * strides[d] : 0))
                .rec("slice", in(this), d, s0, step);
    }

    public Tensor slice(int dim, int start, int end) {
        return slice(dim, start, end, 1);
    }

    private static int clampIndex(int i, int n) {
        int k = i < 0 ? i + n : i;
        return Math.max(0, Math.min(k, n));
    }

    /** {@code length} elements from {@code start} along dim; unlike slice, out-of-range is an error. */
    public Tensor narrow(int dim, int start, int length) {
        int d = dimOf("narrow", dim);
        int s0 = start < 0 ? start + shape[d] : start;
        if (s0 < 0 || length < 0 || s0 + length > shape[d]) {
            throw new TensorShapeException("narrow: [" + start + ", " + start + "+" + length + ") is out of range for dimension "
                    + dim + " of size " + shape[d] + " (shape " + Shape.str(shape) + ")");
        }
        return slice(d, s0, s0 + length, 1);
    }

    /** The sub-tensor at {@code index} along dim, with that dimension removed. */
    public Tensor select(int dim, int index) {
        int d = dimOf("select", dim);
        int i = index < 0 ? index + shape[d] : index;
        if (i < 0 || i >= shape[d]) {
            throw new TensorShapeException("select: index " + index + " is out of range for dimension " + dim
                    + " of size " + shape[d] + " (shape " + Shape.str(shape) + ")");
        }
        return narrow(d, i, 1).squeeze(d);
    }

    /** Broadcasts to a larger shape without copying (stride 0); -1 keeps a dimension. */
    public Tensor expand(int... newShape) {
        if (newShape == null) {
            throw new IllegalArgumentException("expand: shape is null");
        }
        if (newShape.length < shape.length) {
            throw new TensorShapeException("expand: cannot expand shape " + Shape.str(shape) + " to fewer dimensions "
                    + Shape.str(newShape));
        }
        int lead = newShape.length - shape.length;
        int[] s = new int[newShape.length];
        int[] st = new int[newShape.length];
        for (int i = 0; i < newShape.length; i++) {
            int want = newShape[i];
            if (i < lead) {
                if (want < 0) {
                    throw new TensorShapeException("expand: -1 is not allowed for the new leading dimension " + i
                            + " in " + Shape.str(newShape));
                }
                s[i] = want;
                st[i] = 0;
                continue;
            }
            int have = shape[i - lead];
            if (want == -1 || want == have) {
                s[i] = have;
                st[i] = strides[i - lead];
            } else if (have == 1 && want >= 0) {
                s[i] = want;
                st[i] = 0;
            } else {
                throw new TensorShapeException("expand: shape " + Shape.str(shape) + " cannot be expanded to "
                        + Shape.str(newShape) + " (dimension " + i + ": " + have + " vs " + want + ")");
            }
        }
        if (Arrays.equals(s, shape)) {
            return this;
        }
        return new Tensor(storage, s, st, offset).rec("expand", in(this), (Object) shape.clone());
    }

    public Tensor broadcastTo(int... newShape) {
        return expand(newShape);
    }

    /** Removes every dimension of size 1. */
    public Tensor squeeze() {
        int k = 0;
        for (int d : shape) {
            if (d != 1) {
                k++;
            }
        }
        if (k == shape.length) {
            return this;
        }
        int[] s = new int[k];
        int[] st = new int[k];
        k = 0;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] != 1) {
                s[k] = shape[i];
                st[k++] = strides[i];
            }
        }
        return new Tensor(storage, s, st, offset).rec("reshape", in(this), (Object) shape.clone());
    }

    /** Removes dimension dim if its size is 1 (otherwise returns this, like torch). */
    public Tensor squeeze(int dim) {
        if (shape.length == 0) {
            return this;
        }
        int d = Shape.axis("squeeze", dim, shape.length);
        if (shape[d] != 1) {
            return this;
        }
        int[] s = new int[shape.length - 1];
        int[] st = new int[shape.length - 1];
        for (int i = 0, k = 0; i < shape.length; i++) {
            if (i != d) {
                s[k] = shape[i];
                st[k++] = strides[i];
            }
        }
        return new Tensor(storage, s, st, offset).rec("reshape", in(this), (Object) shape.clone());
    }

    /** Inserts a dimension of size 1 at position dim (in the result's numbering). */
    public Tensor unsqueeze(int dim) {
        int d = Shape.axis("unsqueeze", dim, shape.length + 1);
        int[] s = new int[shape.length + 1];
        int[] st = new int[shape.length + 1];
        for (int i = 0, k = 0; i < s.length; i++) {
            if (i == d) {
                s[i] = 1;
                st[i] = d < shape.length ? strides[d] * shape[d] : 1;
            } else {
                s[i] = shape[k];
                st[i] = strides[k++];
            }
        }
        return new Tensor(storage, s, st, offset).rec("reshape", in(this), (Object) shape.clone());
    }

    /** Concatenates along an existing dimension; dtypes promote. */
    public static Tensor concat(int dim, Tensor... tensors) {
        return Indexing.concat(dim, tensors, "concat");
    }

    public static Tensor concat(int dim, List<Tensor> tensors) {
        return concat(dim, tensors.toArray(new Tensor[0]));
    }

    /** Stacks equal-shaped tensors along a new dimension. */
    public static Tensor stack(int dim, Tensor... tensors) {
        if (tensors.length == 0) {
            throw new TensorShapeException("stack: needs at least one tensor");
        }
        int d = Shape.axis("stack", dim, tensors[0].dim() + 1);
        Tensor[] u = new Tensor[tensors.length];
        for (int i = 0; i < tensors.length; i++) {
            if (!Arrays.equals(tensors[i].shape, tensors[0].shape)) {
                throw new TensorShapeException("stack: tensor " + i + " has shape " + Shape.str(tensors[i].shape)
                        + " but tensor 0 has " + Shape.str(tensors[0].shape) + "; all must be equal");
            }
            u[i] = tensors[i].unsqueeze(d);
        }
        return Indexing.concat(d, u, "stack");
    }

    /** Views of at most {@code size} elements each along dim (the last may be shorter). */
    public List<Tensor> split(int size, int dim) {
        int d = dimOf("split", dim);
        if (size <= 0) {
            throw new TensorShapeException("split: size must be positive, got " + size);
        }
        List<Tensor> parts = new ArrayList<>();
        for (int s = 0; s < shape[d]; s += size) {
            parts.add(narrow(d, s, Math.min(size, shape[d] - s)));
        }
        return parts;
    }

    /** Views with the given sizes along dim; the sizes must add up to the dimension. */
    public List<Tensor> split(int[] sizes, int dim) {
        int d = dimOf("split", dim);
        int total = Arrays.stream(sizes).sum();
        if (total != shape[d]) {
            throw new TensorShapeException("split: sizes " + Arrays.toString(sizes) + " add up to " + total
                    + " but dimension " + dim + " has size " + shape[d]);
        }
        List<Tensor> parts = new ArrayList<>();
        int s = 0;
        for (int n : sizes) {
            parts.add(narrow(d, s, n));
            s += n;
        }
        return parts;
    }

    /** At most {@code chunks} views of equal size (the last may be smaller), like torch.chunk. */
    public List<Tensor> chunk(int chunks, int dim) {
        if (chunks <= 0) {
            throw new TensorShapeException("chunk: number of chunks must be positive, got " + chunks);
        }
        int d = dimOf("chunk", dim);
        int size = Math.max(1, (shape[d] + chunks - 1) / chunks);
        return split(size, d);
    }

    // ------------------------------------------------------------------ elementwise unary

    private Tensor unary(UnaryOp op, double p0, double p1) {
        requireComputable(op.name().toLowerCase(), this);
        Tensor x = dtype().isIntegral() && (!op.integerClosed() || dtype() == DType.BOOL) ? to(DType.FLOAT32) : this;
        Tensor out = zeros(device(), x.dtype(), shape);
        Backends.current().unary(op, p0, p1, x, out);
        return out.rec(op.name().toLowerCase(), in(this), p0, p1);
    }

    public Tensor neg() { return unary(UnaryOp.NEG, 0, 0); }
    public Tensor abs() { return unary(UnaryOp.ABS, 0, 0); }
    public Tensor sign() { return unary(UnaryOp.SIGN, 0, 0); }
    public Tensor relu() { return unary(UnaryOp.RELU, 0, 0); }
    public Tensor square() { return unary(UnaryOp.SQUARE, 0, 0); }
    public Tensor floor() { return unary(UnaryOp.FLOOR, 0, 0); }
    public Tensor ceil() { return unary(UnaryOp.CEIL, 0, 0); }
    /** Round half to even. */
    public Tensor round() { return unary(UnaryOp.ROUND, 0, 0); }
    public Tensor exp() { return unary(UnaryOp.EXP, 0, 0); }
    public Tensor log() { return unary(UnaryOp.LOG, 0, 0); }
    public Tensor log1p() { return unary(UnaryOp.LOG1P, 0, 0); }
    public Tensor sqrt() { return unary(UnaryOp.SQRT, 0, 0); }
    public Tensor rsqrt() { return unary(UnaryOp.RSQRT, 0, 0); }
    public Tensor reciprocal() { return unary(UnaryOp.RECIPROCAL, 0, 0); }
    public Tensor sin() { return unary(UnaryOp.SIN, 0, 0); }
    public Tensor cos() { return unary(UnaryOp.COS, 0, 0); }
    public Tensor tanh() { return unary(UnaryOp.TANH, 0, 0); }
    public Tensor sigmoid() { return unary(UnaryOp.SIGMOID, 0, 0); }
    public Tensor silu() { return unary(UnaryOp.SILU, 0, 0); }
    public Tensor erf() { return unary(UnaryOp.ERF, 0, 0); }
    /** GELU with the exact normal CDF, {@code x * Phi(x)}. */
    public Tensor gelu() { return unary(UnaryOp.GELU, 0, 0); }
    /** GELU's tanh approximation (PyTorch's {@code approximate='tanh'}). */
    public Tensor geluTanh() { return unary(UnaryOp.GELU_TANH, 0, 0); }
    public Tensor leakyRelu(double slope) { return unary(UnaryOp.LEAKY_RELU, slope, 0); }
    /** x raised to a scalar power. */
    public Tensor pow(double exponent) {
        // an integer tensor to a non-negative whole power stays an integer tensor, like torch
        if (dtype().isIntegral() && dtype() != DType.BOOL && exponent >= 0 && exponent == Math.rint(exponent)) {
            return binary(BinaryOp.POW, scalar(exponent, dtype()));
        }
        return unary(UnaryOp.POW, exponent, 0);
    }

    /** Clamps into [min, max]; pass NaN for a missing bound. */
    public Tensor clamp(double min, double max) {
        if (!Double.isNaN(min) && !Double.isNaN(max) && min > max) {
            throw new IllegalArgumentException("clamp: min " + min + " is greater than max " + max);
        }
        boolean wholeBounds = (Double.isNaN(min) || min == Math.rint(min)) && (Double.isNaN(max) || max == Math.rint(max));
        if (dtype().isIntegral() && !wholeBounds) {
            return to(DType.FLOAT32).clamp(min, max); // fractional bounds promote, like torch
        }
        return unary(UnaryOp.CLAMP, min, max);
    }

    /** True where the element is zero. */
    public Tensor logicalNot() {
        return eq(0);
    }

    // ------------------------------------------------------------------ elementwise binary

    private Tensor binary(BinaryOp op, Tensor other) {
        String name = op.name().toLowerCase();
        if (other == null) {
            throw new IllegalArgumentException(name + ": the other operand is null (this tensor has shape " + Shape.str(shape) + ")");
        }
        requireComputable(name, this);
        requireComputable(name, other);
        DType ct = DType.promote(dtype(), other.dtype());
        if ((op == BinaryOp.DIV) && ct.isIntegral()) {
            ct = DType.FLOAT32; // true division, like torch.div
        } else if (ct == DType.BOOL && !op.isPredicate() && op != BinaryOp.MAX && op != BinaryOp.MIN) {
            ct = DType.INT64;
        }
        int[] s = Shape.broadcast(name, shape, other.shape);
        Tensor a = to(ct).expandQuiet(s);
        Tensor b = other.to(ct).expandQuiet(s);
        Tensor out = zeros(placeOf(this, other), op.isPredicate() ? DType.BOOL : ct, s);
        if (ct.isIntegral() && op == BinaryOp.POW) {
            requireNonNegativeExponent(b);
        }
        Backends.current().binary(op, a, b, out);
        return out.rec(name, in(this, other));
    }

    private static void requireNonNegativeExponent(Tensor b) {
        long[] e = b.toLongArray();
        for (long v : e) {
            if (v < 0) {
                throw new ArithmeticException("pow: integer tensors cannot be raised to negative powers (found " + v
                        + "); convert to a floating dtype first");
            }
        }
    }

    /** expand without recording, for internal broadcasting whose gradient the op's rule already reduces. */
    private Tensor expandQuiet(int[] s) {
        if (Arrays.equals(s, shape)) {
            return this;
        }
        int lead = s.length - shape.length;
        int[] st = new int[s.length];
        for (int i = lead; i < s.length; i++) {
            st[i] = shape[i - lead] == s[i] ? strides[i - lead] : 0;
        }
        return new Tensor(storage, s.clone(), st, offset);
    }

    /** A 0-d tensor holding a Python-style scalar operand: it keeps this tensor's dtype unless a fraction meets an integer tensor. */
    private Tensor scalarOperand(double v) {
        DType d = dtype();
        if (d.isIntegral() && (v != Math.rint(v) || Double.isInfinite(v))) {
            d = DType.FLOAT32;
        } else if (d == DType.BOOL) {
            d = DType.INT64;
        }
        return scalar(v, d);
    }

    public Tensor add(Tensor o) { return binary(BinaryOp.ADD, o); }
    public Tensor sub(Tensor o) { return binary(BinaryOp.SUB, o); }
    public Tensor mul(Tensor o) { return binary(BinaryOp.MUL, o); }
    public Tensor div(Tensor o) { return binary(BinaryOp.DIV, o); }
    public Tensor pow(Tensor o) { return binary(BinaryOp.POW, o); }
    /** Elementwise maximum (NaN propagates). */
    public Tensor maximum(Tensor o) { return binary(BinaryOp.MAX, o); }
    public Tensor minimum(Tensor o) { return binary(BinaryOp.MIN, o); }
    public Tensor eq(Tensor o) { return binary(BinaryOp.EQ, o); }
    public Tensor ne(Tensor o) { return binary(BinaryOp.NE, o); }
    public Tensor lt(Tensor o) { return binary(BinaryOp.LT, o); }
    public Tensor le(Tensor o) { return binary(BinaryOp.LE, o); }
    public Tensor gt(Tensor o) { return binary(BinaryOp.GT, o); }
    public Tensor ge(Tensor o) { return binary(BinaryOp.GE, o); }
    public Tensor logicalAnd(Tensor o) { return binary(BinaryOp.LOGICAL_AND, o); }
    public Tensor logicalOr(Tensor o) { return binary(BinaryOp.LOGICAL_OR, o); }

    public Tensor add(double v) { return binary(BinaryOp.ADD, scalarOperand(v)); }
    public Tensor sub(double v) { return binary(BinaryOp.SUB, scalarOperand(v)); }
    public Tensor mul(double v) { return binary(BinaryOp.MUL, scalarOperand(v)); }
    public Tensor div(double v) { return binary(BinaryOp.DIV, scalarOperand(v)); }
    public Tensor maximum(double v) { return binary(BinaryOp.MAX, scalarOperand(v)); }
    public Tensor minimum(double v) { return binary(BinaryOp.MIN, scalarOperand(v)); }
    public Tensor eq(double v) { return binary(BinaryOp.EQ, scalarOperand(v)); }
    public Tensor ne(double v) { return binary(BinaryOp.NE, scalarOperand(v)); }
    public Tensor lt(double v) { return binary(BinaryOp.LT, scalarOperand(v)); }
    public Tensor le(double v) { return binary(BinaryOp.LE, scalarOperand(v)); }
    public Tensor gt(double v) { return binary(BinaryOp.GT, scalarOperand(v)); }
    public Tensor ge(double v) { return binary(BinaryOp.GE, scalarOperand(v)); }

    /** {@code cond ? a : b} elementwise, broadcasting all three; a non-bool cond means "non-zero". */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        if (cond == null || a == null || b == null) {
            throw new IllegalArgumentException("where: condition, a and b must not be null (got " + (cond == null ? "null" : "cond")
                    + ", " + (a == null ? "null" : "a") + ", " + (b == null ? "null" : "b") + ")");
        }
        requireComputable("where", a);
        requireComputable("where", b);
        Tensor c = cond.dtype() == DType.BOOL ? cond : cond.ne(0);
        DType ct = DType.promote(a.dtype(), b.dtype());
        int[] s = Shape.broadcast("where", Shape.broadcast("where", c.shape, a.shape), b.shape);
        Tensor out = zeros(placeOf(c, a, b), ct, s);
        Backends.current().where(c.expandQuiet(s), a.to(ct).expandQuiet(s), b.to(ct).expandQuiet(s), out);
        return out.rec("where", in(c, a, b));
    }

    /** Replaces elements where mask is true by value (mask broadcasts to this shape). */
    public Tensor maskedFill(Tensor mask, double value) {
        if (mask.dtype() != DType.BOOL) {
            throw new TensorTypeException("maskedFill: mask must be bool, got " + mask.dtype());
        }
        Shape.broadcast("maskedFill", mask.shape, shape);
        Tensor fill = scalar(value, dtype()); // keeps this tensor's dtype, like torch
        Tensor r = where(mask, fill, this);
        if (!Arrays.equals(r.shape, shape)) {
            throw new TensorShapeException("maskedFill: mask of shape " + Shape.str(mask.shape)
                    + " would enlarge the tensor of shape " + Shape.str(shape));
        }
        return r;
    }

    // ------------------------------------------------------------------ reductions

    /** Sum of all elements (0-d). Integers sum to int64. */
    public Tensor sum() { return reduce("sum", ReduceOp.SUM, new int[0], false); }
    public Tensor sum(int axis) { return sum(new int[] {axis}, false); }
    public Tensor sum(int[] axes, boolean keepdim) { return reduce("sum", ReduceOp.SUM, axes, keepdim); }
    public Tensor prod() { return reduce("prod", ReduceOp.PROD, new int[0], false); }
    public Tensor prod(int[] axes, boolean keepdim) { return reduce("prod", ReduceOp.PROD, axes, keepdim); }

    public Tensor mean() { return mean(new int[0], false); }
    public Tensor mean(int axis) { return mean(new int[] {axis}, false); }

    public Tensor mean(int[] axes, boolean keepdim) {
        Tensor x = dtype().isIntegral() ? to(DType.FLOAT32) : this;
        int n = Reductions.reducedCount("mean", shape, axes);
        return x.sum(axes, keepdim).div(n);
    }

    /** Variance with Bessel-style {@code correction} (1 = unbiased, 0 = population), computed in two passes. */
    public Tensor var(int[] axes, int correction, boolean keepdim) {
        Tensor x = dtype().isIntegral() ? to(DType.FLOAT32) : this;
        int n = Reductions.reducedCount("var", shape, axes);
        Tensor d = x.sub(x.mean(axes, true));
        return d.mul(d).sum(axes, keepdim).div(Math.max(0, n - correction));
    }

    public Tensor std(int[] axes, int correction, boolean keepdim) {
        return var(axes, correction, keepdim).sqrt();
    }

    /** Maximum of all elements (0-d). NaN propagates. */
    public Tensor max() { return reduce("max", ReduceOp.MAX, new int[0], false); }
    public Tensor min() { return reduce("min", ReduceOp.MIN, new int[0], false); }
    /** Maximum over a set of axes, values only ({@code torch.amax}). */
    public Tensor amax(int[] axes, boolean keepdim) { return reduce("amax", ReduceOp.MAX, axes, keepdim); }
    public Tensor amin(int[] axes, boolean keepdim) { return reduce("amin", ReduceOp.MIN, axes, keepdim); }

    /** Values and first indices of the maximum along one axis. */
    public ValuesIndices max(int axis, boolean keepdim) {
        return Reductions.extreme(this, ReduceOp.MAX, axis, keepdim);
    }

    public ValuesIndices min(int axis, boolean keepdim) {
        return Reductions.extreme(this, ReduceOp.MIN, axis, keepdim);
    }

    public Tensor argmax(int axis, boolean keepdim) { return max(axis, keepdim).indices(); }
    public Tensor argmin(int axis, boolean keepdim) { return min(axis, keepdim).indices(); }
    /** Index into the flattened tensor of the (first) maximum. */
    public Tensor argmax() { return reshape(-1).argmax(0, false); }
    public Tensor argmin() { return reshape(-1).argmin(0, false); }

    /** log(sum(exp(x))) over axes, stable for large inputs. */
    public Tensor logsumexp(int[] axes, boolean keepdim) {
        requireFloatingTensor("logsumexp", this);
        Shape.axisMask("logsumexp", axes, shape.length); // bad axes are reported as logsumexp's, not amax's
        if (numel() == 0) {
            // no maximum to shift by; the log of an empty sum is -inf, as in torch
            return exp().sum(axes, keepdim).log();
        }
        Tensor m = amax(axes, true).detach();
        // an all -inf (or +inf) slice would give inf - inf = NaN; shift by 0 there instead
        Tensor shift = where(m.abs().eq(Double.POSITIVE_INFINITY), zerosLike(m), m);
        Tensor r = sub(shift).exp().sum(axes, true).log().add(shift);
        return keepdim ? r : Reductions.squeezeAxes(r, axes);
    }

    /** Numerically stable softmax along one axis. */
    public Tensor softmax(int axis) {
        requireFloatingTensor("softmax", this);
        int a = Shape.axis("softmax", axis, Math.max(shape.length, 1));
        // an empty tensor has no maximum to shift by (and nothing to overflow)
        Tensor e = (numel() == 0 ? this : sub(amax(new int[] {a}, true).detach())).exp();
        return e.div(e.sum(new int[] {a}, true));
    }

    public Tensor logSoftmax(int axis) {
        requireFloatingTensor("logSoftmax", this);
        int a = Shape.axis("logSoftmax", axis, Math.max(shape.length, 1));
        Tensor z = numel() == 0 ? this : sub(amax(new int[] {a}, true).detach());
        return z.sub(z.exp().sum(new int[] {a}, true).log());
    }

    private Tensor reduce(String name, ReduceOp op, int[] axes, boolean keepdim) {
        if (axes == null) {
            throw new IllegalArgumentException(name + ": axes is null (pass an empty array for all axes)");
        }
        Tensor out = Reductions.reduce(this, name, op, axes, keepdim);
        return out.rec(name, in(this), axes.clone(), keepdim);
    }

    // ------------------------------------------------------------------ linear algebra

    /** Matrix product with NumPy semantics: 1-D operands, 2-D, and batched with broadcast batch dims. */
    public Tensor matmul(Tensor other) {
        if (other == null) {
            throw new IllegalArgumentException("matmul: the other operand is null (this tensor has shape " + Shape.str(shape) + ")");
        }
        return LinearAlgebra.matmul(this, other).rec("matmul", in(this, other));
    }

    // ------------------------------------------------------------------ indexing

    /** torch.gather: out[i][j] = this[index[i][j]][j] for dim 0, etc. */
    public Tensor gather(int dim, Tensor index) {
        return Indexing.gather(this, dim, index).rec("gather", in(this, index), Shape.axis("gather", dim, shape.length));
    }

    /** Out of place torch.scatter_add: a copy of this with src added at the positions index names along dim. */
    public Tensor scatterAdd(int dim, Tensor index, Tensor src) {
        return Indexing.scatterAdd(this, dim, index, src).rec("scatterAdd", in(this, index, src), Shape.axis("scatterAdd", dim, shape.length));
    }

    /** The entries of a 1-D integer index along dim. */
    public Tensor indexSelect(int dim, Tensor index) {
        return Indexing.indexSelect(this, dim, index).rec("indexSelect", in(this, index), Shape.axis("indexSelect", dim, shape.length));
    }

    /** One-hot encoding of an integer tensor: shape + [numClasses], int64; numClasses -1 means max + 1. */
    public Tensor oneHot(int numClasses) {
        return Indexing.oneHot(this, numClasses);
    }

    /** Stable sort along dim; NaN sorts as the largest value. */
    public ValuesIndices sort(int dim, boolean descending) {
        return Indexing.sort(this, dim, descending);
    }

    public Tensor argsort(int dim, boolean descending) {
        return sort(dim, descending).indices();
    }

    /** The k largest (or smallest) elements along dim, in order. */
    public ValuesIndices topk(int k, int dim, boolean largest) {
        int d = Shape.axis("topk", dim, Math.max(shape.length, 1));
        int n = shape.length == 0 ? 1 : shape[d];
        if (k < 0 || k > n) {
            throw new TensorShapeException("topk: k = " + k + " is out of range for dimension " + dim + " of size " + n
                    + " (shape " + Shape.str(shape) + ")");
        }
        ValuesIndices s = sort(d, largest);
        if (shape.length == 0) {
            return s;
        }
        return new ValuesIndices(s.values().narrow(d, 0, k), s.indices().narrow(d, 0, k));
    }

    /** Inclusive prefix sum along dim; integers accumulate in int64. */
    public Tensor cumsum(int dim) {
        return Indexing.cumsum(this, dim).rec("cumsum", in(this), Shape.axis("cumsum", dim, Math.max(1, shape.length)));
    }

    // ------------------------------------------------------------------ convolution, pooling, padding

    /** 2-D convolution of x [N, C, H, W] with weight [O, C/groups, kh, kw]; bias [O] may be null. */
    public Tensor conv2d(Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        return Convolution.conv2d(this, weight, bias, stride, padding, dilation, groups);
    }

    public Tensor conv2d(Tensor weight, Tensor bias, int stride, int padding) {
        return conv2d(weight, bias, new int[] {stride, stride}, new int[] {padding, padding}, new int[] {1, 1}, 1);
    }

    /** 1-D convolution of x [N, C, L] with weight [O, C/groups, k]. */
    public Tensor conv1d(Tensor weight, Tensor bias, int stride, int padding, int dilation, int groups) {
        return Convolution.conv1d(this, weight, bias, stride, padding, dilation, groups);
    }

    /**
     * Sliding local blocks, like {@code torch.nn.functional.unfold}: x [N, C, H, W] to
     * [N, C*kh*kw, L] where L is the number of block positions. Out-of-range positions read 0.
     */
    public Tensor unfold2d(int[] kernel, int[] stride, int[] padding, int[] dilation) {
        return Convolution.unfold2d(this, kernel, stride, padding, dilation);
    }

    /**
     * The adjoint of {@link #unfold2d} ({@code torch.nn.functional.fold}): sums blocks
     * [N, C*kh*kw, L] back into [N, C, outH, outW].
     */
    public Tensor fold2d(int[] outputSize, int[] kernel, int[] stride, int[] padding, int[] dilation) {
        return Convolution.fold2d(this, outputSize, kernel, stride, padding, dilation);
    }

    /** Max pooling over [N, C, H, W] (or [C, H, W]); padding is implicit -inf. */
    public Tensor maxPool2d(int[] kernel, int[] stride, int[] padding, int[] dilation) {
        return Convolution.maxPool2d(this, kernel, stride, padding, dilation);
    }

    public Tensor maxPool2d(int kernel) {
        return maxPool2d(new int[] {kernel, kernel}, new int[] {kernel, kernel}, new int[] {0, 0}, new int[] {1, 1});
    }

    /** Average pooling; countIncludePad as in PyTorch (default there: true). */
    public Tensor avgPool2d(int[] kernel, int[] stride, int[] padding, boolean countIncludePad) {
        return Convolution.avgPool2d(this, kernel, stride, padding, countIncludePad);
    }

    public Tensor avgPool2d(int kernel) {
        return avgPool2d(new int[] {kernel, kernel}, new int[] {kernel, kernel}, new int[] {0, 0}, true);
    }

    public Tensor maxPool1d(int kernel, int stride, int padding, int dilation) {
        checkPool1d("maxPool1d", kernel, stride, padding, dilation);
        return unsqueeze(-2).maxPool2d(new int[] {1, kernel}, new int[] {1, stride}, new int[] {0, padding}, new int[] {1, dilation}).squeeze(-2);
    }

    public Tensor avgPool1d(int kernel, int stride, int padding, boolean countIncludePad) {
        checkPool1d("avgPool1d", kernel, stride, padding, 1);
        return unsqueeze(-2).avgPool2d(new int[] {1, kernel}, new int[] {1, stride}, new int[] {0, padding}, countIncludePad).squeeze(-2);
    }

    /** 1-D pooling runs as 2-D pooling of height 1; its arguments are checked here so errors speak 1-D. */
    private void checkPool1d(String op, int kernel, int stride, int padding, int dilation) {
        if (shape.length != 2 && shape.length != 3) {
            throw new TensorShapeException(op + ": input must be [N, C, L] or [C, L], got " + Shape.str(shape));
        }
        if (kernel < 1 || stride < 1 || dilation < 1 || padding < 0) {
            throw new IllegalArgumentException(op + ": kernel " + kernel + ", stride " + stride + " and dilation " + dilation
                    + " must be >= 1 and padding " + padding + " >= 0");
        }
        if (padding > kernel / 2) {
            throw new IllegalArgumentException(op + ": padding " + padding + " must be at most half the kernel " + kernel);
        }
        int length = shape[shape.length - 1];
        if (length + 2 * padding < dilation * (kernel - 1) + 1) {
            throw new TensorShapeException(op + ": kernel of size " + kernel + " (dilation " + dilation + ") does not fit the input length "
                    + length + " with padding " + padding + " (shape " + Shape.str(shape) + ")");
        }
    }

    /**
     * Pads the last dimensions, PyTorch order: {@code pads = [lastLeft, lastRight, secondLastLeft, …]}.
     * Negative pads crop.
     */
    public Tensor pad(int[] pads, PadMode mode, double value) {
        if (pads == null || mode == null) {
            throw new IllegalArgumentException("pad: pads and mode must not be null");
        }
        return Convolution.pad(this, pads, mode, value);
    }

    // ------------------------------------------------------------------ comparison and printing

    /** |this - other| &lt;= atol + rtol * |other| everywhere (broadcasting), NaN equal to NaN when both are NaN. */
    public boolean allClose(Tensor other, double rtol, double atol) {
        int[] s = Shape.broadcast("allClose", shape, other.shape);
        double[] a = expandQuiet(s).toDoubleArray();
        double[] b = other.expandQuiet(s).toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            if (Double.isNaN(a[i]) || Double.isNaN(b[i])) {
                if (!(Double.isNaN(a[i]) && Double.isNaN(b[i]))) {
                    return false;
                }
            } else if (a[i] != b[i] && !(Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return TensorFormat.format(this);
    }

    // ------------------------------------------------------------------ argument checks shared by op classes

    static void requireComputable(String op, Tensor t) {
        if (!t.dtype().isComputable()) {
            throw new TensorTypeException(op + ": " + t.dtype() + " is a storage type; convert with to(DType.FLOAT32) first");
        }
    }

    static void requireFloatingTensor(String op, Tensor t) {
        if (!t.dtype().isFloating() || !t.dtype().isComputable()) {
            throw new TensorTypeException(op + ": expects a float32 or float64 tensor, got " + t.dtype()
                    + " (shape " + Shape.str(t.shape) + ")");
        }
    }

    private static void requireFloating(String op, DType d) {
        if (d != DType.FLOAT32 && d != DType.FLOAT64) {
            throw new TensorTypeException(op + ": expects float32 or float64, got " + d);
        }
    }

    /** Package-private constructor access for op classes in this package. */
    static Tensor view(Storage s, int[] shape, int[] strides, int offset) {
        return new Tensor(s, shape, strides, offset);
    }

    /** Lets op classes in this package record their outputs. */
    Tensor record(String op, Tensor[] inputs, Object... attrs) {
        return rec(op, inputs, attrs);
    }
}
