package dev.graft.train;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Two panels side by side, losses on the left and accuracy-like metrics (in [0, 1]) on the right,
 * drawn by XChart off screen ({@link BitmapEncoder#getBufferedImage}) and written as one PNG.
 * The only class of Graft that touches XChart: {@link CurvePlotter#auto()} creates it by name.
 */
final class XChartPlotter implements CurvePlotter {
    private static final int PANEL_WIDTH = 640;
    private static final int PANEL_HEIGHT = 420;

    XChartPlotter() {
    }

    @Override
    public void plot(List<EpochResult> history, Path png) throws IOException {
        if (history.isEmpty()) {
            return;
        }
        Map<String, List<double[]>> losses = new LinkedHashMap<>();
        Map<String, List<double[]>> scores = new LinkedHashMap<>();
        for (EpochResult r : history) {
            for (var e : r.metrics().entrySet()) {
                String k = e.getKey();
                double v = e.getValue();
                if (!Double.isFinite(v) || k.equals(EpochResult.LR)) {
                    continue; // XChart cannot place NaN; the learning rate has its own scale
                }
                var target = k.endsWith("loss") ? losses : scores;
                target.computeIfAbsent(k, x -> new ArrayList<>()).add(new double[] {r.epoch(), v});
            }
        }
        List<BufferedImage> panels = new ArrayList<>();
        // losses fall and scores rise: put each legend in the corner its curves leave empty
        panels.add(panel("Loss", "loss", losses, Styler.LegendPosition.InsideNE));
        if (!scores.isEmpty()) {
            panels.add(panel("Accuracy", "score", scores, Styler.LegendPosition.InsideSE));
        }
        BufferedImage all = new BufferedImage(PANEL_WIDTH * panels.size(), PANEL_HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = all.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, all.getWidth(), all.getHeight());
            for (int i = 0; i < panels.size(); i++) {
                g.drawImage(panels.get(i), i * PANEL_WIDTH, 0, null);
            }
        } finally {
            g.dispose();
        }
        Path abs = png.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, abs.getFileName().toString(), ".tmp");
        try {
            if (!ImageIO.write(all, "png", tmp.toFile())) {
                throw new IOException("no PNG writer in this JDK's ImageIO");
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static BufferedImage panel(String title, String yTitle, Map<String, List<double[]>> series, Styler.LegendPosition legend) {
        XYChart chart = new XYChartBuilder().width(PANEL_WIDTH).height(PANEL_HEIGHT).title(title)
                .xAxisTitle("epoch").yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(legend);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setXAxisDecimalPattern("#");
        if (series.isEmpty()) {
            chart.addSeries("(none)", new double[] {1}, new double[] {0});
        }
        for (var e : series.entrySet()) {
            List<double[]> pts = e.getValue();
            double[] x = new double[pts.size()];
            double[] y = new double[pts.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = pts.get(i)[0];
                y[i] = pts.get(i)[1];
            }
            chart.addSeries(e.getKey(), x, y);
        }
        return BitmapEncoder.getBufferedImage(chart);
    }
}
