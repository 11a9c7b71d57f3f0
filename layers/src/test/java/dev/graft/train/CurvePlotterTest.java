package dev.graft.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CurvePlotterTest {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    @Test
    void writesAPngWithBothPanels(@TempDir Path dir) throws Exception {
        assertTrue(CurvePlotter.xchartAvailable(), "xchart is on the test classpath");
        CurvePlotter p = CurvePlotter.auto();
        assertTrue(p.writesFiles());
        assertEquals("true", System.getProperty("java.awt.headless"));
        List<EpochResult> history = new ArrayList<>();
        for (int e = 1; e <= 5; e++) {
            history.add(EpochLogTest.result(e, 1.0 / e, 1.2 / e, 0.5 + 0.1 * e, 0.1, 1));
        }
        Path png = dir.resolve("plots/curves.png");
        p.plot(history, png);
        byte[] bytes = Files.readAllBytes(png);
        assertTrue(bytes.length > 1000, "non-empty: " + bytes.length + " bytes");
        assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(bytes, 8));
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img);
        assertEquals(1280, img.getWidth(), "loss panel and accuracy panel side by side");
        assertEquals(420, img.getHeight());
        // replacing is atomic: no temp file stays behind
        p.plot(history.subList(0, 2), png);
        try (var files = Files.list(png.getParent())) {
            assertEquals(List.of(png), files.toList());
        }
    }

    @Test
    void aRunWithOnlyLossesStillPlots(@TempDir Path dir) throws Exception {
        var r = new EpochResult(1, java.util.Map.of(EpochResult.TRAIN_LOSS, 0.3), 1, null);
        Path png = dir.resolve("c.png");
        CurvePlotter.auto().plot(List.of(r), png);
        assertEquals(640, ImageIO.read(png.toFile()).getWidth());
    }

    @Test
    void noneWritesNothing(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("c.png");
        CurvePlotter.none().plot(List.of(EpochLogTest.result(1, 1, 1, 1, 1, 1)), png);
        assertFalse(Files.exists(png));
    }
}
