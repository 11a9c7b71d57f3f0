package dev.graft.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Draws training curves (losses; accuracies and macro-F1) to a PNG file.
 * {@link #auto()} uses XChart when that optional library is on the classpath and otherwise
 * returns a plotter that does nothing (and says so once), so a missing jar never stops training.
 */
public interface CurvePlotter {
    /** Writes the curves of {@code history} to {@code png}, replacing it atomically. */
    void plot(List<EpochResult> history, Path png) throws IOException;

    /** Whether this plotter actually writes files. */
    default boolean writesFiles() {
        return true;
    }

    String XCHART_CLASS = "org.knowm.xchart.XYChart";

    /** Whether org.knowm.xchart:xchart can be loaded. */
    static boolean xchartAvailable() {
        return OptionalLibrary.present(XCHART_CLASS, CurvePlotter.class);
    }

    /** The XChart plotter when XChart is present, else {@link #none()}. */
    static CurvePlotter auto() {
        if (xchartAvailable()) {
            // AWT decides headless-or-not once, when it first loads: say so before XChart touches it
            if (System.getProperty("java.awt.headless") == null) {
                System.setProperty("java.awt.headless", "true");
            }
            CurvePlotter p = OptionalLibrary.instantiate("dev.graft.train.XChartPlotter", CurvePlotter.class, new Class<?>[0]);
            if (p != null) {
                return p;
            }
        }
        return none();
    }

    /** Writes nothing; logs once that no plot is made. */
    static CurvePlotter none() {
        return new CurvePlotter() {
            private boolean warned;

            @Override
            public void plot(List<EpochResult> history, Path png) {
                if (!warned) {
                    warned = true;
                    System.getLogger(CurvePlotter.class.getName()).log(System.Logger.Level.INFO,
                            "no training plot written to " + png + ": add org.knowm.xchart:xchart to the classpath to get one");
                }
            }

            @Override
            public boolean writesFiles() {
                return false;
            }
        };
    }
}
