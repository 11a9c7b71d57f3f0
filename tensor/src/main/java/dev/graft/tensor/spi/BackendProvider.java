package dev.graft.tensor.spi;

import java.util.Optional;

/**
 * Found through {@link java.util.ServiceLoader}: one per backend implementation. The highest
 * priority backend that is available is selected unless {@code -Dgraft.backend=NAME} names one.
 */
public interface BackendProvider {
    String name();

    /** Higher wins. The scalar reference backend is 0, the Vector API backend 100. */
    int priority();

    /** The backend, or empty with the reason in {@link #unavailableReason()}. */
    Optional<Backend> create();

    /** Why {@link #create()} is empty, for {@code graft doctor}; empty string when available. */
    default String unavailableReason() {
        return "";
    }

    /**
     * Further lines for {@code graft doctor}, printed indented under this provider's line: which
     * native library was found, its version, which path each op size takes. Called whether or not
     * the backend is available (so it can say what was tried); empty string when there is nothing
     * to add.
     */
    default String details() {
        return "";
    }
}
