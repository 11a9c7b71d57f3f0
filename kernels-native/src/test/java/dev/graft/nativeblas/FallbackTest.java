package dev.graft.nativeblas;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When the BLAS named by -Dgraft.blas.library cannot be used, the blas backend is unavailable with
 * a reason that names the setting and the problem, nothing else is tried in its place, one line is
 * logged, and every result comes from the pure-Java backend.
 */
class FallbackTest {

    private static String reason(BlasLocator.Settings s) {
        Object r = Cblas.find(s);
        return assertInstanceOf(String.class, r, "expected no library, got " + r);
    }

    @Test
    void aMissingFileIsReportedAndNothingElseIsTried() {
        String r = reason(BlasLocator.Settings.fromSystem().withExplicit("/nonexistent/libopenblas.so.0"));
        assertEquals("-Dgraft.blas.library=/nonexistent/libopenblas.so.0: no such file", r);
    }

    @Test
    void aFileThatIsNotALibrarySaysWhy(@TempDir Path dir) throws IOException {
        Path junk = Files.writeString(dir.resolve("libjunk.so"), "not an ELF file");
        String r = reason(BlasLocator.Settings.fromSystem().withExplicit(junk.toString()));
        assertTrue(r.startsWith("-Dgraft.blas.library=" + junk + ": cannot open"), r);
        // the dynamic linker's own words, e.g. "invalid ELF header" or "file too short"
        assertTrue(r.contains("ELF") || r.contains("too short"), r);
    }

    @Test
    void aLibraryWithoutCblasIsRefused() {
        String r = reason(BlasLocator.Settings.fromSystem().withExplicit("libm.so.6"));
        assertTrue(r.contains("exports no cblas_sgemm"), r);
    }

    @Test
    void noneTurnsItOff() {
        assertEquals("turned off by -Dgraft.blas.library=none", reason(BlasLocator.Settings.fromSystem().withExplicit("none")));
    }

    @Test
    void bundledExtractsIntoTheGivenCacheFolder(@TempDir Path cache) {
        BlasLocator.Settings s = BlasLocator.Settings.fromSystem();
        Object r = Cblas.find(new BlasLocator.Settings("bundled", "-Dgraft.blas.library", s.loader(), cache));
        Cblas c = assertInstanceOf(Cblas.class, r, String.valueOf(r));
        assertTrue(c.location().startsWith(cache.resolve("openblas-").toString()), c.location());
        assertTrue(c.source().startsWith("bundled org.bytedeco:openblas:"), c.source());
        try (var files = Files.list(cache)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(2, names.size(), "the library folder and its index, no temporary leftovers: " + names);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        // a second lookup takes the index shortcut to the same folder
        Object again = Cblas.find(new BlasLocator.Settings("bundled", "-Dgraft.blas.library", s.loader(), cache));
        assertEquals(c.location(), assertInstanceOf(Cblas.class, again).location());
    }

    @Test
    void aChildJvmWithAMissingLibraryRunsInJava() throws Exception {
        ChildJvm.Result r = ChildJvm.run(FallbackMain.class, "-Dgraft.blas.library=/nonexistent/libopenblas.so.0");
        String out = r.out();
        String err = r.err();
        assertEquals(0, r.exit(), out + err);
        assertTrue(out.contains("backend=java-simd"), out);
        assertTrue(out.contains("product=[58.0, 64.0, 139.0, 154.0]"), out);
        assertTrue(out.contains("unavailable: -Dgraft.blas.library=/nonexistent/libopenblas.so.0: no such file"), out);
        long logLines = err.lines().filter(l -> l.contains("no BLAS library")).count();
        assertEquals(1, logLines, "one log line, got:\n" + err);
        assertTrue(err.contains("matmul runs in Java"), err);
    }
}
