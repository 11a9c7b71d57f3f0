/**
 * The {@code graft} command line (picocli): {@link dev.graft.cli.GraftCli} and its subcommands.
 *
 * <p>May depend on every Graft module below it (tensor, autograd, layers, transfer) and on picocli.
 * Nothing depends on this package; library code must not call it. The kernels-native module is
 * never referenced here: the launcher puts it on the class path and ServiceLoader finds it.
 */
package dev.graft.cli;
