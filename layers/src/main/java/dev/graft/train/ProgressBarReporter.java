package dev.graft.train;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar per epoch with ETA and the running loss, drawn by me.tongfei:progressbar. The
 * only class of Graft that touches the library: {@link ProgressReporter#console} creates it by
 * name, only after checking the library is present.
 */
final class ProgressBarReporter implements ProgressReporter {
    private final PrintStream out;
    private ProgressBar bar;
    private LineSafeConsumer consumer;
    private int epochs;

    private final int width;

    ProgressBarReporter(PrintStream out) {
        this.out = out;
        this.width = width();
    }

    /**
     * The bar's width: {@code $COLUMNS} when set; 0 (the library measures the terminal through
     * jline) on an interactive terminal; else 100, so that off a terminal the library never tries
     * to open one.
     */
    private static int width() {
        try {
            int columns = Integer.parseInt(System.getenv().getOrDefault("COLUMNS", ""));
            if (columns >= 40) {
                return columns - 1;
            }
        } catch (NumberFormatException ignored) {
            // not set: measure or guess
        }
        java.io.Console c = System.console();
        boolean terminal = c != null && c.isTerminal();
        return terminal ? 0 : 100;
    }

    @Override
    public void startEpoch(int epoch, int epochs, int batches) {
        closeBar();
        this.epochs = epochs;
        bar = new ProgressBarBuilder()
                .setTaskName(String.format(Locale.ROOT, "epoch %d/%d", epoch, epochs))
                .setInitialMax(batches < 0 ? -1 : batches)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(200)
                .setUnit(" batches", 1)
                .setConsumer(consumer = new LineSafeConsumer(new ConsoleProgressBarConsumer(out, width), out))
                .build();
    }

    @Override
    public void batch(int done, double runningLoss) {
        if (bar != null) {
            bar.stepTo(done);
            bar.setExtraMessage("loss " + EpochResult.display(runningLoss));
        }
    }

    @Override
    public void endEpoch(EpochResult result) {
        if (bar != null) {
            bar.setExtraMessage("loss " + EpochResult.display(result.trainLoss()));
        }
        closeBar();
        out.println(PlainProgress.line(result, epochs));
        out.flush();
    }

    private void closeBar() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
        if (consumer != null) {
            // the library does not always close its consumer before returning; ending the line
            // here (once) keeps the epoch summary on a line of its own and drops late renders
            consumer.close();
            consumer = null;
        }
    }

    @Override
    public void close() {
        closeBar();
    }

    /**
     * Serialises the bar's renders (they come from the library's timer thread) and guarantees
     * exactly one line break after the last render once the bar is closed, so the epoch summary
     * always starts on its own line; a render that arrives after close is dropped.
     */
    private static final class LineSafeConsumer implements me.tongfei.progressbar.ProgressBarConsumer {
        private final ConsoleProgressBarConsumer inner;
        private final PrintStream out;
        private boolean closed;
        private boolean dirty;

        LineSafeConsumer(ConsoleProgressBarConsumer inner, PrintStream out) {
            this.inner = inner;
            this.out = out;
        }

        @Override
        public int getMaxRenderedLength() {
            return inner.getMaxRenderedLength();
        }

        @Override
        public synchronized void accept(String rendered) {
            if (!closed) {
                inner.accept(rendered);
                dirty = true;
            }
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                if (dirty) {
                    out.println();
                    out.flush();
                }
            }
        }
    }
}
