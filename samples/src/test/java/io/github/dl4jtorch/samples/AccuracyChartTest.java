package io.github.dl4jtorch.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccuracyChartTest {

    @TempDir
    Path dir;

    @Test
    void writesAPngWithACurveInEachRunsColour() throws IOException {
        TrainingRun dropout = run(0.2, 5);
        TrainingRun none = run(0, 5);
        Path file = dir.resolve("accuracy.png");
        AccuracyChart.write(List.of(dropout, none), "Accuracy per epoch", "settings", file);

        BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(AccuracyChart.WIDTH, image.getWidth());
        assertEquals(AccuracyChart.HEIGHT, image.getHeight());
        // Each run's two lines, markers and legend entries: hundreds of pixels of its colour.
        assertTrue(pixels(image, 0x1F77B4) > 300, "first run's colour: " + pixels(image, 0x1F77B4));
        assertTrue(pixels(image, 0xD62728) > 300, "second run's colour: " + pixels(image, 0xD62728));
        assertEquals(0, pixels(image, 0x2CA02C), "no third run");
    }

    @Test
    void drawsASingleEpoch() throws IOException {
        Path file = dir.resolve("one.png");
        AccuracyChart.write(List.of(run(0.5, 1)), "one epoch", "settings", file);
        BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(AccuracyChart.WIDTH, image.getWidth());
        assertTrue(pixels(image, 0x1F77B4) > 50, "the point and its legend: " + pixels(image, 0x1F77B4));
    }

    /** A run whose accuracy rises from about 90% over {@code epochs} epochs. */
    private static TrainingRun run(double p, int epochs) {
        TrainingRun run = new TrainingRun("net", p, null);
        for (int epoch = 1; epoch <= epochs; epoch++) {
            run.add(new EpochMetrics(epoch, 1.0 / epoch, 0.9 + 0.015 * epoch, 0.88 + 0.01 * epoch - p / 100, 0.5));
        }
        return run;
    }

    private static int pixels(BufferedImage image, int rgb) {
        int count = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) == rgb) {
                    count++;
                }
            }
        }
        return count;
    }
}
