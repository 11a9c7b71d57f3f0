package dev.graft.autograd;

/**
 * A scope in which no op records a graph: {@code try (var g = NoGrad.enter()) { ... }}. Scopes
 * nest; each thread has its own.
 */
public final class NoGrad implements AutoCloseable {
    private boolean closed;

    private NoGrad() {
        GradMode.disable();
    }

    public static NoGrad enter() {
        return new NoGrad();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            GradMode.restore();
        }
    }
}
