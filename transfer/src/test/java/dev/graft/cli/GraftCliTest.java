package dev.graft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class GraftCliTest {

  /** Output of one run of the command line: exit code, stdout, stderr. */
  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new GraftCli());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void doctorReportsJavaAndBackends() {
    Run r = run("doctor");
    assertEquals(0, r.exit(), () -> "stderr: " + r.err() + "\nstdout: " + r.out());
    assertTrue(r.out().contains("Java"), r.out());
    // DoctorCommand itself never prints "backend": this checks that Backends.report() was appended.
    assertTrue(r.out().toLowerCase(Locale.ROOT).contains("backend"), r.out());
  }

  @Test
  void doctorHelpPrintsUsage() {
    Run r = run("doctor", "--help");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("Usage: graft doctor"), r.out());
  }

  @Test
  void versionOptionWorks() {
    Run r = run("--version");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().startsWith("graft "), r.out());
  }
}
