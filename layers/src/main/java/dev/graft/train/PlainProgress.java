package dev.graft.train;

import java.io.PrintStream;

/** One line per epoch, with no dependency beyond the JDK. */
final class PlainProgress implements ProgressReporter {
    private final PrintStream out;
    private int epochs;

    PlainProgress(PrintStream out) {
        this.out = out;
    }

    @Override
    public void startEpoch(int epoch, int epochs, int batches) {
        this.epochs = epochs;
    }

    @Override
    public void batch(int done, double runningLoss) {
    }

    @Override
    public void endEpoch(EpochResult result) {
        out.println(line(result, epochs));
        out.flush();
    }

    static String line(EpochResult r, int epochs) {
        return "epoch " + r.epoch() + "/" + epochs + ": " + r.summary();
    }
}
