/**
 * Training: {@link dev.graft.train.Trainer} (a small epoch loop with validation, early stopping,
 * learning-rate schedules, logs and plots; writing the loop by hand is always an option),
 * {@link dev.graft.train.Metrics} and {@link dev.graft.train.ConfusionMatrix} (usable on their
 * own), {@link dev.graft.train.EarlyStopping}, {@link dev.graft.train.EpochLog} (CSV and JSON
 * lines, plain Java), {@link dev.graft.train.ProgressReporter} and
 * {@link dev.graft.train.CurvePlotter}.
 *
 * <p>Depends on {@code dev.graft.nn}, {@code loss}, {@code optim}, {@code data} and the JDK.
 * Nothing else in {@code graft-layers} depends on it.
 *
 * <h2>Optional libraries</h2>
 * Two display features use libraries that are {@code <optional>} dependencies of
 * {@code graft-layers}: they are on the classpath when building Graft but not passed on to users,
 * who add them to their own build only if they want them. The model, optimizer, data and loop code
 * never refer to them. Each is touched by exactly one class, which is created by name
 * ({@code Class.forName}) after a presence check in a factory, so a missing jar means a fallback,
 * never a {@code NoClassDefFoundError}:
 * <ul>
 *   <li><b>me.tongfei:progressbar 0.10.2</b>, used only by {@code ProgressBarReporter} behind
 *       {@link dev.graft.train.ProgressReporter#console}: a maintained (0.10.2 is from January 2026),
 *       small (about 40 KB) console progress bar with ETA, rate and an extra-message slot for the
 *       running loss. Its only run-time dependency is jline 3.29.0 ({@code jline-terminal} and
 *       {@code jline-native}, about 450 KB), for character widths and the terminal's size; off a
 *       terminal Graft gives the bar a width ({@code $COLUMNS}, or 100) so no terminal is opened.
 *       Without progressbar or jline: one plain line per epoch.</li>
 *   <li><b>org.knowm.xchart:xchart 4.0.3</b>, used only by {@code XChartPlotter} behind
 *       {@link dev.graft.train.CurvePlotter#auto}: a maintained, self-contained charting library
 *       (about 420 KB) that renders through Java2D, so a PNG comes from {@code BufferedImage} and
 *       {@code ImageIO} with {@code java.awt.headless=true} on a server. Its PDF, SVG, EPS, GIF and
 *       LaTeX exporters are themselves optional dependencies of XChart and are not pulled in, so it
 *       brings no transitive jar at all. Without it: no plot, and one log line saying so.</li>
 * </ul>
 * Heavier choices were passed over: JFreeChart (larger, and its PNG path is the same Java2D),
 * Lanterna or JLine-based full-screen UIs (far more than a bar), and writing ANSI bars by hand
 * (terminal-width and redraw handling is what the library is for).
 */
package dev.graft.train;
