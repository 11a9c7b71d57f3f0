package dev.graft.train;

import dev.graft.autograd.NoGrad;
import dev.graft.data.Batch;
import dev.graft.data.DataLoader;
import dev.graft.loss.Losses;
import dev.graft.nn.Module;
import dev.graft.optim.Optimizer;
import dev.graft.optim.lr.LRScheduler;
import dev.graft.optim.lr.ReduceLROnPlateau;
import dev.graft.tensor.Tensor;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A small training loop, for when writing it by hand is not the point:
 * <pre>{@code
 * var trainer = Trainer.builder(model)
 *         .optimizer(new AdamW(model.parameters(), 1e-3))
 *         .epochs(20)
 *         .topK(5)
 *         .earlyStopping(EarlyStopping.min("val_loss").patience(3).restoreBestWeights(true))
 *         .scheduler(cosine)                      // or .plateau(reduceOnPlateau, "val_loss")
 *         .csvLog(dir.resolve("log.csv")).jsonLog(dir.resolve("log.jsonl")).plot(dir.resolve("curves.png"))
 *         .build();
 * History h = trainer.fit(trainLoader, valLoader);
 * }</pre>
 *
 * <p>Each epoch: the model in train mode; for every batch {@code zeroGrad}, forward, loss,
 * {@code backward}, {@code step} (and the per-batch scheduler, if any); then, with a validation
 * loader, an evaluation in eval mode under {@link NoGrad}; then the {@link EpochResult} goes to the
 * progress reporter, the logs and plot, your listeners, the per-epoch schedulers and early
 * stopping, in that order. The loss function must return a mean over the batch (a scalar); the
 * epoch losses are means over examples (batch means weighted by batch size).
 *
 * <p>Accuracy, top-k and macro-F1 are computed when targets are 1-D integer class indices and
 * outputs are {@code [N, C]} scores (or binary logits); otherwise they are NaN. A non-finite
 * training loss stops the run with an exception naming the epoch and batch (logs written so far
 * stay flushed).
 *
 * <p>Only {@link ProgressReporter} and {@link CurvePlotter} may use optional libraries, and both
 * fall back when those are absent; the loop itself needs nothing beyond the JDK.
 */
public final class Trainer {
    /** A loss of a batch: outputs and targets in, a scalar (mean over the batch) out. */
    @FunctionalInterface
    public interface LossFunction {
        Tensor apply(Tensor outputs, Tensor targets);
    }

    private final Module model;
    private final LossFunction loss;
    private final OptimizerHandle optimizer;
    private final int epochs;
    private final int numClasses;
    private final int[] topK;
    private final EarlyStopping earlyStopping;
    private final List<Runnable> batchSchedulers;
    private final List<EpochListener> schedulers;
    private final List<String> monitored;
    private final List<EpochListener> listeners;
    private final ProgressReporter progress;
    private final Path csvLog;
    private final Path jsonLog;
    private final Path plotPath;
    private final CurvePlotter plotter;

    private Trainer(Builder b) {
        this.model = b.model;
        this.loss = b.loss;
        this.optimizer = Objects.requireNonNull(b.optimizer, "Trainer: no optimizer; call optimizer(...) on the builder");
        this.epochs = b.epochs;
        this.numClasses = b.numClasses;
        this.topK = b.topK;
        this.earlyStopping = b.earlyStopping;
        this.batchSchedulers = List.copyOf(b.batchSchedulers);
        this.schedulers = List.copyOf(b.schedulers);
        this.monitored = List.copyOf(b.monitored);
        this.listeners = List.copyOf(b.listeners);
        this.progress = b.progress != null ? b.progress : ProgressReporter.auto(System.err);
        this.csvLog = b.csvLog;
        this.jsonLog = b.jsonLog;
        this.plotPath = b.plotPath;
        this.plotter = b.plotter;
    }

    public static Builder builder(Module model) {
        return new Builder(model);
    }

    public Module model() {
        return model;
    }

    /** Trains without validation. */
    public History fit(Iterable<Batch> train) {
        return fit(train, null);
    }

    /**
     * Trains for the configured epochs (fewer if early stopping says so) and returns every
     * epoch's result. With early stopping and {@code restoreBestWeights}, the model ends with the
     * best epoch's weights.
     *
     * @param validation evaluated after every epoch, or null
     */
    public History fit(Iterable<Batch> train, Iterable<Batch> validation) {
        Objects.requireNonNull(train, "train");
        List<String> keys = metricKeys(validation != null);
        for (String m : monitored) {
            if (!keys.contains(m)) {
                throw new IllegalArgumentException("Trainer: cannot monitor \"" + m + "\"; this run records " + keys
                        + (validation == null && m.startsWith("val_") ? " (there is no validation loader)" : ""));
            }
        }
        if (earlyStopping != null) {
            earlyStopping.reset();
        }
        List<EpochResult> history = new ArrayList<>();
        List<EpochListener> all = new ArrayList<>();
        boolean stoppedEarly = false;
        try {
            if (csvLog != null) {
                all.add(EpochLog.csv(csvLog));
            }
            if (jsonLog != null) {
                all.add(EpochLog.jsonLines(jsonLog));
            }
            if (plotPath != null) {
                all.add(new Plot(plotter != null ? plotter : CurvePlotter.auto(), plotPath));
            }
            all.addAll(listeners);
            all.addAll(schedulers);
            int batches = train instanceof DataLoader<?> dl ? dl.numBatches() : -1;
            for (int epoch = 1; epoch <= epochs; epoch++) {
                EpochResult r = runEpoch(epoch, batches, train, validation, keys);
                history.add(r);
                progress.endEpoch(r);
                for (EpochListener l : all) {
                    l.onEpochEnd(r);
                }
                if (earlyStopping != null && earlyStopping.observe(epoch, r.get(earlyStopping.monitor()), model)) {
                    stoppedEarly = epoch < epochs;
                    break;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Trainer: writing the training log failed: " + e.getMessage(), e);
        } finally {
            closeAll(all);
            progress.close();
        }
        boolean restored = earlyStopping != null && earlyStopping.restoresBestWeights() && earlyStopping.restoreBest(model);
        int best = earlyStopping != null && earlyStopping.bestEpoch() > 0 ? earlyStopping.bestEpoch() : history.size();
        return new History(history, best, stoppedEarly, restored);
    }

    private EpochResult runEpoch(int epoch, int batches, Iterable<Batch> train, Iterable<Batch> validation, List<String> keys) {
        long start = System.nanoTime();
        double lr = optimizer.lr();
        model.train();
        progress.startEpoch(epoch, epochs, batches);
        Metrics trainMetrics = new Metrics(numClasses);
        int done = 0;
        Iterator<Batch> batchesOfEpoch = train.iterator();
        try {
            while (batchesOfEpoch.hasNext()) {
                trainBatch(epoch, done + 1, batchesOfEpoch.next(), trainMetrics);
                done++;
                progress.batch(done, trainMetrics.loss());
            }
        } finally {
            closeIfCloseable(batchesOfEpoch); // a failed epoch stops a prefetching loader's thread now
        }
        if (done == 0) {
            throw new IllegalStateException("Trainer: the training loader gave no batch in epoch " + epoch
                    + " (an empty dataset, or dropLast with fewer examples than one batch)");
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(EpochResult.TRAIN_LOSS, trainMetrics.loss());
        m.put(EpochResult.TRAIN_ACCURACY, trainMetrics.accuracy());
        ConfusionMatrix confusion = null;
        if (validation != null) {
            Metrics v = evaluate(validation);
            confusion = v.confusionMatrix();
            m.put(EpochResult.VAL_LOSS, v.loss());
            m.put(EpochResult.VAL_ACCURACY, v.accuracy());
            for (int k : topK) {
                m.put(EpochResult.valTopK(k), v.count() == 0 ? Double.NaN : v.topKAccuracy(k));
            }
            m.put(EpochResult.VAL_MACRO_F1, v.macroF1());
        }
        m.put(EpochResult.LR, lr);
        assert m.keySet().equals(new java.util.LinkedHashSet<>(keys)) : m.keySet() + " vs " + keys;
        return new EpochResult(epoch, m, (System.nanoTime() - start) / 1e9, confusion);
    }

    private void trainBatch(int epoch, int batchNumber, Batch b, Metrics trainMetrics) {
        optimizer.zeroGrad();
        Tensor out = model.forward(b.inputs());
        Tensor l = loss.apply(out, b.targets());
        if (l.numel() != 1) {
            throw new IllegalArgumentException("Trainer: the loss function returned shape " + Arrays.toString(l.shape())
                    + "; it must return a scalar (reduce with the mean over the batch)");
        }
        double value = l.item();
        if (!Double.isFinite(value)) {
            throw new IllegalStateException("Trainer: the training loss is " + value + " at epoch " + epoch + ", batch " + batchNumber
                    + "; lower the learning rate or check the inputs");
        }
        l.backward();
        optimizer.step();
        for (Runnable s : batchSchedulers) {
            s.run();
        }
        trainMetrics.addLoss(value, b.size());
        if (isClassification(out, b.targets())) {
            trainMetrics.update(out, b.targets());
        }
    }

    private List<String> metricKeys(boolean validation) {
        List<String> k = new ArrayList<>(List.of(EpochResult.TRAIN_LOSS, EpochResult.TRAIN_ACCURACY));
        if (validation) {
            k.add(EpochResult.VAL_LOSS);
            k.add(EpochResult.VAL_ACCURACY);
            for (int t : topK) {
                k.add(EpochResult.valTopK(t));
            }
            k.add(EpochResult.VAL_MACRO_F1);
        }
        k.add(EpochResult.LR);
        return k;
    }

    /**
     * Loss and metrics of the model on {@code data}, in eval mode under {@link NoGrad} (the
     * model's train/eval mode is restored afterwards).
     */
    public Metrics evaluate(Iterable<Batch> data) {
        boolean wasTraining = model.isTraining();
        Metrics m = new Metrics(numClasses).topK(topK);
        model.eval();
        Iterator<Batch> it = data.iterator();
        try (var _ = NoGrad.enter()) {
            while (it.hasNext()) {
                Batch b = it.next();
                Tensor out = model.forward(b.inputs());
                m.addLoss(loss.apply(out, b.targets()).item(), b.size());
                if (isClassification(out, b.targets())) {
                    m.update(out, b.targets());
                }
            }
        } finally {
            model.train(wasTraining);
            closeIfCloseable(it);
        }
        return m;
    }

    static boolean isClassification(Tensor outputs, Tensor targets) {
        return !targets.dtype().isFloating() && targets.dim() == 1 && outputs.dtype().isFloating()
                && outputs.dim() >= 1 && outputs.dim() <= 2 && outputs.size(0) == targets.size(0);
    }

    private static void closeIfCloseable(Iterator<Batch> it) {
        if (it instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                System.getLogger(Trainer.class.getName()).log(System.Logger.Level.WARNING, "closing the batch iterator failed: " + e);
            }
        }
    }

    private static void closeAll(List<EpochListener> listeners) {
        for (EpochListener l : listeners) {
            try {
                l.close();
            } catch (IOException | RuntimeException e) {
                System.getLogger(Trainer.class.getName()).log(System.Logger.Level.WARNING, "closing " + l + " failed: " + e);
            }
        }
    }

    /**
     * Redraws the curves after every epoch. A failure to draw (no fonts on a bare server, a full
     * disk) is reported once and plotting stops; it never stops training.
     */
    private static final class Plot implements EpochListener {
        private final CurvePlotter plotter;
        private final Path path;
        private final List<EpochResult> history = new ArrayList<>();
        private boolean broken;

        Plot(CurvePlotter plotter, Path path) {
            this.plotter = plotter;
            this.path = path;
        }

        @Override
        public void onEpochEnd(EpochResult result) {
            history.add(result);
            if (broken) {
                return;
            }
            try {
                plotter.plot(history, path);
            } catch (IOException | RuntimeException | LinkageError e) {
                broken = true;
                System.getLogger(Trainer.class.getName()).log(System.Logger.Level.WARNING,
                        "could not draw the training curves to " + path + "; training goes on without the plot: " + e);
            }
        }
    }

    // ------------------------------------------------------------------ builder

    public static final class Builder {
        private final Module model;
        private LossFunction loss = Losses::crossEntropy;
        private OptimizerHandle optimizer;
        private int epochs = 1;
        private int numClasses = -1;
        private int[] topK = new int[0];
        private EarlyStopping earlyStopping;
        private final List<Runnable> batchSchedulers = new ArrayList<>();
        private final List<EpochListener> schedulers = new ArrayList<>();
        private final List<String> monitored = new ArrayList<>();
        private final List<EpochListener> listeners = new ArrayList<>();
        private ProgressReporter progress;
        private Path csvLog;
        private Path jsonLog;
        private Path plotPath;
        private CurvePlotter plotter;

        private Builder(Module model) {
            this.model = Objects.requireNonNull(model, "model");
        }

        /** The loss (default: {@link Losses#crossEntropy(Tensor, Tensor)}). */
        public Builder loss(LossFunction loss) {
            this.loss = Objects.requireNonNull(loss, "loss");
            return this;
        }

        public Builder optimizer(Optimizer optimizer) {
            Objects.requireNonNull(optimizer, "optimizer");
            return optimizer(OptimizerHandle.of(optimizer::zeroGrad, optimizer::step,
                    () -> optimizer.paramGroups().isEmpty() ? Double.NaN : optimizer.paramGroups().getFirst().lr()));
        }

        /** Any update rule: a hand-written step, or an optimizer from elsewhere. */
        public Builder optimizer(OptimizerHandle optimizer) {
            this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
            return this;
        }

        public Builder epochs(int epochs) {
            if (epochs <= 0) {
                throw new IllegalArgumentException("Trainer: epochs must be positive, got " + epochs);
            }
            this.epochs = epochs;
            return this;
        }

        /** The number of classes (default: inferred from the model's output width). */
        public Builder numClasses(int numClasses) {
            this.numClasses = numClasses;
            return this;
        }

        /** Also reports validation top-k accuracy ({@code val_top{k}_accuracy}) for each k. */
        public Builder topK(int... ks) {
            for (int k : ks) {
                if (k <= 0) {
                    throw new IllegalArgumentException("Trainer: top-k needs k >= 1, got " + Arrays.toString(ks));
                }
            }
            this.topK = ks.clone();
            return this;
        }

        public Builder earlyStopping(EarlyStopping earlyStopping) {
            this.earlyStopping = earlyStopping;
            if (earlyStopping != null) {
                monitored.add(earlyStopping.monitor());
            }
            return this;
        }

        /** A schedule stepped once after every epoch (StepLR, CosineAnnealingLR, ...). */
        public Builder scheduler(LRScheduler scheduler) {
            Objects.requireNonNull(scheduler, "scheduler");
            schedulers.add(r -> scheduler.step());
            return this;
        }

        /** A schedule stepped after every optimizer step (OneCycleLR, warmup schedules). */
        public Builder batchScheduler(LRScheduler scheduler) {
            Objects.requireNonNull(scheduler, "scheduler");
            batchSchedulers.add(scheduler::step);
            return this;
        }

        /** ReduceLROnPlateau, stepped after every epoch with the metric {@code monitor} (e.g. {@code "val_loss"}). */
        public Builder plateau(ReduceLROnPlateau scheduler, String monitor) {
            Objects.requireNonNull(scheduler, "scheduler");
            Objects.requireNonNull(monitor, "monitor");
            monitored.add(monitor);
            schedulers.add(r -> scheduler.step(r.get(monitor)));
            return this;
        }

        /** Any per-epoch action, run after the logs and before the schedulers and early stopping. */
        public Builder listener(EpochListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** How progress is shown (default: {@link ProgressReporter#auto} on {@code System.err}). */
        public Builder progress(ProgressReporter progress) {
            this.progress = Objects.requireNonNull(progress, "progress");
            return this;
        }

        /** Plain one-line-per-epoch progress on {@code out}. */
        public Builder progress(PrintStream out) {
            return progress(ProgressReporter.plain(out));
        }

        /** Writes a CSV log, one row per epoch (see {@link EpochLog}). */
        public Builder csvLog(Path path) {
            this.csvLog = path;
            return this;
        }

        /** Writes a JSON-lines log, one object per epoch (see {@link EpochLog}). */
        public Builder jsonLog(Path path) {
            this.jsonLog = path;
            return this;
        }

        /** Redraws a PNG of the training curves after every epoch (needs XChart; skipped without it). */
        public Builder plot(Path png) {
            this.plotPath = png;
            return this;
        }

        /** The plotter for {@link #plot(Path)} (default {@link CurvePlotter#auto()}). */
        public Builder plotter(CurvePlotter plotter) {
            this.plotter = plotter;
            return this;
        }

        public Trainer build() {
            return new Trainer(this);
        }
    }
}
