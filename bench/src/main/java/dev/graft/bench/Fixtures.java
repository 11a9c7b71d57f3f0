package dev.graft.bench;

import dev.graft.tensor.Generator;
import dev.graft.tensor.Tensor;
import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.backend.Parallel;
import dev.graft.tensor.spi.Backend;

import java.util.function.Supplier;

/**
 * What every benchmark's {@code @Setup} needs: the backend named by the {@code backend} parameter,
 * the kernel thread count, and seeded random inputs, so that two runs time the same numbers.
 */
final class Fixtures {
    /** One seed for every input: a run on another machine multiplies exactly the same matrices. */
    static final long SEED = 20240601L;

    private Fixtures() {
    }

    /** The available backend called {@code name}; fails with the list of names when there is none. */
    static Backend backend(String name) {
        return Backends.available().stream()
                .filter(b -> b.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("backend '" + name + "' is not available here; available: "
                        + Backends.available().stream().map(Backend::name).toList()));
    }

    /** Sets the kernel pool size for this fork; every benchmark runs in its own JVM, so nothing needs restoring. */
    static void threads(int n) {
        Parallel.setThreads(n);
    }

    /** Standard-normal float32 tensor; each call draws from its own generator so inputs do not depend on call order. */
    static Tensor randn(long stream, int... shape) {
        return Tensor.randn(new Generator(SEED + stream), shape);
    }

    /** Runs {@code op} with {@code backend} as the calling thread's backend. */
    static Tensor on(Backend backend, Supplier<Tensor> op) {
        return Backends.with(backend, op);
    }
}
