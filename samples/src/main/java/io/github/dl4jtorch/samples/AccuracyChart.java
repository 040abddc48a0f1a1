package io.github.dl4jtorch.samples;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

import javax.imageio.ImageIO;

/**
 * Draws training and test accuracy per epoch for one or more runs as a PNG line chart, with plain
 * Java 2D so the samples need no charting library. Test accuracy is a solid line, training accuracy
 * a dashed line of the same colour.
 */
final class AccuracyChart {

    private static final int WIDTH = 1000;
    private static final int HEIGHT = 620;
    private static final int LEFT = 90;
    private static final int RIGHT = 40;
    private static final int TOP = 80;
    private static final int BOTTOM = 75;
    private static final Color[] COLORS = {
        new Color(0x1F77B4), new Color(0xD62728), new Color(0x2CA02C), new Color(0x9467BD),
    };
    private static final Color GRID = new Color(0xDDDDDD);

    private AccuracyChart() {
    }

    /** A line to draw: legend text, colour, dashed or not, accuracy (fraction) per epoch from 1. */
    private record Series(String name, Color color, boolean dashed, double[] values) {
    }

    /**
     * Writes the chart.
     *
     * @param runs     the runs, each with at least one epoch
     * @param title    first title line
     * @param subtitle second title line, e.g. the data and settings
     * @param file     the PNG file to write
     */
    static void write(List<TrainingRun> runs, String title, String subtitle, Path file) throws IOException {
        List<Series> series = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            TrainingRun run = runs.get(i);
            Color color = COLORS[i % COLORS.length];
            series.add(new Series(run.label() + "  test", color, false, values(run, EpochMetrics::testAcc)));
            series.add(new Series(run.label() + "  train", color, true, values(run, EpochMetrics::trainAcc)));
        }
        int epochs = runs.stream().mapToInt(r -> r.epochs().size()).max().orElse(1);

        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            Axes axes = new Axes(epochs, lowerBound(series));
            drawTitles(g, title, subtitle);
            drawAxes(g, axes);
            for (Series s : series) {
                drawSeries(g, axes, s);
            }
            drawLegend(g, series, axes);
        } finally {
            g.dispose();
        }
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer available for " + file);
        }
    }

    /** Maps epochs and accuracies (in percent) to pixels. */
    private static final class Axes {
        final int epochs;
        final double yMin;
        final double yStep;
        final int plotWidth = WIDTH - LEFT - RIGHT;
        final int plotHeight = HEIGHT - TOP - BOTTOM;

        Axes(int epochs, double yMin) {
            this.epochs = epochs;
            this.yMin = yMin;
            double range = 100 - yMin;
            this.yStep = range <= 5 ? 0.5 : range <= 10 ? 1 : range <= 25 ? 2.5 : range <= 50 ? 5 : 10;
        }

        double x(double epoch) {
            // With one epoch there is nothing to spread: put the point in the middle.
            return epochs == 1 ? LEFT + plotWidth / 2.0 : LEFT + (epoch - 1) * plotWidth / (epochs - 1);
        }

        double y(double percent) {
            return TOP + (100 - percent) * plotHeight / (100 - yMin);
        }
    }

    /** Lowest accuracy shown, rounded down to a multiple of 5% so the curves fill the plot. */
    private static double lowerBound(List<Series> series) {
        double min = 100;
        for (Series s : series) {
            for (double v : s.values()) {
                min = Math.min(min, 100 * v);
            }
        }
        return Math.max(0, Math.min(95, Math.floor((min - 0.5) / 5) * 5));
    }

    private static void drawTitles(Graphics2D g, String title, String subtitle) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 20));
        centered(g, title, WIDTH / 2, 32);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        centered(g, subtitle, WIDTH / 2, 56);
    }

    private static void drawAxes(Graphics2D g, Axes axes) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        FontMetrics metrics = g.getFontMetrics();
        int bottom = TOP + axes.plotHeight;
        for (double percent = axes.yMin; percent <= 100 + 1e-9; percent += axes.yStep) {
            int y = (int) Math.round(axes.y(percent));
            g.setColor(GRID);
            g.drawLine(LEFT, y, LEFT + axes.plotWidth, y);
            g.setColor(Color.BLACK);
            boolean wholeSteps = axes.yStep == Math.rint(axes.yStep);
            String label = (!wholeSteps ? String.format(Locale.ROOT, "%.1f", percent)
                    : String.format(Locale.ROOT, "%.0f", percent)) + "%";
            g.drawString(label, LEFT - 8 - metrics.stringWidth(label), y + metrics.getAscent() / 2 - 1);
        }
        int xStep = niceStep(axes.epochs);
        for (int epoch = 1; epoch <= axes.epochs; epoch = epoch == 1 && xStep > 1 ? xStep : epoch + xStep) {
            int x = (int) Math.round(axes.x(epoch));
            g.setColor(GRID);
            g.drawLine(x, TOP, x, bottom);
            g.setColor(Color.BLACK);
            g.drawLine(x, bottom, x, bottom + 5);
            centered(g, Integer.toString(epoch), x, bottom + 8 + metrics.getAscent());
        }
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1.5f));
        g.drawRect(LEFT, TOP, axes.plotWidth, axes.plotHeight);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        centered(g, "epoch", LEFT + axes.plotWidth / 2, HEIGHT - 22);
        Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        centered(rotated, "accuracy", -(TOP + axes.plotHeight / 2), 24);
        rotated.dispose();
    }

    private static void drawSeries(Graphics2D g, Axes axes, Series s) {
        Path2D.Double line = new Path2D.Double();
        for (int i = 0; i < s.values().length; i++) {
            double x = axes.x(i + 1);
            double y = axes.y(100 * s.values()[i]);
            if (i == 0) {
                line.moveTo(x, y);
            } else {
                line.lineTo(x, y);
            }
        }
        g.setColor(s.color());
        g.setStroke(stroke(s.dashed()));
        g.draw(line);
        for (int i = 0; i < s.values().length; i++) {
            double x = axes.x(i + 1);
            double y = axes.y(100 * s.values()[i]);
            if (s.dashed()) {
                g.fill(new Rectangle2D.Double(x - 2.5, y - 2.5, 5, 5));
            } else {
                g.fill(new Ellipse2D.Double(x - 3.5, y - 3.5, 7, 7));
            }
        }
    }

    /** Legend in the plot's lower right corner, where rising accuracy curves leave room. */
    private static void drawLegend(Graphics2D g, List<Series> series, Axes axes) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        FontMetrics metrics = g.getFontMetrics();
        int rowHeight = metrics.getHeight() + 4;
        int sample = 36;
        int textWidth = series.stream().mapToInt(s -> metrics.stringWidth(s.name())).max().orElse(0);
        int boxWidth = 12 + sample + 8 + textWidth + 12;
        int boxHeight = 10 + rowHeight * series.size() + 4;
        int boxX = LEFT + axes.plotWidth - boxWidth - 12;
        int boxY = TOP + axes.plotHeight - boxHeight - 12;
        g.setColor(new Color(255, 255, 255, 235));
        g.fillRect(boxX, boxY, boxWidth, boxHeight);
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(boxX, boxY, boxWidth, boxHeight);
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            int rowY = boxY + 8 + i * rowHeight + rowHeight / 2;
            g.setColor(s.color());
            g.setStroke(stroke(s.dashed()));
            g.drawLine(boxX + 12, rowY, boxX + 12 + sample, rowY);
            g.setColor(Color.BLACK);
            g.drawString(s.name(), boxX + 12 + sample + 8, rowY + metrics.getAscent() / 2 - 1);
        }
    }

    /** Epoch tick spacing: 1, 2, 5, 10, 20, 50, ... so that about ten ticks show (1 and multiples of it). */
    private static int niceStep(int epochs) {
        int step = 1;
        while (epochs / step > 12) {
            step = Integer.toString(step).startsWith("2") ? step * 5 / 2 : step * 2;
        }
        return step;
    }

    /** Solid for test accuracy, dashed for training accuracy. */
    private static Stroke stroke(boolean dashed) {
        return dashed
                ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {8f, 6f}, 0f)
                : new BasicStroke(2.6f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    }

    private static void centered(Graphics2D g, String text, int x, int baseline) {
        g.drawString(text, x - g.getFontMetrics().stringWidth(text) / 2, baseline);
    }

    private static double[] values(TrainingRun run, ToDoubleFunction<EpochMetrics> metric) {
        return run.epochs().stream().mapToDouble(metric).toArray();
    }
}
