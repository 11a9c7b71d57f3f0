package dev.graft.train;

import dev.graft.autograd.NoGrad;
import dev.graft.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The optional libraries really are optional: in a class loader with Graft's classes and the JDK
 * only, training runs to the end with plain progress lines, logs, and no plot.
 */
class OptionalLibrariesTest {

    private static URL location(Class<?> c) {
        return c.getProtectionDomain().getCodeSource().getLocation();
    }

    @Test
    void trainingRunsWithoutProgressbarAndXchart(@TempDir Path dir) throws Exception {
        URL[] urls = {
            location(Trainer.class),                 // graft-layers main classes
            location(NoOptionalLibrariesProbe.class), // this module's test classes (the probe, TrainerTest.blobs)
            location(Tensor.class),
            location(NoGrad.class),
        };
        try (URLClassLoader loader = new URLClassLoader("graft-only", urls, ClassLoader.getPlatformClassLoader())) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName(ProgressReporter.PROGRESSBAR_CLASS, false, loader));
            assertThrows(ClassNotFoundException.class, () -> Class.forName(CurvePlotter.XCHART_CLASS, false, loader));
            @SuppressWarnings("unchecked")
            Function<Path, String> probe = (Function<Path, String>) loader.loadClass(NoOptionalLibrariesProbe.class.getName())
                    .getDeclaredConstructor().newInstance();
            // Graft finds its backends and autograd through ServiceLoader on the context class loader
            AtomicReference<Object> result = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    result.set(probe.apply(dir));
                } catch (Throwable e) {
                    result.set(e);
                }
            });
            t.setContextClassLoader(loader);
            t.start();
            t.join();
            if (result.get() instanceof Throwable e) {
                throw new AssertionError("training without the optional libraries failed", e);
            }
            String report = (String) result.get();
            assertTrue(report.startsWith("progressBarAvailable=false;xchartAvailable=false;plotterWrites=false;epochs=2;"), report);
            assertTrue(report.contains("csvLines=3;png=false;"), report);
            assertTrue(report.contains("printed=epoch 1/2: train_loss "), report);
            assertTrue(report.contains("|epoch 2/2: train_loss "), report);
            double acc = Double.parseDouble(report.replaceAll(".*valAccuracy=([^;]+);.*", "$1"));
            assertTrue(acc > 0.9, report);
            assertEquals(2, report.split("\\|").length, "one plain line per epoch: " + report);
        }
    }
}
