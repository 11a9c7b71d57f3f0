package dev.graft.train;

/**
 * Runs a reporter that uses an optional library; if it throws (or a class of the library turns
 * out to be missing), switches to the fallback for the rest of the run. Display must never stop
 * training.
 */
final class FailSafeProgress implements ProgressReporter {
    private ProgressReporter active;
    private final ProgressReporter fallback;
    private int epochs;

    FailSafeProgress(ProgressReporter primary, ProgressReporter fallback) {
        this.active = primary;
        this.fallback = fallback;
    }

    private void failed(Throwable t) {
        if (active != fallback) {
            try {
                active.close();
            } catch (RuntimeException | LinkageError ignored) {
                // already failing; the fallback takes over
            }
            active = fallback;
            System.getLogger(ProgressReporter.class.getName()).log(System.Logger.Level.WARNING,
                    "progress bar disabled after an error; printing one line per epoch instead: " + t);
        }
    }

    @Override
    public void startEpoch(int epoch, int epochs, int batches) {
        this.epochs = epochs;
        try {
            active.startEpoch(epoch, epochs, batches);
        } catch (RuntimeException | LinkageError e) {
            failed(e);
            fallback.startEpoch(epoch, epochs, batches);
        }
    }

    @Override
    public void batch(int done, double runningLoss) {
        try {
            active.batch(done, runningLoss);
        } catch (RuntimeException | LinkageError e) {
            failed(e);
        }
    }

    @Override
    public void endEpoch(EpochResult result) {
        try {
            active.endEpoch(result);
        } catch (RuntimeException | LinkageError e) {
            failed(e);
            fallback.startEpoch(result.epoch(), epochs, -1);
            fallback.endEpoch(result);
        }
    }

    @Override
    public void close() {
        try {
            active.close();
        } catch (RuntimeException | LinkageError e) {
            // nothing left to show
        }
    }
}
