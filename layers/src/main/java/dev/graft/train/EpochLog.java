package dev.graft.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A log of every epoch, one line per epoch, flushed as each epoch ends so a crashed or killed run
 * keeps what it measured. Two formats, written with plain Java:
 * <ul>
 *   <li>{@link #csv(Path)}: a header {@code epoch,train_loss,...,lr,seconds}, then one row per
 *       epoch; a value that does not apply (NaN) is an empty field.</li>
 *   <li>{@link #jsonLines(Path)}: one JSON object per line,
 *       {@code {"epoch":1,"train_loss":0.69,...,"lr":0.1,"seconds":0.8}}; NaN and infinities
 *       are {@code null} (JSON has no such numbers).</li>
 * </ul>
 * Columns are the first epoch's metric names, in order. The file is created (with its parent
 * folders) or truncated when the log is made, so a bad path fails before training starts.
 */
public final class EpochLog implements EpochListener {
    private enum Format { CSV, JSON_LINES }

    private final Path path;
    private final Format format;
    private final BufferedWriter out;
    private List<String> columns;

    private EpochLog(Path path, Format format) throws IOException {
        this.path = path;
        this.format = format;
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        this.out = Files.newBufferedWriter(path, StandardCharsets.UTF_8);
    }

    public static EpochLog csv(Path path) throws IOException {
        return new EpochLog(path, Format.CSV);
    }

    public static EpochLog jsonLines(Path path) throws IOException {
        return new EpochLog(path, Format.JSON_LINES);
    }

    public Path path() {
        return path;
    }

    @Override
    public void onEpochEnd(EpochResult r) throws IOException {
        if (columns == null) {
            columns = new ArrayList<>(r.metrics().keySet());
            if (format == Format.CSV) {
                out.write("epoch," + String.join(",", columns) + ",seconds\n");
            }
        }
        StringBuilder line = new StringBuilder();
        if (format == Format.CSV) {
            line.append(r.epoch());
            for (String c : columns) {
                Double v = r.metrics().get(c);
                line.append(',').append(v == null || !Double.isFinite(v) ? "" : format(v));
            }
            line.append(',').append(format(r.seconds()));
        } else {
            line.append("{\"epoch\":").append(r.epoch());
            for (String c : columns) {
                Double v = r.metrics().get(c);
                line.append(",\"").append(c).append("\":").append(v == null || !Double.isFinite(v) ? "null" : format(v));
            }
            line.append(",\"seconds\":").append(format(r.seconds())).append('}');
        }
        out.write(line.append('\n').toString());
        out.flush();
    }

    /**
     * A finite double as the shortest decimal that reads back to the same value, locale-independent
     * ({@link Double#toString}: valid in CSV and JSON, e.g. {@code 0.1}, {@code 1.0E-4}).
     */
    static String format(double v) {
        return Double.toString(v);
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    @Override
    public String toString() {
        return "EpochLog(" + format.name().toLowerCase() + ", " + path + ")";
    }
}
