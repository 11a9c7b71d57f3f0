package dev.graft.train;

import java.io.PrintStream;

/**
 * Shows training progress. {@link Trainer} calls {@link #startEpoch}, then {@link #batch} after
 * every batch, then {@link #endEpoch}; {@link #close()} once at the end.
 *
 * <p>{@link #console(PrintStream)} draws a progress bar with ETA and running loss using
 * me.tongfei:progressbar when that optional library is on the classpath and prints one plain line
 * per epoch when it is not; {@link #auto(PrintStream)} also falls back to plain lines when the
 * output is not an interactive terminal (CI logs, files), where a redrawn bar is only noise. A
 * reporter never fails training: a progress bar that throws is replaced by plain lines.
 */
public interface ProgressReporter extends AutoCloseable {
    /** An epoch starts; {@code batches} is -1 when the number is unknown. */
    void startEpoch(int epoch, int epochs, int batches);

    /** {@code done} batches of this epoch are finished; {@code runningLoss} is the epoch's mean loss so far. */
    void batch(int done, double runningLoss);

    void endEpoch(EpochResult result);

    @Override
    default void close() {
    }

    /** The class the progress bar needs; checked by name so that nothing loads it when it is absent. */
    String PROGRESSBAR_CLASS = "me.tongfei.progressbar.ProgressBar";

    /**
     * Whether me.tongfei:progressbar and the part of jline it always needs can be loaded. The bar
     * renders on the library's own timer thread, where a missing class would fail silently and
     * leave an empty bar, so both are checked here, up front.
     */
    static boolean progressBarAvailable() {
        return OptionalLibrary.present(PROGRESSBAR_CLASS, ProgressReporter.class)
                && OptionalLibrary.present("org.jline.utils.WCWidth", ProgressReporter.class); // display width of characters
    }

    /** A progress bar when the library is present, else one plain line per epoch. */
    static ProgressReporter console(PrintStream out) {
        if (progressBarAvailable()) {
            ProgressReporter bar = OptionalLibrary.instantiate("dev.graft.train.ProgressBarReporter", ProgressReporter.class,
                    new Class<?>[] {PrintStream.class}, out);
            if (bar != null) {
                return new FailSafeProgress(bar, plain(out));
            }
        }
        return plain(out);
    }

    /** {@link #console} when {@code out} is an interactive terminal, else plain lines. */
    static ProgressReporter auto(PrintStream out) {
        java.io.Console c = System.console();
        boolean terminal = c != null && c.isTerminal() && (out == System.out || out == System.err);
        return terminal ? console(out) : plain(out);
    }

    /** One line per epoch: {@code epoch 3/10: train_loss 0.41, val_loss 0.44, val_accuracy 0.86, lr 0.1, 1.2s}. */
    static ProgressReporter plain(PrintStream out) {
        return new PlainProgress(out);
    }

    /** Prints nothing. */
    static ProgressReporter none() {
        return new ProgressReporter() {
            @Override
            public void startEpoch(int epoch, int epochs, int batches) {
            }

            @Override
            public void batch(int done, double runningLoss) {
            }

            @Override
            public void endEpoch(EpochResult result) {
            }
        };
    }
}
