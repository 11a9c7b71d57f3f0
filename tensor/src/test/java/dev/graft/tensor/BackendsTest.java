package dev.graft.tensor;

import dev.graft.tensor.backend.Backends;
import dev.graft.tensor.spi.Backend;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backend discovery and the per-thread override the parameterised tests rely on. */
class BackendsTest {

    @Test
    void bothBackendsAreAvailableUnderTheTestFlags() {
        List<String> names = Backends.available().stream().map(Backend::name).toList();
        // surefire adds --add-modules jdk.incubator.vector, so the suite really runs the SIMD backend too
        assertEquals(List.of("java-simd", "scalar"), names, "highest priority first");
        String report = Backends.report();
        assertTrue(report.contains("java-simd") && report.contains("scalar"), report);
    }

    @Test
    void withOverridesAndRestores() {
        Backend before = Backends.current();
        Backend scalar = Backends.available().get(1);
        Backend simd = Backends.available().get(0);
        Backends.with(scalar, () -> {
            assertSame(scalar, Backends.current());
            Backends.with(simd, () -> assertSame(simd, Backends.current()));
            assertSame(scalar, Backends.current(), "nested with restores the outer override");
        });
        assertSame(before, Backends.current());
        try {
            Backends.with(scalar, (Runnable) () -> {
                throw new IllegalStateException("boom");
            });
        } catch (IllegalStateException expected) {
            // fall through
        }
        assertSame(before, Backends.current(), "an exception does not leak the override");
    }
}
