package dev.graft.tensor;

import dev.graft.tensor.spi.Backend;
import dev.graft.tensor.spi.DeviceMemory;
import dev.graft.tensor.spi.DeviceRuntime;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A pretend accelerator, device type {@code "sim"}, whose "device memory" is a separate heap array.
 * It exists so that device code paths (placement, host fallbacks, the coherence of host and device
 * copies, {@link DeviceScope}, gradients flowing back across devices) can be tested and debugged on
 * any machine, CI included, exactly as they run with CUDA. It is off unless
 * {@code -Dgraft.sim.devices=N} (N &gt; 0) is set, and then offers {@code sim:0 … sim:N-1}.
 *
 * <p>Its device kernels (computed on the CPU, reading and writing the simulated memory) are the
 * elementwise primitives, copies, fills, reductions, convolution unfold/fold, gather and float32
 * matmul; float64 matmul, scatterAdd, indexSelect, sort and cumsum take the host fallback, so both routes of
 * {@link DeviceDispatch} run. Every
 * transfer is counted ({@link #uploads()}, {@link #downloads()}), which is how tests prove that a
 * chain of device kernels copies nothing to the host.
 */
public final class SimulatedDeviceRuntime implements DeviceRuntime {
    private static final AtomicLong UPLOADS = new AtomicLong();
    private static final AtomicLong DOWNLOADS = new AtomicLong();
    private static final AtomicLong LIVE = new AtomicLong();

    /** Public for {@link java.util.ServiceLoader}. */
    public SimulatedDeviceRuntime() {
    }

    @Override
    public String type() {
        return "sim";
    }

    @Override
    public boolean available() {
        return deviceCount() > 0;
    }

    @Override
    public String unavailableReason() {
        return available() ? "" : "the simulated device is off (set -Dgraft.sim.devices=N to test device code without an accelerator)";
    }

    @Override
    public int deviceCount() {
        return Math.max(0, Integer.getInteger("graft.sim.devices", 0));
    }

    /** Host-to-device copies so far (all simulated devices). */
    public static long uploads() {
        return UPLOADS.get();
    }

    /** Device-to-host copies so far. */
    public static long downloads() {
        return DOWNLOADS.get();
    }

    /** Simulated allocations not yet released. */
    public static long liveAllocations() {
        return LIVE.get();
    }

    @Override
    public DeviceMemory allocate(Device device, DType dtype, long length) {
        if (length < 0 || length > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("sim: cannot allocate " + length + " elements of " + dtype);
        }
        LIVE.incrementAndGet();
        return new Memory(device, dtype, Storage.allocate(dtype, length).array(), (int) length);
    }

    /** A CPU view over t's simulated device memory, current for reading. */
    private static Tensor read(Tensor t) {
        if (t == null || t.device().isCpu()) { // absent, or a CPU scalar taken by value
            return t;
        }
        return t.withStorage(Storage.wrap(t.dtype(), ((Memory) t.storage().deviceForRead()).data()));
    }

    /** A CPU view over t's simulated device memory, about to be written (the host mirror goes stale). */
    private static Tensor write(Tensor t) {
        if (t == null) {
            return null;
        }
        boolean all = t.offset() == 0 && t.numel() == t.storage().length() && t.isContiguous();
        return t.withStorage(Storage.wrap(t.dtype(), ((Memory) t.storage().deviceForWrite(all)).data()));
    }

    private static Backend host() {
        return DeviceDispatch.hostOf(dev.graft.tensor.backend.Backends.current());
    }

    @Override
    public boolean matmul(Tensor a, Tensor b, Tensor out) {
        if (a.dtype() != DType.FLOAT32) {
            return false;
        }
        host().matmul(read(a), read(b), write(out));
        return true;
    }

    @Override
    public boolean unary(dev.graft.tensor.spi.UnaryOp op, double p0, double p1, Tensor x, Tensor out) {
        host().unary(op, p0, p1, read(x), write(out));
        return true;
    }

    @Override
    public boolean binary(dev.graft.tensor.spi.BinaryOp op, Tensor a, Tensor b, Tensor out) {
        host().binary(op, read(a), read(b), write(out));
        return true;
    }

    @Override
    public boolean where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        host().where(read(cond), read(a), read(b), write(out));
        return true;
    }

    @Override
    public boolean copy(Tensor src, Tensor dst) {
        Tensor from = read(src);
        host().copy(from, write(dst));
        return true;
    }

    @Override
    public boolean fill(Tensor dst, double value) {
        host().fill(write(dst), value);
        return true;
    }

    @Override
    public boolean unfold2d(Tensor x, int[] g, double padValue, Tensor out) {
        host().unfold2d(read(x), g, padValue, write(out));
        return true;
    }

    @Override
    public boolean fold2d(Tensor cols, int[] g, Tensor out) {
        Tensor o = out.withStorage(Storage.wrap(out.dtype(), ((Memory) out.storage().deviceForWrite(false)).data()));
        host().fold2d(read(cols), g, o); // accumulates into out
        return true;
    }

    @Override
    public boolean gather(Tensor x, int dim, Tensor index, Tensor out) {
        host().gather(read(x), dim, read(index), write(out));
        return true;
    }

    @Override
    public boolean reduce(dev.graft.tensor.spi.ReduceOp op, Tensor x, Tensor out, Tensor indices) {
        host().reduce(op, read(x), write(out), write(indices));
        return true;
    }

    @Override
    public void synchronize(Device device) {
        // nothing is asynchronous here
    }

    @Override
    public String report() {
        return available() ? "simulated devices on the heap (-Dgraft.sim.devices), for testing device code paths" : "";
    }

    private static final class Memory implements DeviceMemory {
        private final Device device;
        private final DType dtype;
        private final int length;
        private final AtomicBoolean released = new AtomicBoolean();
        private final Object data;

        Memory(Device device, DType dtype, Object data, int length) {
            this.device = device;
            this.dtype = dtype;
            this.data = data;
            this.length = length;
        }

        Object data() {
            check();
            return data;
        }

        private void check() {
            if (released.get()) {
                throw new IllegalStateException("sim: memory on " + device + " was released");
            }
        }

        private void checkRange(String what, Object host, int hostOff, long at, int count) {
            if (host == null || host.getClass() != data.getClass()) {
                throw new IllegalArgumentException("sim " + what + ": a " + (host == null ? "null" : host.getClass().getSimpleName())
                        + " cannot hold " + dtype);
            }
            int hostLength = java.lang.reflect.Array.getLength(host);
            if (count < 0 || hostOff < 0 || at < 0 || (long) hostOff + count > hostLength || at + count > length) {
                throw new IllegalArgumentException("sim " + what + ": " + count + " elements at host offset " + hostOff + " (length "
                        + hostLength + ") and device offset " + at + " (length " + length + ") do not fit");
            }
        }

        @Override
        public Device device() {
            return device;
        }

        @Override
        public DType dtype() {
            return dtype;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public void upload(Object host, int from, long at, int count) {
            check();
            checkRange("upload", host, from, at, count);
            System.arraycopy(host, from, data, (int) at, count);
            UPLOADS.incrementAndGet();
        }

        @Override
        public void download(long at, Object host, int to, int count) {
            check();
            checkRange("download", host, to, at, count);
            System.arraycopy(data, (int) at, host, to, count);
            DOWNLOADS.incrementAndGet();
        }

        @Override
        public void release() {
            if (released.compareAndSet(false, true)) {
                LIVE.decrementAndGet();
            }
        }

        @Override
        public boolean isReleased() {
            return released.get();
        }
    }
}
