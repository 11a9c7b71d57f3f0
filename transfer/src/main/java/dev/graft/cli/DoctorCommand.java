package dev.graft.cli;

import dev.graft.tensor.Devices;
import dev.graft.tensor.backend.Backends;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code graft doctor}: prints what a bug report needs about this machine and JVM, then the
 * tensor engine's own report (vector species, threads, available and selected backends) and the
 * devices (CUDA through graft-kernels-native: library, version, GPUs, or why it is unavailable).
 * Exit code 1 when that report cannot be produced, so scripts can use doctor as a health check.
 */
@Command(
    name = "doctor",
    description = "Print the Java runtime, the machine, and the tensor backends Graft would use.")
final class DoctorCommand implements Callable<Integer> {

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
  boolean help;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Runtime rt = Runtime.getRuntime();
    out.printf("Java:       %s (%s)%n", Runtime.version(), System.getProperty("java.vendor"));
    out.printf("java.home:  %s%n", System.getProperty("java.home"));
    out.printf("OS/arch:    %s %s / %s%n",
        System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("os.arch"));
    out.printf("CPUs:       %d%n", rt.availableProcessors());
    out.printf("Max heap:   %d MiB%n", rt.maxMemory() / (1024 * 1024));
    boolean vector = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    out.printf("Vector API: %s%n", vector
        ? "jdk.incubator.vector present"
        : "jdk.incubator.vector MISSING: run the JVM with --add-modules=jdk.incubator.vector");
    out.println();
    try {
      out.println(Backends.report().stripTrailing());
      out.println(Devices.report().stripTrailing());
    } catch (Throwable t) { // LinkageError included: doctor must report, not crash
      out.flush();
      PrintWriter err = spec.commandLine().getErr();
      err.println("Tensor report failed: " + t);
      err.flush();
      return 1;
    }
    out.flush();
    return 0;
  }
}
