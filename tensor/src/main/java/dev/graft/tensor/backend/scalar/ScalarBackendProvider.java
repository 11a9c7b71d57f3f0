package dev.graft.tensor.backend.scalar;

import dev.graft.tensor.spi.Backend;
import dev.graft.tensor.spi.BackendProvider;

import java.util.Optional;

/** Always available; chosen only when nothing faster is, or when forced with -Dgraft.backend=scalar. */
public final class ScalarBackendProvider implements BackendProvider {
    private static final Backend INSTANCE = new ScalarBackend();

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Optional<Backend> create() {
        return Optional.of(INSTANCE);
    }
}
