package io.github.dl4jtorch.samples;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Training and test accuracy per epoch of one or more runs as a PNG line chart, drawn with XChart:
 * test accuracy a solid line with dots, training accuracy a dashed line with squares of the same
 * colour.
 */
final class AccuracyChart {

    static final int WIDTH = 1000;
    static final int HEIGHT = 620;
    private static final Color[] COLORS = {
        new Color(0x1F77B4), new Color(0xD62728), new Color(0x2CA02C), new Color(0x9467BD),
    };

    private AccuracyChart() {
    }

    /**
     * Writes the chart.
     *
     * @param runs     the runs, each with at least one epoch
     * @param title    the chart's title
     * @param settings the data and settings, shown under the epoch axis (XChart has no subtitle)
     * @param file     the PNG file to write
     */
    static void write(List<TrainingRun> runs, String title, String settings, Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("epoch    (" + settings + ")").yAxisTitle("accuracy (%)").build();
        int epochs = 1;
        double lowest = 100;
        for (int i = 0; i < runs.size(); i++) {
            TrainingRun run = runs.get(i);
            Color color = COLORS[i % COLORS.length];
            double[] test = percent(run, EpochMetrics::testAcc);
            double[] train = percent(run, EpochMetrics::trainAcc);
            addSeries(chart, run.label() + "  test", test, color, SeriesLines.SOLID);
            addSeries(chart, run.label() + "  train", train, color, SeriesLines.DASH_DASH);
            epochs = Math.max(epochs, test.length);
            lowest = Math.min(lowest, Math.min(min(test), min(train)));
        }
        XYStyler style = chart.getStyler();
        style.setChartBackgroundColor(Color.WHITE);
        style.setLegendPosition(LegendPosition.InsideSE);   // rising curves leave the lower right free
        style.setXAxisMin(1.0);
        style.setXAxisMax((double) Math.max(epochs, 2));     // one epoch: a point on the left edge
        style.setXAxisDecimalPattern("0");
        style.setYAxisMin(Math.max(0, Math.min(95, Math.floor((lowest - 0.5) / 5) * 5))); // a multiple of 5%
        style.setYAxisMax(100.0);
        style.setYAxisDecimalPattern("0.#");
        try (OutputStream out = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapFormat.PNG);
        }
    }

    private static void addSeries(XYChart chart, String name, double[] percent, Color color, BasicStroke line) {
        double[] epochs = IntStream.rangeClosed(1, percent.length).asDoubleStream().toArray();
        XYSeries series = chart.addSeries(name, epochs, percent);
        series.setLineColor(color);
        series.setLineStyle(line);
        series.setMarkerColor(color);
        series.setMarker(line == SeriesLines.SOLID ? SeriesMarkers.CIRCLE : SeriesMarkers.SQUARE);
    }

    private static double[] percent(TrainingRun run, ToDoubleFunction<EpochMetrics> accuracy) {
        return run.epochs().stream().mapToDouble(m -> 100 * accuracy.applyAsDouble(m)).toArray();
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(100);
    }
}
