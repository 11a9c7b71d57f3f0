package dev.graft.train;

import dev.graft.data.DataLoader;
import dev.graft.nn.Linear;
import dev.graft.nn.Module;
import dev.graft.nn.WeightSource;
import dev.graft.optim.SGD;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Runs inside a class loader that holds Graft but neither progressbar nor XChart (see
 * {@link OptionalLibrariesTest}); it must not use JUnit, which that loader cannot see either.
 * Takes a folder, returns a report of what happened.
 */
public final class NoOptionalLibrariesProbe implements Function<Path, String> {
    @Override
    public String apply(Path dir) {
        try {
            Module model = new Linear(2, 3, true, WeightSource.fresh(1));
            var out = new ByteArrayOutputStream();
            ProgressReporter progress = ProgressReporter.console(new PrintStream(out, true, StandardCharsets.UTF_8));
            var data = TrainerTest.blobs(20, 2);
            History h = Trainer.builder(model).optimizer(new SGD(model.parameters(), 0.1)).epochs(2)
                    .progress(progress)
                    .csvLog(dir.resolve("log.csv"))
                    .plot(dir.resolve("curves.png"))
                    .build()
                    .fit(DataLoader.shuffled(data, 10, 3), DataLoader.of(data, 60));
            return "progressBarAvailable=" + ProgressReporter.progressBarAvailable()
                    + ";xchartAvailable=" + CurvePlotter.xchartAvailable()
                    + ";plotterWrites=" + CurvePlotter.auto().writesFiles()
                    + ";epochs=" + h.epochs().size()
                    + ";valAccuracy=" + h.last().valAccuracy()
                    + ";csvLines=" + Files.readAllLines(dir.resolve("log.csv")).size()
                    + ";png=" + Files.exists(dir.resolve("curves.png"))
                    + ";printed=" + out.toString(StandardCharsets.UTF_8).strip().replace('\n', '|');
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
