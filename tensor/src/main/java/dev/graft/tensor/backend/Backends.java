package dev.graft.tensor.backend;

import dev.graft.tensor.spi.Backend;
import dev.graft.tensor.spi.BackendProvider;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Finds the backends on the classpath ({@link ServiceLoader} over {@link BackendProvider}), picks
 * the available one with the highest priority, or the one named by {@code -Dgraft.backend=NAME},
 * and reports the choice once. Tests run one body on every backend with {@link #with}.
 */
public final class Backends {
    private static final Logger LOG = Logger.getLogger(Backends.class.getName());
    private static final List<BackendProvider> PROVIDERS = loadProviders();
    private static volatile Backend selected;
    private static final ThreadLocal<Backend> OVERRIDE = new ThreadLocal<>();
    private static volatile boolean deviceDispatch;
    private static final boolean PROFILE = dev.graft.tensor.TimedBackend.enabled();
    private static final java.util.Map<Backend, Backend> TIMED = new java.util.concurrent.ConcurrentHashMap<>();
    private static final java.util.Map<Backend, Backend> DISPATCHERS = new java.util.concurrent.ConcurrentHashMap<>();

    private Backends() {
    }

    private static List<BackendProvider> loadProviders() {
        List<BackendProvider> list = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class).forEach(list::add);
        list.sort(Comparator.comparingInt(BackendProvider::priority).reversed());
        return List.copyOf(list);
    }

    /**
     * The backend ops on this thread use now. Once any tensor has been placed on an accelerator it
     * comes wrapped in a {@link dev.graft.tensor.DeviceDispatch}, which routes device tensors.
     */
    public static Backend current() {
        Backend b = OVERRIDE.get();
        if (b == null) {
            b = selected;
            if (b == null) {
                b = select();
            }
        }
        Backend r = deviceDispatch && !(b instanceof dev.graft.tensor.DeviceDispatch)
                ? DISPATCHERS.computeIfAbsent(b, dev.graft.tensor.DeviceDispatch::new) : b;
        return PROFILE && !(r instanceof dev.graft.tensor.TimedBackend) ? TIMED.computeIfAbsent(r, dev.graft.tensor.TimedBackend::new) : r;
    }

    /** Called when the first tensor is placed on an accelerator: from then on {@link #current()} dispatches by device. */
    public static void enableDeviceDispatch() {
        deviceDispatch = true;
    }

    private static synchronized Backend select() {
        if (selected != null) {
            return selected;
        }
        String forced = System.getProperty("graft.backend");
        Backend chosen = null;
        if (forced != null && !forced.isBlank()) {
            BackendProvider p = PROVIDERS.stream().filter(x -> x.name().equals(forced.trim())).findFirst()
                    .orElseThrow(() -> new IllegalStateException("-Dgraft.backend=" + forced + ": no such backend; known: "
                            + PROVIDERS.stream().map(BackendProvider::name).toList()));
            chosen = p.create().orElseThrow(() -> new IllegalStateException("-Dgraft.backend=" + forced
                    + ": backend is not available here: " + p.unavailableReason()));
        } else {
            for (BackendProvider p : PROVIDERS) {
                var b = p.create();
                if (b.isPresent()) {
                    chosen = b.get();
                    break;
                }
            }
        }
        if (chosen == null) {
            throw new IllegalStateException("no tensor backend available; providers: " + PROVIDERS.stream().map(BackendProvider::name).toList());
        }
        LOG.fine("graft: backend " + chosen.name() + " (" + chosen.description() + "), " + Parallel.threads() + " threads");
        selected = chosen;
        return chosen;
    }

    /** Every backend that can run here, highest priority first. */
    public static List<Backend> available() {
        List<Backend> out = new ArrayList<>();
        for (BackendProvider p : PROVIDERS) {
            p.create().ifPresent(out::add);
        }
        return out;
    }

    /** Runs {@code body} with {@code backend} as this thread's backend. */
    public static <T> T with(Backend backend, Supplier<T> body) {
        Backend prev = OVERRIDE.get();
        OVERRIDE.set(backend);
        try {
            return body.get();
        } finally {
            if (prev == null) {
                OVERRIDE.remove();
            } else {
                OVERRIDE.set(prev);
            }
        }
    }

    public static void with(Backend backend, Runnable body) {
        with(backend, () -> {
            body.run();
            return null;
        });
    }

    /** The report {@code graft doctor} prints: vector shape, threads, every backend and the selected one. */
    public static String report() {
        StringBuilder sb = new StringBuilder();
        sb.append("vector species:  ").append(VectorInfo.describe()).append('\n');
        sb.append("kernel threads:  ").append(Parallel.threads())
                .append(System.getProperty("graft.threads") != null ? " (from -Dgraft.threads)" : " (available processors)").append('\n');
        sb.append("backends:\n");
        for (BackendProvider p : PROVIDERS) {
            var b = p.create();
            sb.append(String.format("  %-12s priority %3d  %s%n", p.name(), p.priority(),
                    b.map(x -> "available: " + x.description()).orElse("unavailable: " + p.unavailableReason())));
            String details;
            try {
                details = p.details();
            } catch (RuntimeException | LinkageError e) { // a provider's report must not break doctor
                details = "details failed: " + e;
            }
            details.lines().filter(l -> !l.isBlank()).forEach(l -> sb.append("      ").append(l).append('\n'));
        }
        Backend s = current();
        sb.append("selected backend: ").append(s.name());
        String forced = System.getProperty("graft.backend");
        sb.append(forced != null ? " (forced by -Dgraft.backend)" : " (highest priority available; force with -Dgraft.backend=NAME)");
        return sb.append('\n').toString();
    }
}
