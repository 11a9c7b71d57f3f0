package dev.graft.tensor;

import dev.graft.tensor.spi.DeviceMemory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Deterministic release of device memory: every device allocation made on this thread while the
 * scope is open (tensors moved with {@link Tensor#to(Device)}, op results on a device, their
 * gradients) is freed when the scope closes, except what {@link #keep} took out of it.
 *
 * <pre>{@code
 * try (DeviceScope scope = DeviceScope.open()) {
 *     Tensor x = input.to(Device.cuda(0));
 *     Tensor y = scope.keep(model.forward(x));   // survives the scope
 * }                                              // everything else on the GPU is freed here
 * }</pre>
 *
 * <p>Scopes nest; memory belongs to the innermost one open on the allocating thread, and
 * {@link #keep} hands it to the enclosing scope (or to the garbage collector at the outermost
 * level). Memory made outside any scope is freed by the runtime's Cleaner once its storage is
 * unreachable. Using a tensor whose memory a closed scope released throws
 * {@link IllegalStateException}; it never reads freed memory. A scope is confined to the thread
 * that opened it and must be closed in the reverse order of opening.
 */
public final class DeviceScope implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<DeviceScope>> OPEN = ThreadLocal.withInitial(ArrayDeque::new);

    private final Thread owner = Thread.currentThread();
    private final Set<DeviceMemory> owned = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean closed;

    private DeviceScope() {
    }

    /** Opens a scope on this thread. */
    public static DeviceScope open() {
        DeviceScope s = new DeviceScope();
        OPEN.get().push(s);
        return s;
    }

    static void trackInCurrent(DeviceMemory memory) {
        ArrayDeque<DeviceScope> stack = OPEN.get();
        DeviceScope s = stack.peek();
        if (s != null) {
            s.owned.add(memory);
        }
    }

    /** Takes {@code t}'s device memory out of this scope (to the enclosing one, if any); returns {@code t}. */
    public Tensor keep(Tensor t) {
        checkOpen("keep");
        DeviceMemory m = t.storage().memoryIfAny();
        if (m != null && owned.remove(m)) {
            ArrayDeque<DeviceScope> stack = OPEN.get();
            boolean passed = false;
            for (DeviceScope s : stack) { // innermost first
                if (passed) {
                    s.owned.add(m);
                    break;
                }
                passed = s == this;
            }
        }
        return t;
    }

    /** Device allocations this scope will free. */
    public int size() {
        return owned.size();
    }

    private void checkOpen(String what) {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("DeviceScope." + what + ": the scope belongs to thread " + owner.getName());
        }
        if (closed) {
            throw new IllegalStateException("DeviceScope." + what + ": the scope is closed");
        }
    }

    /** Frees every device allocation the scope still owns. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        checkOpen("close");
        ArrayDeque<DeviceScope> stack = OPEN.get();
        if (stack.peek() != this) {
            throw new IllegalStateException("DeviceScope.close: an inner scope opened later is still open; close scopes in reverse order");
        }
        stack.pop();
        closed = true;
        List<RuntimeException> failures = new ArrayList<>();
        for (DeviceMemory m : owned) {
            try {
                m.release();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        owned.clear();
        if (!failures.isEmpty()) {
            RuntimeException first = failures.getFirst();
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }
}
