package dev.graft.tensor.backend.simd;

import dev.graft.tensor.backend.VectorInfo;
import dev.graft.tensor.spi.Backend;
import dev.graft.tensor.spi.BackendProvider;

import java.util.Optional;

/** The Vector API backend; available when the JVM was started with the incubator module. */
public final class VectorBackendProvider implements BackendProvider {
    private static volatile Backend instance;

    @Override
    public String name() {
        return "java-simd";
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Optional<Backend> create() {
        if (!VectorInfo.available()) {
            return Optional.empty();
        }
        Backend b = instance;
        if (b == null) {
            synchronized (VectorBackendProvider.class) {
                if (instance == null) {
                    instance = new VectorBackend();
                }
                b = instance;
            }
        }
        return Optional.of(b);
    }

    @Override
    public String unavailableReason() {
        return VectorInfo.available() ? "" : "module jdk.incubator.vector is not loaded (add --add-modules jdk.incubator.vector)";
    }
}
