package dev.graft.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code graft} command: a container for subcommands. Run through the {@code ./graft}
 * launcher, which adds the JVM flags Graft needs. Without a subcommand it prints its usage.
 */
@Command(
    name = "graft",
    mixinStandardHelpOptions = true,
    versionProvider = GraftCli.Version.class,
    description = "Graft: neural networks and transfer learning on the JVM.",
    subcommands = {DoctorCommand.class, BenchCommand.class, InspectCommand.class, RunCommand.class, OnnxTestCommand.class, EmbedCommand.class})
public final class GraftCli implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new GraftCli()).execute(args));
  }

  /** Reads the version from the jar manifest; "dev" when run from classes (IDE, tests). */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = GraftCli.class.getPackage().getImplementationVersion();
      return new String[] {"graft " + (v == null ? "dev" : v)};
    }
  }
}
