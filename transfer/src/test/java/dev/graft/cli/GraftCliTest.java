package dev.graft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class GraftCliTest {

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  @Test
  void doctorReportsJavaAndBackends() {
    CliRun r = run("doctor");
    assertEquals(0, r.exit(), () -> "stderr: " + r.err() + "\nstdout: " + r.out());
    assertTrue(r.out().contains("Java"), r.out());
    // DoctorCommand itself never prints "backend": this checks that Backends.report() was appended.
    assertTrue(r.out().toLowerCase(Locale.ROOT).contains("backend"), r.out());
    // and Devices.report(): the device runtimes found (the simulated one at least, off unless asked for)
    assertTrue(r.out().contains("devices:"), r.out());
    assertTrue(r.out().contains("sim: unavailable") || r.out().contains("sim: 1"), r.out());
  }

  @Test
  void doctorHelpPrintsUsage() {
    CliRun r = run("doctor", "--help");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("Usage: graft doctor"), r.out());
  }

  @Test
  void versionOptionWorks() {
    CliRun r = run("--version");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().startsWith("graft "), r.out());
  }
}
